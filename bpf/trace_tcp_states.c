// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, tracepoints: sock:inet_sock_set_state fires whenever a TCP socket changes state.
// What it offers is what `struct sock` holds: addresses, ports, old and new state. No packet.

// A knob from Python: only sockets on this port (either end) are reported, so that the
// lab sees its own connections and not the rest of the machine's.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#ifndef PORT
#define PORT 8080
#endif

struct change {
    u64 skaddr;  // identifies the socket (a kernel address, used only as a key)
    u64 ns;      // when, in nanoseconds since boot
    u32 saddr, daddr;
    u16 sport, dport;
    s32 oldstate, newstate;
};
BPF_RINGBUF_OUTPUT(changes, 16);  // 16 pages

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 /* IPPROTO_TCP */ || (args->sport != PORT && args->dport != PORT))
        return 0;
    struct change *c = changes.ringbuf_reserve(sizeof(struct change));
    if (!c)
        return 0;
    c->skaddr = (u64)args->skaddr;
    c->ns = bpf_ktime_get_ns();
    __builtin_memcpy(&c->saddr, args->saddr, 4);
    __builtin_memcpy(&c->daddr, args->daddr, 4);
    c->sport = args->sport;
    c->dport = args->dport;
    c->oldstate = args->oldstate;
    c->newstate = args->newstate;
    changes.ringbuf_submit(c, 0);
    return 0;
}
