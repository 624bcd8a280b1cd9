// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 03: one counter three ways, to see why per-CPU maps exist.
// Both CPUs run this program at the same time when packets arrive on both. A plain `+= 1` on a
// shared slot is a read-modify-write: two CPUs can read the same old value and one increment is
// lost. An atomic add fixes that at the price of a locked instruction on a shared cache line; a
// per-CPU array gives each CPU its own slot instead, and user space adds the slots up.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_ARRAY(racy, u64, 1);           // shared slot, plain increment: may lose updates
BPF_ARRAY(atomic, u64, 1);         // shared slot, atomic increment: exact, contended
BPF_PERCPU_ARRAY(percpu, u64, 1);  // one slot per CPU, plain increment: exact, no contention

int xdp_percpu_count(struct xdp_md *ctx)
{
    int key = 0;
    u64 *v = racy.lookup(&key);
    if (v)
        *v += 1;
    v = atomic.lookup(&key);
    if (v)
        __sync_fetch_and_add(v, 1);
    v = percpu.lookup(&key);
    if (v)
        *v += 1;                   // nobody else touches this CPU's slot
    return XDP_PASS;
}
