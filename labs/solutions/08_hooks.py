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

# %% exercise: connection-hook
# Found with `bpftrace -l 'tracepoint:sock:*'` and `-lv`: a socket's state changes, CLOSE -> SYN_SENT when it
# connects. It is there on every kernel since 4.16; where the kernel has kprobes, "kprobe:tcp_connect" works too.
CONNECTION_HOOK = "tracepoint:sock:inet_sock_set_state"

# %% exercise: tcp-connect
CONNECT_C = r"""
BPF_ARRAY(connects, u64, 1);   // slot 0: connections to SERVER:PORT

#if KPROBE
#include <net/sock.h>

int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk)
{
    u32 daddr = sk->__sk_common.skc_daddr;   // BCC reads these with bpf_probe_read_kernel
    u16 dport = sk->__sk_common.skc_dport;   // network byte order
    if (daddr != SERVER)
        return 0;
    if (ntohs(dport) != PORT)
        return 0;
    connects.atomic_increment(0);
    return 0;
}
#else
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6)   // IPPROTO_TCP
        return 0;
    if (args->oldstate != BPF_TCP_CLOSE || args->newstate != BPF_TCP_SYN_SENT)
        return 0;
    u32 daddr;
    __builtin_memcpy(&daddr, args->daddr, 4);
    if (daddr != SERVER || args->dport != PORT)   // the tracepoint's ports are in host order already
        return 0;
    connects.atomic_increment(0);
    return 0;
}
#endif
"""

# %% exercise: printk
PRINTK_C = r"""
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 || args->dport != PORT)
        return 0;
    if (args->oldstate != BPF_TCP_SYN_SENT || args->newstate != BPF_TCP_ESTABLISHED)
        return 0;
    bpf_trace_printk(MARKER " connected %d -> %d", args->sport, args->dport);
    return 0;
}
"""
