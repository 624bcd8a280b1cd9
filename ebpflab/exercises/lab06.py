# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 06's exercises: a kernel filter, TCP flags, the capture program's core, ring bytes (lab 06)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from .. import check, traffic
from ..errors import CheckFailed
from ..frames import traffic_mix
from ..loader import Program
from ..messages import _
from ..netlab import LabNet
from ..tcpdump.capfilter import compile_filter
from ..tcpdump.capture import Capture
from ..tcpdump.pcap import RECORD
from ..tcpdump.print import transport
from ..tcpdump.print.text import Printer

LAB = "06_tcpdump"
_WANTED = "(tcp and port 8001) or icmp"  # what the kernel-filter exercise asks for, in libpcap's words
_LETTERS = "FSRP.UEW"  # tcpdump's flag letters, bit 0 first (print-tcp.c)
PCAP_HEADER = RECORD  # ts_sec, ts_usec, caplen, len: the exercise's struct pcap_rec starts as xdp_capture.c's


# --- exercise 1: a filter in the kernel ----------------------------------------------------------
def random_mix(net: LabNet, rng: random.Random) -> list[bytes]:
    """Frames around the question: TCP and UDP on port 8001 and near it, ICMP and ICMPv6, IPv6 TCP, ARP, and
    a random share of the lab's mix; in random order."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import ARP, Dot1Q, Ether

    c, s = net["client"], net["server"]
    e = Ether(src=c.mac, dst=s.mac)
    ip = IP(src=c.ip, dst=s.ip)
    v6 = IPv6(src="2001:2::1", dst="2001:2::2")

    def port() -> int:
        return rng.choice([8001, 8001, 8000, 8002, 18001, 80, rng.randint(1024, 65535)])

    makers = [
        lambda: e / ip / TCP(sport=port(), dport=port(), flags=rng.choice(["S", "SA", "A", "PA", "F"])),
        lambda: e / ip / UDP(sport=port(), dport=port()) / rng.randbytes(rng.randint(0, 40)),
        lambda: e / ip / ICMP(type=rng.choice([0, 8, 3, 11])) / rng.randbytes(rng.randint(0, 40)),
        lambda: e / v6 / TCP(sport=port(), dport=port()),
        lambda: e / v6 / ICMPv6EchoRequest(),
        lambda: e / Dot1Q(vlan=rng.randint(1, 4000)) / ip / TCP(sport=port(), dport=8001),
        lambda: Ether(src=c.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=c.ip, pdst=s.ip),
    ]
    frames = [bytes(rng.choice(makers)()) for _ in range(rng.randint(70, 100))]
    mix = traffic_mix(c.mac, s.mac, c.ip, s.ip)
    frames += rng.sample(mix, len(mix) // 2)
    rng.shuffle(frames)
    return frames


@check.exercise(LAB, "kernel-filter")
def kernel_filter(answer: str) -> None:
    """Check FILTER: it runs in the kernel and keeps exactly what the question asks for, on a random mix."""
    if not isinstance(answer, str):
        raise CheckFailed(
            _("FILTER should be a tcpdump expression, as a string, not {type}", type=type(answer).__name__)
        )
    if not answer.strip():
        raise CheckFailed(_("an empty FILTER keeps every packet: write an expression"))
    yours = compile_filter(answer)
    if yours.where != "kernel":
        raise CheckFailed(
            _("your filter runs in user space ({reason}): use only the in-kernel subset", reason=yours.reason)
        )
    rng = random.Random()
    with LabNet() as net, Capture("eth0", net["server"].netns, answer) as cap:
        frames = random_mix(net, rng)
        traffic.send(net, "client", frames)
        check.until(lambda: cap.stats()["seen"] >= len(frames))
        got: list[bytes] = []

        def drained() -> bool:
            got.extend(p.data for p in cap.poll(0))
            return len(got) >= cap.stats()["captured"]

        check.until(drained)
    reference = compile_filter(_WANTED)
    want = [f for f in frames if reference.matches(f)]
    if got != want:
        kept, missed = [f for f in got if f not in want], [f for f in want if f not in got]
        counts = {"total": len(frames), "got": len(got), "want": len(want)}
        if kept:
            raise CheckFailed(
                _(
                    "of {total} random packets your filter kept {got}, not {want}: it kept {packet!r}, which the "
                    "question leaves out",
                    packet=Printer().describe(kept[0], len(kept[0])),
                    **counts,
                )
            )
        if missed:
            raise CheckFailed(
                _(
                    "of {total} random packets your filter kept {got}, not {want}: it left out {packet!r}",
                    packet=Printer().describe(missed[0], len(missed[0])),
                    **counts,
                )
            )
        raise CheckFailed(
            _("of {total} random packets your filter kept {got}, not {want}: the order differs", **counts)
        )
    check.ok(
        _(
            "your filter runs in the kernel and kept the {want} right packets of {total} random ones",
            want=len(want),
            total=len(frames),
        )
    )


# --- exercise 2: TCP flags as tcpdump prints them ------------------------------------------------
def _flags(byte: int) -> str:
    return "".join(c for bit, c in enumerate(_LETTERS) if byte >> bit & 1) or "none"


@check.exercise(LAB, "tcp-flags")
def tcp_flags(answer: Callable[[int], str]) -> None:
    """Check ``tcp_flags(byte)`` on all 256 bytes against a table of its own, while the kit's table is wrong."""
    if not callable(answer):
        raise CheckFailed(_("tcp_flags should be a function, not {type}", type=type(answer).__name__))
    kits = transport.TCP_FLAGS
    saved = list(kits)
    # The kit's table, shuffled in place for the check: an answer that reads it prints the wrong letters.
    shuffled = [(bit, c) for (bit, _), c in zip(saved, "W.EUPRSF")]
    kits[:] = shuffled
    try:
        wrong = [(b, got) for b in range(256) if (got := answer(b)) != _flags(b)]
    finally:
        kits[:] = saved
    if wrong:
        b, got = wrong[0]
        fields = {"byte": b, "got": got, "want": _flags(b), "count": len(wrong)}
        if got == _flags_in(shuffled, b):
            raise CheckFailed(
                _(
                    "tcp_flags({byte:#04x}) is {got!r}, tcpdump prints {want!r}; {count} of 256 bytes differ "
                    "(write the letters yourself: the kit's table does not count)",
                    **fields,
                )
            )
        raise CheckFailed(
            _("tcp_flags({byte:#04x}) is {got!r}, tcpdump prints {want!r}; {count} of 256 bytes differ", **fields)
        )
    check.ok(_("tcp_flags matches tcpdump for all 256 flag bytes"))


def _flags_in(table: list[tuple[int, str]], byte: int) -> str:
    return "".join(c for bit, c in table if byte & bit) or "none"


# --- exercise 3: the capture program's core, in C ------------------------------------------------
def _records(
    text: str, defines: dict[str, int], frames: list[bytes], read_during: bool
) -> tuple[list[bytes], int, int, int]:
    """Send ``frames`` through the learner's capture(); the ring's records, the drop count and the clock around."""
    out: list[bytes] = []
    with LabNet() as net, Program(text, defines) as prog, prog.xdp(net["server"], func="capture"):
        drops = prog["dropped"]

        def dropped() -> int:
            return int(drops[drops.Key(0)].value)

        t0 = time.monotonic_ns()
        if read_during:
            with prog.ring_buffer("events", out.append):
                traffic.send(net, "client", frames)
                check.until(lambda: len(out) + dropped() >= len(frames))
        else:  # nobody reads while the frames arrive: a small ring fills up
            traffic.send(net, "client", frames)  # the receive path runs in the sending call: all have arrived
            with prog.ring_buffer("events", out.append):
                check.until(lambda: len(out) + dropped() >= len(frames))
        t1 = time.monotonic_ns()
        return out, dropped(), t0, t1


def _judge(records: list[bytes], frames: list[bytes], snaplen: int, t0: int, t1: int) -> None:
    """Each record a pcap record of a frame sent, in order (dropped ones skipped): header, first bytes, time."""
    sent = iter(enumerate(frames))
    lengths = {len(f) for f in frames}
    for rec in records:
        if len(rec) < PCAP_HEADER.size:
            raise CheckFailed(_("a record of {size} bytes has no room for the pcap header", size=len(rec)))
        sec, usec, caplen, length = PCAP_HEADER.unpack_from(rec)
        if length not in lengths:
            raise CheckFailed(
                _("a record says len={length}: no frame sent had that length (the packet's length)", length=length)
            )
        want = min(length, snaplen)
        if caplen != want:
            raise CheckFailed(
                _(
                    "a frame of {length} bytes with SNAPLEN={snaplen} has caplen={caplen}, not {want}",
                    length=length,
                    snaplen=snaplen,
                    caplen=caplen,
                    want=want,
                )
            )
        data = rec[PCAP_HEADER.size : PCAP_HEADER.size + want]
        i = next((i for i, f in sent if len(f) == length and f[:want] == data), None)
        if i is None:
            raise CheckFailed(
                _(
                    "a record of len={length} does not hold the first {want} bytes of the next frames of that length",
                    length=length,
                    want=want,
                )
            )
        ts = sec * 10**9 + usec * 1000
        if usec >= 10**6 or not t0 - 10**6 <= ts <= t1 + 10**6:
            raise CheckFailed(
                _(
                    "frame {index}'s time ts_sec={sec}, ts_usec={usec} is not bpf_ktime_get_ns() split into seconds "
                    "and microseconds at its arrival",
                    index=i,
                    sec=sec,
                    usec=usec,
                )
            )


@check.exercise(LAB, "capture")
def capture(answer: str) -> None:
    """Check CAPTURE_C: frames of random sizes come out of the ring as pcap records; a full ring counts drops."""
    if not isinstance(answer, str) or "capture" not in answer:
        raise CheckFailed(_("CAPTURE_C should be the C program with its capture() function, as a string"))
    rng = random.Random()
    snaplen = rng.randint(64, 200)
    sizes = [0, 400] + [rng.randint(0, 400) for _ in range(rng.randint(20, 40))]  # 42 to 442 bytes

    def frames_of(net: LabNet) -> list[bytes]:
        return [bytes(traffic.udp(net, "client", "server", payload=rng.randbytes(n))) for n in sizes]

    with LabNet() as net:  # the frames only need the hosts' addresses
        frames = frames_of(net)
    roomy = {"SNAPLEN": snaplen, "RING_PAGES": 16}
    records, dropped, t0, t1 = _records(answer, roomy, frames, read_during=True)
    if len(records) + dropped != len(frames):
        raise CheckFailed(
            _(
                "{sent} frames sent, {read} records read and {dropped} counted as dropped: "
                "every frame should be one or the other",
                sent=len(frames),
                read=len(records),
                dropped=dropped,
            )
        )
    if dropped:
        raise CheckFailed(
            _(
                "{dropped} of {sent} frames were counted as dropped with a ring of 64 KiB to spare",
                dropped=dropped,
                sent=len(frames),
            )
        )
    _judge(records, frames, snaplen, t0, t1)
    check.ok(
        _(
            "{sent} frames of 42 to 442 bytes read back as pcap records (SNAPLEN={snaplen}), byte for byte",
            sent=len(frames),
            snaplen=snaplen,
        )
    )

    tiny = {"SNAPLEN": snaplen, "RING_PAGES": 1}  # 4 KiB: room for 4096 // (8 + 16 + snaplen) records at most
    frames = frames * 3
    records, dropped, t0, t1 = _records(answer, tiny, frames, read_during=False)
    if dropped == 0:
        raise CheckFailed(
            _(
                "{sent} frames into a ring of 4 KiB nobody read, and nothing counted as dropped: "
                "count a failed reserve in `dropped`",
                sent=len(frames),
            )
        )
    counts = {"read": len(records), "dropped": dropped, "sent": len(frames)}
    check.that(
        len(records) + dropped == len(frames),
        _("a ring of 4 KiB: {read} records + {dropped} dropped = {sent} frames sent", **counts),
        _("a ring of 4 KiB: {read} records + {dropped} dropped, but {sent} frames were sent", **counts),
    )
    _judge(records, frames, snaplen, t0, t1)


# --- exercise 4: ring bytes per packet -----------------------------------------------------------
def _ring_bytes(wire_len: int, snaplen: int) -> int:
    return (8 + PCAP_HEADER.size + min(wire_len, snaplen) + 7) // 8 * 8


@check.exercise(LAB, "ring-bytes")
def ring_bytes(answer: Callable[[int, int], int]) -> None:
    """Check ``ring_bytes(wire_len, snaplen)`` against the ring of a live capture, then on random sizes."""
    if not callable(answer):
        raise CheckFailed(_("ring_bytes should be a function, not {type}", type=type(answer).__name__))
    rng = random.Random()
    snaplen = rng.randint(60, 300)
    with LabNet() as net, Capture("eth0", net["server"].netns, snaplen=snaplen) as cap:
        frames = [bytes(traffic.udp(net, "client", "server", payload=rng.randbytes(rng.randint(0, 500))))]
        frames += [bytes(traffic.udp(net, "client", "server", payload=rng.randbytes(n))) for n in (0, 7, 500)]
        rng.shuffle(frames)
        traffic.send(net, "client", frames)
        check.until(lambda: cap.stats()["captured"] >= len(frames))
        used = cap.ring.pending() if cap.ring else 0
    each = [answer(len(f), snaplen) for f in frames]
    if not all(isinstance(n, int) for n in each):
        raise CheckFailed(
            _(
                "ring_bytes({length}, {snaplen}) returned {got!r}: return a number of bytes",
                length=len(frames[0]),
                snaplen=snaplen,
                got=each[0],
            )
        )
    yours = sum(each)
    if yours != used:
        raise CheckFailed(
            _(
                "{count} frames of {sizes} bytes with snaplen={snaplen} took {used} bytes of ring; your ring_bytes() "
                "adds up to {yours}",
                count=len(frames),
                sizes=sorted(map(len, frames)),
                snaplen=snaplen,
                used=used,
                yours=yours,
            )
        )
    cases = [(rng.randint(14, 1514), rng.randint(1, 1600)) for _ in range(200)]
    wrong = [(n, s) for n, s in cases if answer(n, s) != _ring_bytes(n, s)]
    check.that(
        not wrong,
        _(
            "ring_bytes() matches the {used} bytes the live ring used, and 200 random (length, snaplen) pairs",
            used=used,
        ),
        _(
            "ring_bytes({length}, {snaplen}) is {got}: not what the ring would use",
            length=wrong[0][0],
            snaplen=wrong[0][1],
            got=answer(*wrong[0]),
        )
        if wrong
        else "",
    )
