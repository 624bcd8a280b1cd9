// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 03: packets and bytes per IPv4 source address in a hash map, and what happens when it is full.
// A hash map has room for MAX_HOSTS keys. When it is full, a plain hash refuses new keys (we count
// those packets as untracked); an LRU hash evicts the least recently used key to make room.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include "parsing.h"

#ifndef MAX_HOSTS
#define MAX_HOSTS 1024
#endif
#ifndef LRU
#define LRU 0
#endif

struct counters {
    u64 packets;
    u64 bytes;
};

#if LRU
BPF_TABLE("lru_hash", __be32, struct counters, talkers, MAX_HOSTS);
#else
BPF_HASH(talkers, __be32, struct counters, MAX_HOSTS);
#endif
BPF_ARRAY(untracked, u64, 1);   // IPv4 packets whose source found no room in the table

int xdp_top_talkers(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_version != 4)
        return XDP_PASS;

    __be32 key = pkt.saddr;
    struct counters *c = talkers.lookup(&key);
    if (!c) {
        struct counters zero = {};
        talkers.insert(&key, &zero);   // fails when a plain hash is full (or another CPU won the race)
        c = talkers.lookup(&key);
    }
    if (!c) {
        int k = 0;
        u64 *lost = untracked.lookup(&k);
        if (lost)
            __sync_fetch_and_add(lost, 1);
        return XDP_PASS;
    }
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, pkt.len);
    return XDP_PASS;
}
