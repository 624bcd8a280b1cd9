// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, fentry: the same probe on tcp_connect() as kprobe_tcp_connect.c, attached through a
// BPF trampoline described by the kernel's BTF instead of a breakpoint: cheaper, and typed.
// BCC (KFUNC_PROBE) attaches it when the program is built. It needs BTF and ftrace's direct calls.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <net/sock.h>

#ifndef TARGET_PID
#define TARGET_PID 0
#endif

BPF_ARRAY(connects, u64, 1);

KFUNC_PROBE(tcp_connect, struct sock *sk)
{
    if (TARGET_PID && (bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    connects.atomic_increment(0);
    return 0;
}
