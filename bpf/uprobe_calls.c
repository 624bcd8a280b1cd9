// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, uprobes: a breakpoint on a function of a user-space program. The kernel runs
// on_checkout() every time the traced process enters checkout(item, quantity), and
// on_checkout_return() when it returns; pt_regs hold the arguments and the return value.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <asm/ptrace.h>

struct call {
    u32 pid;
    s32 item;
    s32 quantity;
};
BPF_RINGBUF_OUTPUT(calls, 16);
BPF_ARRAY(totals, u64, 2);  // 0: calls seen, 1: sum of the return values

int on_checkout(struct pt_regs *ctx)
{
    struct call *c = calls.ringbuf_reserve(sizeof(struct call));
    if (c) {
        c->pid = bpf_get_current_pid_tgid() >> 32;
        c->item = PT_REGS_PARM1(ctx);      // first argument (rdi on x86-64, x0 on arm64)
        c->quantity = PT_REGS_PARM2(ctx);  // second argument (rsi, x1)
        calls.ringbuf_submit(c, 0);
    }
    totals.atomic_increment(0);
    return 0;
}

int on_checkout_return(struct pt_regs *ctx)
{
    totals.atomic_increment(1, PT_REGS_RC(ctx));
    return 0;
}
