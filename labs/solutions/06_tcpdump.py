# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/06_tcpdump.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: kernel-filter
FILTER = "(tcp and port 8001) or icmp"


# %% exercise: tcp-flags
def tcp_flags(byte: int) -> str:
    letters = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")]
    return "".join(c for bit, c in letters if byte & bit) or "none"


# %% exercise: capture
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


# %% exercise: ring-bytes
def ring_bytes(wire_len: int, snaplen: int) -> int:
    """Bytes of ring one packet takes: the ring's 8-byte header, the pcap header, the bytes kept, padded to 8."""
    return (8 + 16 + min(wire_len, snaplen) + 7) // 8 * 8
