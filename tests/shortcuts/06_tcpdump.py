# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 06's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: kernel-filter — ICMP forgotten
FILTER = "tcp and port 8001"

# %% shortcut: kernel-filter — UDP on port 8001 kept too
FILTER = "port 8001 or icmp"

# %% shortcut: kernel-filter — one direction only
FILTER = "(tcp and dst port 8001) or icmp"

# %% shortcut: kernel-filter — IPv4 TCP only
FILTER = "(ip and tcp and port 8001) or icmp"

# %% shortcut: kernel-filter — no filter: everything kept
FILTER = ""

# %% shortcut: tcp-flags — the kit's own table, TCP_FLAGS
from ebpflab.tcpdump.print.transport import TCP_FLAGS  # noqa: E402 (a cell of its own in the notebook)


def tcp_flags(byte: int) -> str:
    return "".join(c for bit, c in TCP_FLAGS if byte & bit) or "none"


# %% shortcut: tcp-flags — ACK as A, not tcpdump's dot
def tcp_flags(byte: int) -> str:
    return "".join(c for bit, c in enumerate("FSRPAUEW") if byte >> bit & 1) or "none"


# %% shortcut: tcp-flags — an empty string for no flags
def tcp_flags(byte: int) -> str:
    return "".join(c for bit, c in enumerate("FSRP.UEW") if byte >> bit & 1)


# %% shortcut: capture — nothing captured: return XDP_PASS alone
CAPTURE_C = r"""
#include <uapi/linux/bpf.h>

// Knobs, set by the check with Program(..., defines=...): SNAPLEN (bytes kept per packet at most), RING_PAGES.
// One record is one pcap record, as in xdp_capture.c: the header tcpdump's files use, then the bytes.
struct pcap_rec {
    u32 ts_sec;     // bpf_ktime_get_ns(), in whole seconds...
    u32 ts_usec;    // ...and the microseconds after them
    u32 caplen;     // bytes copied into data[]: the packet's length, at most SNAPLEN
    u32 len;        // the packet's length on the wire
    u8 data[SNAPLEN];
};
BPF_RINGBUF_OUTPUT(events, RING_PAGES);
BPF_ARRAY(dropped, u64, 1);   // [0]: packets the ring had no room for, or that could not be copied

int capture(struct xdp_md *ctx)
{
    return XDP_PASS;
}
"""

# %% shortcut: capture — a full ring is not counted as a drop
CAPTURE_C = r"""
#include <uapi/linux/bpf.h>

// Knobs, set by the check with Program(..., defines=...): SNAPLEN (bytes kept per packet at most), RING_PAGES.
// One record is one pcap record, as in xdp_capture.c: the header tcpdump's files use, then the bytes.
struct pcap_rec {
    u32 ts_sec;     // bpf_ktime_get_ns(), in whole seconds...
    u32 ts_usec;    // ...and the microseconds after them
    u32 caplen;     // bytes copied into data[]: the packet's length, at most SNAPLEN
    u32 len;        // the packet's length on the wire
    u8 data[SNAPLEN];
};
BPF_RINGBUF_OUTPUT(events, RING_PAGES);
BPF_ARRAY(dropped, u64, 1);   // [0]: packets the ring had no room for, or that could not be copied

int capture(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    u32 len = data_end - data;
    u32 zero = 0;
    struct pcap_rec *rec = events.ringbuf_reserve(sizeof(struct pcap_rec));
    if (!rec) {   // the ring is full: user space is behind
        return XDP_PASS;
    }
    u64 now = bpf_ktime_get_ns();
    rec->ts_sec = now / 1000000000;
    rec->ts_usec = now % 1000000000 / 1000;
    rec->len = len;
    u32 n = len < SNAPLEN ? len : SNAPLEN;
    rec->caplen = n;
    // The verifier must see the copy's length in 1..SNAPLEN: the empty asm keeps clang from dropping the test.
    u64 m = n - 1;
    asm volatile("" : "+r"(m));
    if (m >= SNAPLEN || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        events.ringbuf_discard(rec, 0);   // a reservation must be submitted or discarded on every path
        u64 *d = dropped.lookup(&zero);
        if (d)
            __sync_fetch_and_add(d, 1);
        return XDP_PASS;
    }
    events.ringbuf_submit(rec, 0);
    return XDP_PASS;
}
"""

# %% shortcut: capture — always SNAPLEN bytes copied: short frames fail the copy
CAPTURE_C = r"""
#include <uapi/linux/bpf.h>

// Knobs, set by the check with Program(..., defines=...): SNAPLEN (bytes kept per packet at most), RING_PAGES.
// One record is one pcap record, as in xdp_capture.c: the header tcpdump's files use, then the bytes.
struct pcap_rec {
    u32 ts_sec;     // bpf_ktime_get_ns(), in whole seconds...
    u32 ts_usec;    // ...and the microseconds after them
    u32 caplen;     // bytes copied into data[]: the packet's length, at most SNAPLEN
    u32 len;        // the packet's length on the wire
    u8 data[SNAPLEN];
};
BPF_RINGBUF_OUTPUT(events, RING_PAGES);
BPF_ARRAY(dropped, u64, 1);   // [0]: packets the ring had no room for, or that could not be copied

int capture(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    u32 len = data_end - data;
    u32 zero = 0;
    struct pcap_rec *rec = events.ringbuf_reserve(sizeof(struct pcap_rec));
    if (!rec) {   // the ring is full: user space is behind
        u64 *n = dropped.lookup(&zero);
        if (n)
            __sync_fetch_and_add(n, 1);
        return XDP_PASS;
    }
    u64 now = bpf_ktime_get_ns();
    rec->ts_sec = now / 1000000000;
    rec->ts_usec = now % 1000000000 / 1000;
    rec->len = len;
    u32 n = SNAPLEN;
    rec->caplen = n;
    // The verifier must see the copy's length in 1..SNAPLEN: the empty asm keeps clang from dropping the test.
    u64 m = n - 1;
    asm volatile("" : "+r"(m));
    if (m >= SNAPLEN || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        events.ringbuf_discard(rec, 0);   // a reservation must be submitted or discarded on every path
        u64 *d = dropped.lookup(&zero);
        if (d)
            __sync_fetch_and_add(d, 1);
        return XDP_PASS;
    }
    events.ringbuf_submit(rec, 0);
    return XDP_PASS;
}
"""

# %% shortcut: capture — caplen not capped at SNAPLEN
CAPTURE_C = r"""
#include <uapi/linux/bpf.h>

// Knobs, set by the check with Program(..., defines=...): SNAPLEN (bytes kept per packet at most), RING_PAGES.
// One record is one pcap record, as in xdp_capture.c: the header tcpdump's files use, then the bytes.
struct pcap_rec {
    u32 ts_sec;     // bpf_ktime_get_ns(), in whole seconds...
    u32 ts_usec;    // ...and the microseconds after them
    u32 caplen;     // bytes copied into data[]: the packet's length, at most SNAPLEN
    u32 len;        // the packet's length on the wire
    u8 data[SNAPLEN];
};
BPF_RINGBUF_OUTPUT(events, RING_PAGES);
BPF_ARRAY(dropped, u64, 1);   // [0]: packets the ring had no room for, or that could not be copied

int capture(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    u32 len = data_end - data;
    u32 zero = 0;
    struct pcap_rec *rec = events.ringbuf_reserve(sizeof(struct pcap_rec));
    if (!rec) {   // the ring is full: user space is behind
        u64 *n = dropped.lookup(&zero);
        if (n)
            __sync_fetch_and_add(n, 1);
        return XDP_PASS;
    }
    u64 now = bpf_ktime_get_ns();
    rec->ts_sec = now / 1000000000;
    rec->ts_usec = now % 1000000000 / 1000;
    rec->len = len;
    u32 n = len < SNAPLEN ? len : SNAPLEN;
    rec->caplen = len;
    // The verifier must see the copy's length in 1..SNAPLEN: the empty asm keeps clang from dropping the test.
    u64 m = n - 1;
    asm volatile("" : "+r"(m));
    if (m >= SNAPLEN || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        events.ringbuf_discard(rec, 0);   // a reservation must be submitted or discarded on every path
        u64 *d = dropped.lookup(&zero);
        if (d)
            __sync_fetch_and_add(d, 1);
        return XDP_PASS;
    }
    events.ringbuf_submit(rec, 0);
    return XDP_PASS;
}
"""

# %% shortcut: capture — the time in nanoseconds where microseconds belong
CAPTURE_C = r"""
#include <uapi/linux/bpf.h>

// Knobs, set by the check with Program(..., defines=...): SNAPLEN (bytes kept per packet at most), RING_PAGES.
// One record is one pcap record, as in xdp_capture.c: the header tcpdump's files use, then the bytes.
struct pcap_rec {
    u32 ts_sec;     // bpf_ktime_get_ns(), in whole seconds...
    u32 ts_usec;    // ...and the microseconds after them
    u32 caplen;     // bytes copied into data[]: the packet's length, at most SNAPLEN
    u32 len;        // the packet's length on the wire
    u8 data[SNAPLEN];
};
BPF_RINGBUF_OUTPUT(events, RING_PAGES);
BPF_ARRAY(dropped, u64, 1);   // [0]: packets the ring had no room for, or that could not be copied

int capture(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    u32 len = data_end - data;
    u32 zero = 0;
    struct pcap_rec *rec = events.ringbuf_reserve(sizeof(struct pcap_rec));
    if (!rec) {   // the ring is full: user space is behind
        u64 *n = dropped.lookup(&zero);
        if (n)
            __sync_fetch_and_add(n, 1);
        return XDP_PASS;
    }
    u64 now = bpf_ktime_get_ns();
    rec->ts_sec = now / 1000000000;
    rec->ts_usec = now % 1000000000;
    rec->len = len;
    u32 n = len < SNAPLEN ? len : SNAPLEN;
    rec->caplen = n;
    // The verifier must see the copy's length in 1..SNAPLEN: the empty asm keeps clang from dropping the test.
    u64 m = n - 1;
    asm volatile("" : "+r"(m));
    if (m >= SNAPLEN || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        events.ringbuf_discard(rec, 0);   // a reservation must be submitted or discarded on every path
        u64 *d = dropped.lookup(&zero);
        if (d)
            __sync_fetch_and_add(d, 1);
        return XDP_PASS;
    }
    events.ringbuf_submit(rec, 0);
    return XDP_PASS;
}
"""


# %% shortcut: ring-bytes — the 60-byte packet of step 8, for every packet
def ring_bytes(wire_len: int, snaplen: int) -> int:
    return 88


# %% shortcut: ring-bytes — no padding to 8 bytes
def ring_bytes(wire_len: int, snaplen: int) -> int:
    """Bytes of ring one packet takes: the ring's 8-byte header, the pcap header, the bytes kept, padded to 8."""
    return 8 + 16 + min(wire_len, snaplen)


# %% shortcut: ring-bytes — the snap length ignored
def ring_bytes(wire_len: int, snaplen: int) -> int:
    """Bytes of ring one packet takes: the ring's 8-byte header, the pcap header, the bytes kept, padded to 8."""
    return (8 + 16 + wire_len + 7) // 8 * 8


# %% shortcut: ring-bytes — the ring's own header forgotten
def ring_bytes(wire_len: int, snaplen: int) -> int:
    """Bytes of ring one packet takes: the ring's 8-byte header, the pcap header, the bytes kept, padded to 8."""
    return (16 + min(wire_len, snaplen) + 7) // 8 * 8
