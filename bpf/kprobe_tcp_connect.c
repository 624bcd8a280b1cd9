// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, kprobes: a breakpoint on (almost) any kernel function, here tcp_connect(), which
// sends a connection's SYN. BCC attaches kprobe__<function> by its name when the program is
// built. All it is given is the function's argument, a struct sock: addresses and ports, no packet.
// Kernels built without CONFIG_KPROBES cannot load this; lab 08 checks the doctor first.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <net/sock.h>

// A knob from Python: count only this process's connections (the notebook's own).
#ifndef TARGET_PID
#define TARGET_PID 0
#endif

BPF_ARRAY(connects, u64, 1);

int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk)
{
    if (TARGET_PID && (bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    connects.atomic_increment(0);
    return 0;
}
