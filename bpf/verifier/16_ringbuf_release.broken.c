// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 16 (broken). Rule: every ring-buffer reservation must be submitted or
// discarded on every path.
// Expect: rejected
// Category: reference-leak
// A reservation is a reference the program holds; on the short-packet path it is neither
// submitted nor discarded, which would leak ring-buffer space forever.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_RINGBUF_OUTPUT(events, 1);

int broken(struct xdp_md *ctx)
{
    __u32 *len = events.ringbuf_reserve(sizeof(*len));
    if (!len)
        return XDP_PASS;
    *len = ctx->data_end - ctx->data;
    if (*len > 100)
        events.ringbuf_submit(len, 0);
    return XDP_PASS;  // short packets: the reservation leaks
}
