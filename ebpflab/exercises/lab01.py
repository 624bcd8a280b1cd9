# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 01's exercises: a DNS filter, classic BPF assembled by hand, a seccomp filter (lab 01)."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from typing import Any

from .. import cbpf, check, seccomp, traffic
from ..errors import CheckFailed
from ..messages import _
from ..netlab import LabNet

LAB = "01_history"
MAC, MAC2 = "02:eb:00:00:00:01", "02:eb:00:00:00:02"  # the lab's client and server


def _frames(rng: random.Random) -> dict[str, tuple[bytes, bool]]:
    """Frames for the DNS filter, made afresh each time: {what it is: (frame, a DNS query?)}."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Dot1Q, Ether

    def ip() -> Any:
        return Ether(src=MAC, dst=MAC2) / IP(
            src=f"198.18.{rng.randint(0, 255)}.{rng.randint(1, 254)}", dst=f"198.18.0.{rng.randint(1, 254)}"
        )

    sport = rng.choice([p for p in range(1024, 65536) if p != 40000])  # not the sample query's source port
    other = rng.choice([rng.randint(1024, 65535), 5353, 54, 52])
    vlan = rng.randint(2, 4000)
    query = UDP(sport=sport, dport=53) / bytes([rng.randint(0, 255), rng.randint(0, 255), 1, 0])
    frames = {
        _("a DNS query from port {port}", port=sport): (ip() / query, True),
        _("a DNS query from port 53 (one server asking another)"): (ip() / UDP(sport=53, dport=53) / b"\1\2\1\0", True),
        _("a DNS answer to port {port}", port=sport): (ip() / UDP(sport=53, dport=sport) / b"\1\2\x81\x80", False),
        _("UDP to port {port}", port=other): (ip() / UDP(sport=sport, dport=other) / b"x", False),
        _("TCP to port 53 (DNS over TCP is not asked for)"): (ip() / TCP(sport=sport, dport=53, flags="S"), False),
        _("a DNS query in VLAN {vlan}", vlan=vlan): (Ether(src=MAC, dst=MAC2) / Dot1Q(vlan=vlan) / query, False),
    }
    frames = {name: (bytes(f), want) for name, (f, want) in frames.items()}
    frames.update(
        {_("the sample {name!r}", name=name): (f, name == "udp dns query") for name, f in cbpf.sample_packets().items()}
    )
    return frames


@check.exercise(LAB, "dns-filter")
def dns_filter(answer: str) -> None:
    """Check a tcpdump expression on the sample packets and on fresh DNS queries, answers and look-alikes."""
    if not isinstance(answer, str):
        raise CheckFailed(
            _(
                "DNS_FILTER is a tcpdump expression, a string such as 'udp ...', not {type}",
                type=type(answer).__name__,
            )
        )
    prog = cbpf.compile(answer)
    frames = _frames(random.Random())
    for name, (frame, want) in frames.items():
        if bool(cbpf.interpret(prog, frame)) != want:
            if want:
                raise CheckFailed(
                    _(
                        "{answer!r} rejects {name}; it should accept it "
                        "(a DNS query is UDP to port 53, IPv4, untagged)",
                        answer=answer,
                        name=name,
                    )
                )
            raise CheckFailed(
                _(
                    "{answer!r} accepts {name}; it should reject it (a DNS query is UDP to port 53, IPv4, untagged)",
                    answer=answer,
                    name=name,
                )
            )
    check.ok(
        _(
            "{answer!r} accepts DNS queries only: the samples and {count} fresh frames",
            answer=answer,
            count=len(frames) - 12,
        )
    )


def _arp_frames(rng: random.Random) -> dict[str, tuple[bytes, bool, bool]]:
    """ARP frames of several lengths and frames that only look like ARP: {what: (frame, ARP?, sent on a socket?)}.

    Not sent on the socket (step 2): the samples, the tagged frame (Linux removes the tag before the filter
    runs) and the runt (no Ethernet header).
    """
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import ARP, Dot1Q, Ether

    mac = MAC

    def arp(op: int) -> bytes:
        frame = bytes(
            Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=op, hwsrc=mac, psrc="198.18.0.1", pdst="198.18.0.2")
        )
        return frame + bytes(rng.randint(0, 80))  # Ethernet pads short frames: the length varies

    def typed(ethertype: int) -> bytes:
        return bytes(Ether(src=mac, dst=MAC2, type=ethertype)) + bytes(rng.randint(28, 60))

    ipv4 = bytes(Ether(src=mac, dst=MAC2) / IP(src="198.18.0.1", dst="198.18.0.2") / UDP())
    frames = {
        _("an ARP request"): (arp(1), True, True),
        _("an ARP reply"): (arp(2), True, True),
        _("RARP (EtherType 0x8035)"): (typed(0x8035), False, True),
        _("EtherType {ethertype}", ethertype="0x0805"): (typed(0x0805), False, True),
        _("EtherType {ethertype}", ethertype="0x0807"): (typed(0x0807), False, True),
        _("EtherType 0x8806 (same low byte as ARP)"): (typed(0x8806), False, True),
        _("EtherType 0x0608 (ARP's bytes swapped)"): (typed(0x0608), False, True),
        _("an IPv4 datagram"): (ipv4, False, True),
        _("ARP inside a VLAN tag (EtherType 0x8100 at offset 12)"): (
            bytes(Ether(src=mac, dst=MAC2) / Dot1Q(vlan=7) / ARP(psrc="198.18.0.1", pdst="198.18.0.2")),
            False,
            False,
        ),
        _("a runt of 12 bytes"): (bytes(12), False, False),
    }
    frames.update(
        {
            _("the sample {name!r}", name=name): (f, name == "arp who-has", False)
            for name, f in cbpf.sample_packets().items()
        }
    )
    return frames


def _printed_by_a_tool(text: str, prog: list[cbpf.Insn]) -> bool:
    """True when ``text`` is, line for line, the listing libpcap prints (tcpdump -d, cbpf.disassemble)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines == [line.strip() for line in cbpf.disassemble(prog).splitlines()]


@check.exercise(LAB, "hand-written")
def hand_written(answer: Callable[[int], Any]) -> None:
    """Check ``arp_listing(snaplen)``: listing text the kit assembles, written without libpcap, that keeps ARP only."""
    if not callable(answer):
        raise CheckFailed(_("arp_listing should be a function of snaplen that returns the listing as text"))
    rng = random.Random()
    snaplen = rng.choice([n for n in range(20, 121) if n != 64])  # shorter than most ARP frames sent: they are cut
    with check.refusing(cbpf, "_libpcap", _("libpcap (tcpdump's compiler and printer)")):
        text = answer(snaplen)
    if not isinstance(text, str):
        raise CheckFailed(
            _(
                "arp_listing() returned a {type}; it should return the listing as text, "
                "lines such as 'ldh [12]' (a list of instructions is what a compiler hands over)",
                type=type(text).__name__,
            )
        )
    prog = cbpf.validate(cbpf.assemble(text))
    if _printed_by_a_tool(text, prog):
        raise CheckFailed(
            _(
                "this is the listing libpcap prints (tcpdump -d, cbpf.disassemble): write the lines yourself "
                "(line numbers are optional, jump targets are line numbers)"
            )
        )
    if len(prog) > 6:
        raise CheckFailed(_("your program has {count} instructions: use at most 6", count=len(prog)))
    frames = _arp_frames(rng)
    for name, (frame, arp, _sent) in frames.items():
        got, want = cbpf.interpret(prog, frame), snaplen if arp else 0
        if got != want:
            if arp:
                raise CheckFailed(
                    _(
                        "arp_listing({snaplen}) returns {got} on {name}; it should return {want} "
                        "(keep snaplen bytes of ARP)",
                        snaplen=snaplen,
                        got=got,
                        name=name,
                        want=want,
                    )
                )
            raise CheckFailed(
                _(
                    "arp_listing({snaplen}) returns {got} on {name}; it should return {want} (reject what is not ARP)",
                    snaplen=snaplen,
                    got=got,
                    name=name,
                    want=want,
                )
            )
    # The kernel's turn: on a socket (step 2), the ARP frames arrive cut to snaplen bytes, nothing else arrives.
    # Not the tagged frame (Linux removes the tag before the filter runs) nor the runt (no Ethernet header).
    sent = [f for f, _arp, send in frames.values() if send]
    cut = sorted(f[:snaplen] for f, arp, send in frames.values() if arp and send)
    with LabNet() as net, cbpf.PacketSocket(net, "server", prog) as sock:
        traffic.send(net, "client", sent)
        arrived = sock.frames(timeout=3, limit=len(cut))  # returns as soon as they are all there
        arrived += sock.frames(timeout=0.2)  # and anything a wrong program lets through besides
    check.that(
        sorted(arrived) == cut,
        _(
            "arp_listing({snaplen}) keeps {snaplen} bytes of every ARP frame and rejects everything else, "
            "in the interpreter and on a socket in the kernel",
            snaplen=snaplen,
        ),
        _(
            "attached to a socket, your program let {arrived} of {sent} frames through, of {sizes} bytes; "
            "the {arp} ARP frames should arrive, cut to {snaplen} bytes",
            arrived=len(arrived),
            sent=len(sent),
            sizes=sorted(map(len, arrived)),
            arp=len(cut),
            snaplen=snaplen,
        ),
    )


# The system calls that make a directory (arm64 has only mkdirat), and calls a shell needs or that come close.
MKDIR = ("mkdir", "mkdirat")
OTHERS = [
    "read",
    "write",
    "openat",
    "close",
    "execve",
    "exit_group",
    "newfstatat",
    "getdents64",
    "brk",
    "mmap",
    "uname",
    "getpid",
    "chdir",
    "rmdir",
    "unlinkat",
    "mknodat",
    "renameat",
    "symlinkat",
    "linkat",
    "fchmodat",
]


@check.exercise(LAB, "deny-mkdir")
def deny_mkdir(answer: list[str]) -> None:
    """Check DENIED: on each kit architecture's table only the mkdir calls fail with EPERM; here mkdir fails for real."""
    if isinstance(answer, str) or not isinstance(answer, (list, tuple)) or not all(isinstance(n, str) for n in answer):
        raise CheckFailed(_("DENIED is a list of system call names (strings), e.g. ['...']"))
    for arch in sorted(seccomp.KIT_ARCHES):  # aarch64 first: it has only mkdirat, the surprise
        prog = seccomp.program(answer, arch=arch)
        for call in (c for c in (*MKDIR, *OTHERS) if not seccomp.elsewhere(c, arch)):
            got, want = seccomp.action(seccomp.judge(prog, call, arch=arch)), "ALLOW"
            if call in MKDIR:
                want = "ERRNO(1) EPERM"
            if got != want and call in MKDIR:
                raise CheckFailed(
                    _(
                        "on {arch}, your filter answers {call}() with {got}; it should be {want} (each architecture "
                        "has its own table of system calls; either call makes a directory)",
                        arch=arch,
                        call=call,
                        got=got,
                        want=want,
                    )
                )
            if got != want:
                raise CheckFailed(
                    _(
                        "on {arch}, your filter answers {call}() with {got}; it should be {want}",
                        arch=arch,
                        call=call,
                        got=got,
                        want=want,
                    )
                )
    if len(answer) > 2:
        raise CheckFailed(
            _(
                "DENIED names {count} system calls: deny at most two, the ones that make a directory",
                count=len(answer),
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        name = f"new{random.randint(0, 10**6)}"
        res = seccomp.run_denying(
            ["sh", "-c", f"mkdir {tmp}/{name}; echo alive; touch {tmp}/file; ls {tmp}"], deny=list(answer)
        )
    check.that(
        "Operation not permitted" in res.stderr and res.stdout.split() == ["alive", "file"],
        _("mkdir failed with EPERM on both architectures' tables and here for real; echo, touch and ls still worked"),
        _(
            "mkdir should fail with EPERM and echo, touch and ls keep working; "
            "got stdout {stdout!r}, stderr {stderr!r}",
            stdout=res.stdout,
            stderr=res.stderr,
        ),
    )
