// Lab 02, step 1: the smallest XDP program. It runs for every packet that arrives on the
// interface, before the kernel's network stack sees it, and lets every packet through.
#include <uapi/linux/bpf.h>

int xdp_pass(struct xdp_md *ctx)
{
    return XDP_PASS;
}
