// Lab 06: tcpdump on XDP. Copy every packet (up to the snap length) into a BPF ring buffer.
// User space (ebpflab/capture.py) reads the records, writes pcap files and prints them.
// Capture never changes the traffic: the program always returns XDP_PASS.
#include "parsing.h"   // lab 04's parse_packet(), for the protocol breakdown

// Knobs set from Python (ebpflab.capture.Capture):
#ifndef CAP_BYTES          // bytes copied at most per packet: min(snap length, MTU + headers)
#define CAP_BYTES 1536
#endif
#ifndef RING_PAGES         // ring buffer size in pages (a power of two)
#define RING_PAGES 1024
#endif

// One record in the ring buffer: a fixed header, then the packet's first bytes.
struct cap_rec {
    u64 ts_ns;      // bpf_ktime_get_ns(): CLOCK_MONOTONIC, turned into wall-clock in user space
    u32 len;        // length of the packet on the wire
    u32 caplen;     // bytes copied into data[]
    u32 ifindex;
    u32 pad;
    u8 data[CAP_BYTES];
};

BPF_RINGBUF_OUTPUT(events, RING_PAGES);

// Counters, per CPU so that two CPUs never fight over one cache line.
enum { SEEN = 0, CAPTURED = 1, DROPPED = 2, FILTERED = 3, NSTATS = 4 };
BPF_PERCPU_ARRAY(stats, u64, NSTATS);

static __always_inline void count(int key)
{
    u64 *v = stats.lookup(&key);
    if (v)
        *v += 1;
}

// What arrived, by protocol: every packet seen, including those filtered out or dropped.
enum { P_ARP, P_TCP, P_UDP, P_ICMP, P_ICMP6, P_IP4_OTHER, P_IP6_OTHER, P_OTHER, P_MALFORMED, NPROTO };
BPF_PERCPU_ARRAY(protocols, u64, NPROTO);

static __always_inline void count_protocol(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    int key = P_OTHER;
    if (parse_packet(ctx, &pkt) < 0 || pkt.malformed)
        key = P_MALFORMED;
    else if (pkt.l4_proto == IPPROTO_TCP)
        key = P_TCP;
    else if (pkt.l4_proto == IPPROTO_UDP)
        key = P_UDP;
    else if (pkt.l4_proto == IPPROTO_ICMP)
        key = P_ICMP;
    else if (pkt.l4_proto == IPPROTO_ICMPV6)
        key = P_ICMP6;
    else if (pkt.ip_version == 4)
        key = P_IP4_OTHER;
    else if (pkt.ip_version == 6)
        key = P_IP6_OTHER;
    else if (pkt.eth_proto == ETH_P_ARP)
        key = P_ARP;
    u64 *v = protocols.lookup(&key);
    if (v)
        *v += 1;
}

// The filter: generated C from a tcpdump expression (ebpflab/capfilter.py), or "keep all".
#ifdef CAPTURE_FILTER
#include CAPTURE_FILTER
#else
static __always_inline int capture_filter(void *data, void *data_end) { return 1; }
#endif

int xdp_capture(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    u32 len = data_end - data;

    count(SEEN);
    count_protocol(ctx);
    if (!capture_filter(data, data_end)) {
        count(FILTERED);   // never copied: that is the point of filtering in the kernel
        return XDP_PASS;
    }
    // The record size must be a constant the verifier can check, hence CAP_BYTES.
    struct cap_rec *rec = events.ringbuf_reserve(sizeof(struct cap_rec));
    if (!rec) {
        count(DROPPED);    // ring full: user space is behind; reported, never silent
        return XDP_PASS;
    }
    u32 n = len < CAP_BYTES ? len : CAP_BYTES;
    rec->ts_ns = bpf_ktime_get_ns();
    rec->len = len;
    rec->caplen = n;
    rec->ifindex = ctx->ingress_ifindex;
    rec->pad = 0;
    // A variable-length copy: the verifier needs the length proven to lie in 1..CAP_BYTES. The
    // empty asm hides what clang knows about m, so that it keeps the one check the verifier reads.
    u64 m = n - 1;         // n == 0 wraps to a huge value and is discarded below
    asm volatile("" : "+r"(m));
    if (m >= CAP_BYTES || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        events.ringbuf_discard(rec, 0);
        count(DROPPED);
        return XDP_PASS;
    }
    events.ringbuf_submit(rec, 0);
    count(CAPTURED);
    return XDP_PASS;
}
