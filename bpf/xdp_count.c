// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 02, step 3: count packets and bytes in a map that user space reads.
// An array map has a fixed number of slots, all zero at first; slot 0 counts packets and
// slot 1 counts bytes. User space reads the same memory through the bpf() system call.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

// A knob from Python: XDP_ACTION decides what happens after counting (default: pass).
#ifndef XDP_ACTION
#define XDP_ACTION XDP_PASS
#endif

enum { PACKETS = 0, BYTES = 1 };
BPF_ARRAY(counts, u64, 2);

int xdp_count(struct xdp_md *ctx)
{
    u64 len = ctx->data_end - ctx->data;
    int key = PACKETS;
    u64 *value = counts.lookup(&key);
    if (value)  // the verifier insists: a lookup may return NULL
        __sync_fetch_and_add(value, 1);
    key = BYTES;
    value = counts.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, len);
    return XDP_ACTION;
}
