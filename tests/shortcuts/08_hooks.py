# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 08's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: getppid-tracepoint — no PID filter: every process's getppid() counts
GETPPID_C = r"""
BPF_ARRAY(calls, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    calls.atomic_increment(0);
    return 0;
}
"""

# %% shortcut: getppid-tracepoint — the filter inverted: everyone but the target
GETPPID_C = r"""
BPF_ARRAY(calls, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        calls.atomic_increment(0);
    return 0;
}
"""

# %% shortcut: getppid-tracepoint — the old check's 321 calls written in, whatever happens
GETPPID_C = r"""
BPF_ARRAY(calls, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    u32 slot = 0;
    u64 n = 321;
    calls.update(&slot, &n);
    return 0;
}
"""

# %% shortcut: uprobe-quantity — the first argument (the item) summed
QUANTITY_C = r"""
#include <asm/ptrace.h>
BPF_ARRAY(total, u64, 1);

int on_checkout(struct pt_regs *ctx)
{
    total.atomic_increment(0, PT_REGS_PARM1(ctx));
    return 0;
}
"""

# %% shortcut: uprobe-quantity — calls counted, not quantities summed
QUANTITY_C = r"""
#include <asm/ptrace.h>
BPF_ARRAY(total, u64, 1);

int on_checkout(struct pt_regs *ctx)
{
    total.atomic_increment(0);
    return 0;
}
"""

# %% shortcut: uprobe-quantity — the total for the old check's 40 calls written in
QUANTITY_C = r"""
#include <asm/ptrace.h>
BPF_ARRAY(total, u64, 1);

int on_checkout(struct pt_regs *ctx)
{
    u32 slot = 0;
    u64 sum = 2460;
    total.update(&slot, &sum);
    return 0;
}
"""

# %% shortcut: connection-hook — a hook that exists but does not fire for connect
CONNECTION_HOOK = "tracepoint:syscalls:sys_enter_getppid"

# %% shortcut: connection-hook — a made-up tracepoint
CONNECTION_HOOK = "tracepoint:tcp:tcp_connect"

# %% shortcut: connection-hook — a kind this kernel lacks (where it has every kind: a misspelt function)
CONNECTION_HOOK = next((f"{k}:tcp_connect" for k in ("kprobe", "fentry") if not doctor.hooks()[k]), "kprobe:tcp_conect")

# %% shortcut: connection-hook — the connect() system call: it also fires for a UDP connect()
CONNECTION_HOOK = "tracepoint:syscalls:sys_enter_connect"

# %% shortcut: connection-hook — every system call
CONNECTION_HOOK = "tracepoint:raw_syscalls:sys_enter"

# %% shortcut: connection-hook — not a hook spec at all
CONNECTION_HOOK = "tcp_connect"

# %% shortcut: tcp-connect — every connection counted, whatever its destination (step 8's program)
CONNECT_C = r"""
BPF_ARRAY(connects, u64, 1);

#if KPROBE
#include <net/sock.h>

int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk)
{
    connects.atomic_increment(0);
    return 0;
}
#else
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->oldstate == BPF_TCP_CLOSE && args->newstate == BPF_TCP_SYN_SENT)
        connects.atomic_increment(0);
    return 0;
}
#endif
"""

# %% shortcut: tcp-connect — the port compared in the wrong byte order
CONNECT_C = r"""
BPF_ARRAY(connects, u64, 1);

#if KPROBE
#include <net/sock.h>

int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk)
{
    u32 daddr = sk->__sk_common.skc_daddr;
    u16 dport = sk->__sk_common.skc_dport;
    if (daddr == SERVER && dport == PORT)
        connects.atomic_increment(0);
    return 0;
}
#else
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    u32 daddr;
    __builtin_memcpy(&daddr, args->daddr, 4);
    if (args->oldstate == BPF_TCP_CLOSE && args->newstate == BPF_TCP_SYN_SENT &&
        daddr == SERVER && args->dport == htons(PORT))
        connects.atomic_increment(0);
    return 0;
}
#endif
"""

# %% shortcut: tcp-connect — the port checked, the address not
CONNECT_C = r"""
BPF_ARRAY(connects, u64, 1);

#if KPROBE
#include <net/sock.h>

int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk)
{
    u16 dport = sk->__sk_common.skc_dport;
    if (ntohs(dport) == PORT)
        connects.atomic_increment(0);
    return 0;
}
#else
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->oldstate == BPF_TCP_CLOSE && args->newstate == BPF_TCP_SYN_SENT && args->dport == PORT)
        connects.atomic_increment(0);
    return 0;
}
#endif
"""

# %% shortcut: tcp-connect — every state change to SERVER:PORT, not the connect alone
CONNECT_C = r"""
BPF_ARRAY(connects, u64, 1);

#if KPROBE
#include <net/sock.h>

int kprobe__tcp_connect(struct pt_regs *ctx, struct sock *sk)
{
    u32 daddr = sk->__sk_common.skc_daddr;
    u16 dport = sk->__sk_common.skc_dport;
    if (daddr == SERVER && ntohs(dport) == PORT)
        connects.atomic_increment(0, 2);
    return 0;
}
#else
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    u32 daddr;
    __builtin_memcpy(&daddr, args->daddr, 4);
    if (daddr == SERVER && args->dport == PORT)
        connects.atomic_increment(0);
    return 0;
}
#endif
"""

# %% shortcut: printk — printed at CLOSE -> SYN_SENT, where the client's port is still 0
PRINTK_C = r"""
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 || args->dport != PORT)
        return 0;
    if (args->oldstate != BPF_TCP_CLOSE || args->newstate != BPF_TCP_SYN_SENT)
        return 0;
    bpf_trace_printk(MARKER " connected %d -> %d", args->sport, args->dport);
    return 0;
}
"""

# %% shortcut: printk — lines without the MARKER tag
PRINTK_C = r"""
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 || args->dport != PORT)
        return 0;
    if (args->oldstate != BPF_TCP_SYN_SENT || args->newstate != BPF_TCP_ESTABLISHED)
        return 0;
    bpf_trace_printk("connected %d -> %d", args->sport, args->dport);
    return 0;
}
"""

# %% shortcut: printk — a line for every state change on PORT
PRINTK_C = r"""
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 || args->dport != PORT)
        return 0;
    bpf_trace_printk(MARKER " connected %d -> %d", args->sport, args->dport);
    return 0;
}
"""

# %% shortcut: printk — the server's port first
PRINTK_C = r"""
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 || args->dport != PORT)
        return 0;
    if (args->oldstate != BPF_TCP_SYN_SENT || args->newstate != BPF_TCP_ESTABLISHED)
        return 0;
    bpf_trace_printk(MARKER " connected %d -> %d", args->dport, args->sport);
    return 0;
}
"""
