// Lab 05 gallery, pair 07 (fixed). Rule: every instruction must be reachable.
// One way out of the function: no instruction is left behind an unconditional exit.
#include <uapi/linux/bpf.h>

int fixed(struct xdp_md *ctx)
{
    return XDP_PASS;
}
