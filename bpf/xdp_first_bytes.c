// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, why XDP for a tcpdump: XDP sees the whole frame before the stack does, even one the
// stack will drop. This program sends the length and the first SNAP bytes of each frame to
// user space through a ring buffer.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

#define SNAP 128

struct frame {
    u32 len;
    u32 caplen;
    u8 data[SNAP];
};
BPF_RINGBUF_OUTPUT(frames, 64);

int xdp_first_bytes(struct xdp_md *ctx)
{
    struct frame *f = frames.ringbuf_reserve(sizeof(struct frame));
    if (!f)
        return XDP_PASS;
    f->len = ctx->data_end - ctx->data;
    u32 caplen = f->len < SNAP ? f->len : SNAP;
    // The verifier wants the length provably in 1..SNAP: a mask proves it. The empty asm hides
    // the range from clang, which would otherwise drop the mask as redundant.
    asm volatile("" : "+r"(caplen));
    caplen = ((caplen - 1) & (SNAP - 1)) + 1;
    if (bpf_xdp_load_bytes(ctx, 0, f->data, caplen) != 0)
        caplen = 0;
    f->caplen = caplen;
    frames.ringbuf_submit(f, 0);
    return XDP_PASS;
}
