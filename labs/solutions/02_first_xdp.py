# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/02_first_xdp.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: size-limit
SIZE_LIMIT_C = r"""
#include <uapi/linux/bpf.h>

int xdp_size_limit(struct xdp_md *ctx)
{
    if (ctx->data_end - ctx->data > MAX_LEN)
        return XDP_DROP;
    return XDP_PASS;
}
"""

# %% exercise: drop-port
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);   // slot 0: the datagrams to PORT this program dropped

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0)   // a truncated or malformed frame: not ours to judge
        return XDP_PASS;
    if (pkt.l4_proto != IPPROTO_UDP || pkt.dport != PORT)
        return XDP_PASS;
    int key = 0;
    u64 *value = dropped.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return XDP_DROP;
}
"""
