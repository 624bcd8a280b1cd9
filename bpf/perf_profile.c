// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, perf events: a timer (the software cpu-clock event) interrupts each CPU SAMPLE_HZ
// times a second; each time, this program records the user-space stack of what was running.
// Counting identical stacks is a profiler: the hottest functions collect the most samples.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf_perf_event.h>

// A knob from Python: only this process is profiled (0: every process).
#ifndef TARGET_PID
#define TARGET_PID 0
#endif

struct sample {
    u32 pid;
    s32 user_stack;  // an id in `stacks`, or a negative error (e.g. kernel-only samples)
};
BPF_STACK_TRACE(stacks, 1024);
BPF_HASH(samples, struct sample, u64, 1024);

int perf_profile(struct bpf_perf_event_data *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (TARGET_PID && pid != TARGET_PID)
        return 0;
    struct sample s = {.pid = pid};
    s.user_stack = stacks.get_stackid(&ctx->regs, BPF_F_USER_STACK);
    samples.increment(s);
    return 0;
}
