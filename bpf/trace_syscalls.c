// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, tracepoints: raw_syscalls:sys_enter fires on every system call of every process.
// Its fields (args->id, args->args[6]) come from the tracepoint's format file in tracefs;
// BCC reads that file and gives TRACEPOINT_PROBE an `args` struct with exactly those fields.

// A knob from Python: the pid whose system calls are also counted by number (0: nobody).
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#ifndef TARGET_PID
#define TARGET_PID 0
#endif

struct proc {
    u32 pid;
    char comm[16];
};
BPF_HASH(per_process, struct proc, u64, 4096);  // every process: how many system calls
BPF_HASH(target_calls, u32, u64, 512);          // TARGET_PID only: system call number -> count

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    struct proc p = {.pid = bpf_get_current_pid_tgid() >> 32};
    bpf_get_current_comm(&p.comm, sizeof(p.comm));
    per_process.increment(p);
    if (TARGET_PID && p.pid == TARGET_PID) {
        u32 nr = args->id;
        target_calls.increment(nr);
    }
    return 0;
}
