// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 11: TCP state changes (lab 08's tracepoint) in libbpf style, reading the kernel's
// struct sock with BPF_CORE_READ. The field's offset is recorded in the object as a CO-RE
// relocation and fixed by libbpf at load time for the kernel it runs on: no headers needed.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// The knob: only sockets whose local port is this one are counted (set from Python before load).
const volatile __u16 port = 8080;

// changes[new state]: how many times a counted socket entered each TCP state (1..12).
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} changes SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_states(struct trace_event_raw_inet_sock_set_state *ctx)
{
    const struct sock *sk = ctx->skaddr;
    // The tracepoint reports the ports too; reading struct sock shows what a kprobe or
    // fentry program would do: follow a kernel pointer at an offset CO-RE relocates.
    __u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
    if (ctx->protocol != IPPROTO_TCP || lport != port)
        return 0;
    __u32 key = ctx->newstate & 15;
    __u64 *n = bpf_map_lookup_elem(&changes, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";  // GPL-2.0-only OR BSD-2-Clause, as the SPDX line says
