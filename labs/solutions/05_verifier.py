# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/05_verifier.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: bounded-loop
loop_header = "for (int i = 0; i < MAX_BYTES; i++)"

# %% exercise: break-it
BREAK_IT = r"""
#include <uapi/linux/bpf.h>

struct slots { __u64 count[16]; };
BPF_ARRAY(table, struct slots, 1);

int broken_on_purpose(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct slots *s = table.lookup(&key);
    if (!s)
        return XDP_PASS;
    s->count[ctx->ingress_ifindex] += 1;  // any interface number: no bound
    return XDP_PASS;
}
"""
