// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 05 (broken). Rule: every stack access must stay inside the buffer
// (and the whole stack is at most 512 bytes).
// Expect: rejected
// Category: stack-bounds
// The helper is told to copy 64 bytes into a 16-byte buffer; the verifier checks the size
// argument against the stack slot. (A local buffer larger than 512 bytes does not even
// compile: clang stops with "BPF stack limit of 512 bytes is exceeded".)
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    char buf[16];
    if (bpf_xdp_load_bytes(ctx, 0, buf, 64))  // 64 > sizeof(buf)
        return XDP_PASS;
    return buf[0] ? XDP_PASS : XDP_DROP;
}
