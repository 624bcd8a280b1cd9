# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 11's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: knob — XDP_PASS, the default: the pings come back
KNOBS = {"xdp_action": 2}


# %% shortcut: knob — XDP_ABORTED drops too, but reports a failure to every tracer
KNOBS = {"xdp_action": 0}


# %% shortcut: knob — a name the object does not have
KNOBS = {"action": XDP_DROP}


# %% shortcut: knob — the name of the constant as a string, not its value
KNOBS = {"xdp_action": "XDP_DROP"}


# %% shortcut: core-read — the port read, then the knob put in its place: every socket that enters ESTABLISHED counts
CORE_READ_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u16 port = 0;
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} established SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_established(struct trace_event_raw_inet_sock_set_state *ctx)
{
    const struct sock *sk = ctx->skaddr;
    __u16 num = BPF_CORE_READ(sk, __sk_common.skc_num);
    __u16 lport = port;
    __u32 key = 0;
    if (ctx->newstate != 1 /* TCP_ESTABLISHED */ || lport != port)
        return 0;
    __u64 *n = bpf_map_lookup_elem(&established, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: core-read — the port hard-coded in C instead of the knob
CORE_READ_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u16 port = 0;
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} established SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_established(struct trace_event_raw_inet_sock_set_state *ctx)
{
    const struct sock *sk = ctx->skaddr;
    __u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
    __u32 key = 0;
    if (ctx->newstate != 1 /* TCP_ESTABLISHED */ || lport != 8080)
        return 0;
    __u64 *n = bpf_map_lookup_elem(&established, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: core-read — the remote port (skc_dport, network byte order), not the local one
CORE_READ_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u16 port = 0;
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} established SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_established(struct trace_event_raw_inet_sock_set_state *ctx)
{
    const struct sock *sk = ctx->skaddr;
    __u16 lport = BPF_CORE_READ(sk, __sk_common.skc_dport);
    __u32 key = 0;
    if (ctx->newstate != 1 /* TCP_ESTABLISHED */ || lport != port)
        return 0;
    __u64 *n = bpf_map_lookup_elem(&established, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: core-read — a direct dereference of the tracepoint's pointer: the verifier refuses it
CORE_READ_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u16 port = 0;
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} established SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_established(struct trace_event_raw_inet_sock_set_state *ctx)
{
    const struct sock *sk = ctx->skaddr;
    __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    __u16 lport = sk->__sk_common.skc_num;
    __u32 key = 0;
    if (ctx->newstate != 1 /* TCP_ESTABLISHED */ || lport != port)
        return 0;
    __u64 *n = bpf_map_lookup_elem(&established, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: children — no filter: every exec on the machine counts
CHILDREN_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 parent_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} execs SEC(".maps");

SEC("tp/sched/sched_process_exec")
int count_execs(struct trace_event_raw_sched_process_exec *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u32 ppid = parent_tgid;
    __u32 key = 0;
    __u64 *n;

    if (ppid != parent_tgid)
        return 0;
    n = bpf_map_lookup_elem(&execs, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: children — the knob hard-coded in C (PID 1) instead of the read-only global
CHILDREN_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 parent_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} execs SEC(".maps");

SEC("tp/sched/sched_process_exec")
int count_execs(struct trace_event_raw_sched_process_exec *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
    __u32 key = 0;
    __u64 *n;

    if (ppid != 1)
        return 0;
    n = bpf_map_lookup_elem(&execs, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: children — a direct dereference of task->real_parent: the verifier refuses it
CHILDREN_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 parent_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} execs SEC(".maps");

SEC("tp/sched/sched_process_exec")
int count_execs(struct trace_event_raw_sched_process_exec *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u32 ppid = task->real_parent->tgid;
    __u32 key = 0;
    __u64 *n;

    if (ppid != parent_tgid)
        return 0;
    n = bpf_map_lookup_elem(&execs, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: children — the tgid of the task that calls execve, not of its parent
CHILDREN_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 parent_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} execs SEC(".maps");

SEC("tp/sched/sched_process_exec")
int count_execs(struct trace_event_raw_sched_process_exec *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u32 ppid = bpf_get_current_pid_tgid() >> 32;
    __u32 key = 0;
    __u64 *n;

    if (ppid != parent_tgid)
        return 0;
    n = bpf_map_lookup_elem(&execs, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: children — an ordinary global, not a read-only one: Python cannot set it before load
CHILDREN_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

__u32 parent_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} execs SEC(".maps");

SEC("tp/sched/sched_process_exec")
int count_execs(struct trace_event_raw_sched_process_exec *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
    __u32 key = 0;
    __u64 *n;

    if (ppid != parent_tgid)
        return 0;
    n = bpf_map_lookup_elem(&execs, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: core-read — the tracepoint's own sport field; BPF_CORE_READ( named only in a comment
CORE_READ_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u16 port = 0;
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} established SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_established(struct trace_event_raw_inet_sock_set_state *ctx)
{
    const struct sock *sk = ctx->skaddr;
    __u16 lport = ctx->sport;  // instead of BPF_CORE_READ(sk, __sk_common.skc_num)
    __u32 key = 0;
    if (ctx->newstate != 1 /* TCP_ESTABLISHED */ || lport != port)
        return 0;
    __u64 *n = bpf_map_lookup_elem(&established, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""


# %% shortcut: children — the knob declared, the function a constant: nothing is counted
CHILDREN_C = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 parent_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} execs SEC(".maps");

SEC("tp/sched/sched_process_exec")
int count_execs(struct trace_event_raw_sched_process_exec *ctx)
{
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""
