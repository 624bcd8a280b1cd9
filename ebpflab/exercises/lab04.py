# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 04's exercises: a UDP bounds check, a later-fragment frame, a TTL guard (lab 04)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from .. import check, timing, traffic
from ..errors import CheckFailed, VerifierError
from ..loader import Program
from ..messages import _
from ..netlab import LabNet

LAB = "04_parsing"

# Step 4's UDP counter, shown in the lab; exercise 1 puts one line where UDP_CHECK stands.
UDP_COUNTER = r"""
#include "parsing.h"
BPF_ARRAY(udp_packets, u64, 1);

int xdp_udp_count(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
        return XDP_PASS;
    struct udphdr *udp = (void *)(ip + 1);
    UDP_CHECK
    if (udp->dest != bpf_htons(53))
        return XDP_PASS;
    int key = 0;
    u64 *v = udp_packets.lookup(&key);
    if (v)
        __sync_fetch_and_add(v, 1);
    return XDP_PASS;
}
"""

BUCKETS = ["malformed", "not_ip", "tcp", "udp", "icmp", "icmpv6", "other_l4", "fragment"]  # bpf/xdp_parse.c
VERDICTS = ["passed", "low_ttl", "options", "malformed"]  # the enum of exercise 3's program


def _refused(err: VerifierError, func: str) -> CheckFailed:
    """One sentence for a program the verifier refused, with the verifier's own words."""
    lines = [line.strip() for line in err.log.splitlines() if line.strip()]
    said = next((line for line in lines if "invalid access to packet" in line), None)
    said = said or next((line for line in reversed(lines) if not line.startswith(("processed", "verification"))), "")
    return CheckFailed(
        _(
            "the verifier refuses {func}(): {said!r}; prove each header is inside the frame "
            "(pointer + 1 > data_end: bail out) before reading it",
            func=func,
            said=said,
        )
    )


def _send_in_order(net: LabNet, frames: list[Any]) -> None:
    """Send each frame once, in this order, from one CPU: once the last one is counted, every earlier one was seen."""
    with traffic.Flow(net, "client", frames, count=len(frames), cpu=0) as flow:
        pass
    flow.wait()


@check.exercise(LAB, "udp-check")
def udp_check(answer: str) -> None:
    """Check one line of C in step 4's UDP counter: the verifier accepts it, whole headers count, cut ones do not."""
    if not isinstance(answer, str) or not answer.strip():
        raise CheckFailed(_('udp_check should be one line of C, as a string, e.g. "if (...) return XDP_PASS;"'))
    from scapy.layers.inet import IP, UDP

    rng = random.Random()
    try:
        with LabNet() as net, Program(UDP_COUNTER.replace("UDP_CHECK", answer)) as prog:
            with prog.xdp(net["server"], func="xdp_udp_count"):
                eth = traffic.ether(net, "client", "server")
                ip = IP(src=net["client"].ip, dst=net["server"].ip, proto=17)
                whole = [  # to port 53, one with an empty payload (the header ends the frame); and to another port
                    eth / ip / UDP(sport=rng.randint(1024, 65535), dport=53) / (b"q" * size)
                    for size in [0, *rng.choices([0, 1, 30, 200], k=5)]
                ]
                other = eth / ip / UDP(dport=rng.choice([52, 54, 5353, 35]))
                cut = [eth / ip / b"\x00\x35\x00\x35", eth / ip / b"\x00\x35\x00\x35\x00\x08\x00"]  # 4 and 7 bytes
                counts = [rng.randint(3, 12) for _ in whole]
                _send_in_order(net, [f for frame, n in zip(whole, counts) for f in [other, *cut, frame] * n])
                table = prog["udp_packets"]
                check.until(lambda: table[0].value >= sum(counts))
                counted = table[0].value
    except VerifierError as err:
        raise _refused(err, "xdp_udp_count") from None
    check.that(
        counted == sum(counts),
        _(
            "the verifier accepts the check; {counted} whole UDP headers to port 53 counted, none cut short",
            counted=counted,
        ),
        _(
            "{counted} packets counted; the check sent {sent} whole UDP datagrams to port 53 "
            "(some with no payload at all), plus UDP headers cut after 4 and 7 bytes that must not count",
            counted=counted,
            sent=sum(counts),
        ),
    )


def _bucket_of(net: LabNet, prog: Program, frame: Any) -> tuple[str | list[str] | None, Any]:
    """Send one frame through xdp_parse; the bucket that counted it (None if none did) and what the parser saw."""
    read = lambda: [v.value for v in prog["buckets"].values()]  # noqa: E731
    before = read()
    traffic.send(net, "client", frame)
    deadline = time.monotonic() + 3
    while (after := read()) == before and time.monotonic() < deadline:
        time.sleep(0.005)
    moved = [BUCKETS[i] for i, (a, b) in enumerate(zip(after, before)) if a != b]
    return (moved[0] if len(moved) == 1 else moved or None), prog["last"][0]


@check.exercise(LAB, "fragment")
def fragment(answer: Callable[[LabNet], Any]) -> None:
    """Check ``fragment_frame(net)``: xdp_parse counts its frame as a later fragment of a TCP datagram."""
    with LabNet() as net, Program("xdp_parse") as prog, prog.xdp(net["server"]):
        frame = answer(net)
        check.filled(frame, "fragment_frame(net)")
        bucket, info = _bucket_of(net, prog, frame)
        got = (bucket, info.ip_proto, info.ip_version)
    if got[0] != "fragment":
        raise CheckFailed(
            _(
                "xdp_parse counted your frame as {bucket!r}, not 'fragment': a later fragment has a non-zero "
                "fragment offset (IP(frag=...), in 8-byte units)",
                bucket=bucket,
            )
        )
    check.that(
        got[1:] == (6, 4),
        _("xdp_parse counts your frame as a later fragment of an IPv4 TCP datagram"),
        _(
            "your frame is a later fragment, but of IP protocol {proto} (IPv{version}); the exercise asks for TCP "
            "over IPv4 (protocol 6)",
            proto=got[1],
            version=got[2],
        ),
    )


def _guard_cases(net: LabNet, min_ttl: int, rng: random.Random) -> list[tuple[str, bytes, str]]:
    """(name, frame, verdict) for the TTL guard: around the threshold, options, VLAN tags, IPv6, cut short."""
    from scapy.layers.inet import IP, UDP, IPOption_RR
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP, Dot1AD, Dot1Q

    eth = traffic.ether(net, "client", "server")
    src, dst = net["client"].ip, net["server"].ip
    low, high = rng.randint(0, min_ttl - 1), rng.randint(min_ttl + 1, 255)
    v4 = lambda ttl, **kw: IP(src=src, dst=dst, ttl=ttl, **kw)  # noqa: E731
    v6 = lambda hlim: IPv6(src="2001:2::1", dst="2001:2::2", hlim=hlim)  # noqa: E731
    udp = UDP(sport=rng.randint(1024, 65535), dport=rng.randint(1, 65535)) / (b"t" * rng.randint(0, 64))
    rr = [IPOption_RR(routers=["198.18.0.9"] * 2)]
    cases = [
        (_("IPv4, TTL just at the minimum"), eth / v4(min_ttl) / udp, "passed"),
        (_("IPv4, TTL one below the minimum"), eth / v4(min_ttl - 1) / udp, "low_ttl"),
        (_("IPv4, TTL below the minimum"), eth / v4(low) / udp, "low_ttl"),
        (_("IPv4, TTL above the minimum"), eth / v4(high) / udp, "passed"),
        (_("IPv4 header alone, nothing after it, TTL low"), eth / v4(low, proto=59), "low_ttl"),
        (_("IPv4 header alone, TTL high"), eth / v4(high, proto=59), "passed"),
        (_("IPv4 with options, TTL high"), eth / v4(high, options=rr) / udp, "options"),
        (_("IPv4 with options, TTL low"), eth / v4(low, options=rr) / udp, "options"),
        (_("one VLAN tag, IPv4, TTL low"), eth / Dot1Q(vlan=rng.randint(2, 4000)) / v4(low) / udp, "low_ttl"),
        (_("802.1ad + 802.1Q tags, IPv4, TTL low"), eth / Dot1AD(vlan=100) / Dot1Q(vlan=5) / v4(low) / udp, "low_ttl"),
        (_("802.1ad + 802.1Q tags, IPv4, TTL high"), eth / Dot1AD(vlan=100) / Dot1Q(vlan=5) / v4(high) / udp, "passed"),
        (_("IPv6, hop limit low"), eth / v6(low) / udp, "low_ttl"),
        (_("IPv6, hop limit at the minimum"), eth / v6(min_ttl) / udp, "passed"),
        (_("IPv6 in a VLAN, hop limit low"), eth / Dot1Q(vlan=7) / v6(low) / udp, "low_ttl"),
        (_("ARP"), eth / ARP(psrc=src, pdst=dst), "passed"),
        (_("IPv4 header cut short"), bytes(eth / v4(high) / udp)[: 14 + 12], "malformed"),
        (_("IPv4 header cut short after the TTL"), bytes(eth / v4(low) / udp)[: 14 + 10], "malformed"),
        (_("bad IHL (3 words)"), eth / v4(high, ihl=3) / udp, "malformed"),
        (_("datagram shorter than its total length"), bytes(eth / v4(high) / udp / (b"x" * 40))[:-20], "malformed"),
        (_("VLAN tag cut short"), bytes(eth)[:12] + b"\x81\x00\x00\x05", "malformed"),
        (_("IPv6 header cut short"), bytes(eth / v6(high) / udp)[: 14 + 30], "malformed"),
    ]
    return [(name, bytes(frame), verdict) for name, frame, verdict in cases]


@check.exercise(LAB, "ttl-guard")
def ttl_guard(answer: str) -> None:
    """Check the C program ``answer``: xdp_ttl_guard drops and counts what the exercise says, on real traffic."""
    if not isinstance(answer, str) or "xdp_ttl_guard" not in answer:
        raise CheckFailed(_("TTL_GUARD_C should be the C text of the exercise cell, with its function xdp_ttl_guard"))
    rng = random.Random()
    min_ttl = rng.randint(3, 64)
    try:
        with LabNet() as net, Program(answer, defines={"MIN_TTL": min_ttl}) as prog:
            cases = _guard_cases(net, min_ttl, rng)
            fd = prog.fd("xdp_ttl_guard")  # loaded: the verifier has its say here
            for name, frame, verdict in cases:  # each frame once in the kernel (BPF_PROG_TEST_RUN): the action
                action, should = timing.measure(fd, frame).action, "XDP_PASS" if verdict == "passed" else "XDP_DROP"
                if action != should:
                    raise CheckFailed(
                        _(
                            "with MIN_TTL {min_ttl}, {name}: your program returns {action}, not {should}",
                            min_ttl=min_ttl,
                            name=name,
                            action=action,
                            should=should,
                        )
                    )
            table = prog["verdicts"]
            read = lambda: dict(zip(VERDICTS, (table[i].value for i in range(len(VERDICTS)))))  # noqa: E731
            before = read()  # the test runs above counted too
            counts = [rng.randint(2, 9) for _ in cases]
            want = {
                v: before[v] + sum(n for (_, _, verdict), n in zip(cases, counts) if verdict == v) for v in VERDICTS
            }
            frames = [frame for (_, frame, _), n in zip(cases, counts) for _ in range(n)]
            rng.shuffle(frames)
            with prog.xdp(net["server"], func="xdp_ttl_guard"):
                _send_in_order(net, frames)
                check.until(lambda: sum(read().values()) >= sum(want.values()))
                got = {v: read()[v] - before[v] for v in VERDICTS}
            want = {v: want[v] - before[v] for v in VERDICTS}
    except VerifierError as err:
        raise _refused(err, "xdp_ttl_guard") from None
    check.that(
        got == want,
        _(
            "with MIN_TTL {min_ttl}, {count} crafted frames counted right: {got}",
            min_ttl=min_ttl,
            count=sum(counts),
            got=got,
        ),
        _(
            "with MIN_TTL {min_ttl}, the check sent {count} frames and expected the verdicts {want}, "
            "but the map holds {got}",
            min_ttl=min_ttl,
            count=sum(counts),
            want=want,
            got=got,
        ),
    )
