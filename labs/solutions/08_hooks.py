# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/08_hooks.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: getppid-tracepoint
GETPPID_C = r"""
BPF_ARRAY(calls, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
        calls.atomic_increment(0);
    return 0;
}
"""

# %% exercise: uprobe-quantity
QUANTITY_C = r"""
#include <asm/ptrace.h>
BPF_ARRAY(total, u64, 1);

int on_checkout(struct pt_regs *ctx)
{
    total.atomic_increment(0, PT_REGS_PARM2(ctx));
    return 0;
}
"""
