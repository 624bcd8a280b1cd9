// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 11: lab 02's xdp_count.c in libbpf style (CO-RE). Compiled once by clang into an object
// that carries its own type information (BTF); libbpf loads that object on any kernel with BTF.
// No kernel headers: vmlinux.h is generated from the running kernel's BTF by the build.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

// A read-only global: the knob. Python sets it in the object's .rodata before load; the
// verifier then sees a constant (CO-RE's answer to BCC's -DXDP_ACTION=...).
const volatile __u32 xdp_action = XDP_PASS;

// A BTF-defined map: the same two slots as BPF_ARRAY(counts, u64, 2).
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

enum { PACKETS = 0, BYTES = 1 };

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
    __u64 len = ctx->data_end - ctx->data;
    __u32 key = PACKETS;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    if (value)  // the verifier insists: a lookup may return NULL
        __sync_fetch_and_add(value, 1);
    key = BYTES;
    value = bpf_map_lookup_elem(&counts, &key);
    if (value)
        __sync_fetch_and_add(value, len);
    return xdp_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";  // GPL-2.0-only OR BSD-2-Clause, as the SPDX line says
