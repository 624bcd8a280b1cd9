# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 02's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: size-limit — off by one: a frame of exactly MAX_LEN bytes is dropped
SIZE_LIMIT_C = r"""
#include <uapi/linux/bpf.h>

int xdp_size_limit(struct xdp_md *ctx)
{
    if (ctx->data_end - ctx->data >= MAX_LEN)
        return XDP_DROP;
    return XDP_PASS;
}
"""

# %% shortcut: size-limit — the 100 bytes of the old check hard-coded instead of the knob
SIZE_LIMIT_C = r"""
#include <uapi/linux/bpf.h>

int xdp_size_limit(struct xdp_md *ctx)
{
    if (ctx->data_end - ctx->data > 100)
        return XDP_DROP;
    return XDP_PASS;
}
"""

# %% shortcut: size-limit — the IP datagram's length, not the frame's (14 bytes short)
SIZE_LIMIT_C = r"""
#include <uapi/linux/bpf.h>

int xdp_size_limit(struct xdp_md *ctx)
{
    if (ctx->data_end - ctx->data - 14 > MAX_LEN)
        return XDP_DROP;
    return XDP_PASS;
}
"""

# %% shortcut: size-limit — drops everything
SIZE_LIMIT_C = r"""
#include <uapi/linux/bpf.h>

int xdp_size_limit(struct xdp_md *ctx)
{
    return XDP_DROP;
}
"""

# %% shortcut: drop-port — counts but passes: the datagrams still reach the socket
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP || pkt.dport != PORT)
        return XDP_PASS;
    int key = 0;
    u64 *value = dropped.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return XDP_PASS;
}
"""

# %% shortcut: drop-port — drops but does not count
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP || pkt.dport != PORT)
        return XDP_PASS;
    return XDP_DROP;
}
"""

# %% shortcut: drop-port — the source port compared, not the destination
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP || pkt.sport != PORT)
        return XDP_PASS;
    int key = 0;
    u64 *value = dropped.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return XDP_DROP;
}
"""

# %% shortcut: drop-port — any protocol to PORT: TCP is dropped and counted too
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.dport != PORT)
        return XDP_PASS;
    int key = 0;
    u64 *value = dropped.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return XDP_DROP;
}
"""

# %% shortcut: drop-port — the port of the lab's steps (9) instead of the knob
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP || pkt.dport != 9)
        return XDP_PASS;
    int key = 0;
    u64 *value = dropped.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return XDP_DROP;
}
"""

# %% shortcut: drop-port — counts every packet, drops the right ones
DROP_PORT_C = r"""
#include "parsing.h"

BPF_ARRAY(dropped, u64, 1);

int xdp_drop_port(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    int key = 0;
    u64 *value = dropped.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP || pkt.dport != PORT)
        return XDP_PASS;
    return XDP_DROP;
}
"""
