# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/11_toolchains.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: knob
KNOBS = {"xdp_action": XDP_DROP}

# %% exercise: core-read
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
    if (ctx->newstate != 1 /* TCP_ESTABLISHED */ || lport != port)
        return 0;
    __u64 *n = bpf_map_lookup_elem(&established, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""

# %% exercise: children
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

    if (ppid != parent_tgid)
        return 0;
    n = bpf_map_lookup_elem(&execs, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
"""
