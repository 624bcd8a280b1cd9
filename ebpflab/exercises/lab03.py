# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 03's exercises: the biggest talker, seeding a map for bpftool, UDP ports in a hash (lab 03)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from .. import check, maps, traffic
from ..errors import CheckFailed
from ..loader import Program
from ..messages import _
from ..netlab import LabNet

LAB = "03_maps"


def _talkers_snapshot(volumes: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Send ``count`` frames of ``size`` payload bytes from each source through xdp_top_talkers; read its map."""
    with LabNet() as net, Program("xdp_top_talkers") as prog, prog.xdp(net["server"]):
        for src, (count, size) in volumes.items():
            traffic.send(
                net, "client", traffic.udp(net, "client", "server", src_ip=src, payload=b"x" * size), count=count
            )
        check.until(lambda: sum(v.packets for v in prog["talkers"].values()) >= sum(c for c, _ in volumes.values()))
        return {maps.ipv4_of(k): (v.packets, v.bytes) for k, v in prog["talkers"].items()}


@check.exercise(LAB, "busiest")
def busiest(answer: Callable[[dict[str, tuple[int, int]]], Any]) -> None:
    """Check ``busiest(snapshot)`` on a map filled by fresh senders, whose biggest talker is not the busiest by packets."""
    rng = random.Random()
    sources = [f"198.18.3.{n}" for n in rng.sample(range(1, 250), 4)]
    # one sender with many small frames, one with few large ones (the most bytes), two in between
    volumes = {sources[0]: (60, 10), sources[1]: (20, 900), sources[2]: (30, 200), sources[3]: (10, 400)}
    snapshot = _talkers_snapshot(volumes)
    if len(snapshot) != len(volumes):
        raise CheckFailed(
            _(
                "the map holds {count} sources after {senders} senders: run the check again",
                count=len(snapshot),
                senders=len(volumes),
            )
        )
    inputs = [snapshot] + [
        {f"198.18.4.{i}": (rng.randint(1, 10**6), rng.randint(64, 10**9)) for i in rng.sample(range(1, 250), 6)}
        for _ in range(20)
    ]
    for snap in inputs:
        want = max(snap, key=lambda src: snap[src][1])
        got = answer(dict(snap))
        if got != want and got in snap:
            raise CheckFailed(
                _(
                    "busiest() returned {got!r}, which sent {bytes} bytes, for {snapshot}; another source sent more "
                    "(each value is (packets, bytes))",
                    got=got,
                    bytes=snap[got][1],
                    snapshot=snap,
                )
            )
        if got != want:
            raise CheckFailed(
                _(
                    "busiest() returned {got!r}, which sent nothing: it is not a key of the snapshot, for {snapshot}; "
                    "another source sent more (each value is (packets, bytes))",
                    got=got,
                    snapshot=snap,
                )
            )
    check.ok(_("busiest() names the source with the most bytes, on the live map and on 20 other snapshots"))


def _counters(value: bytes) -> tuple[int, int]:
    """(packets, bytes) from the raw bytes of a ``struct counters``: two little-endian u64."""
    return int.from_bytes(value[:8], "little"), int.from_bytes(value[8:16], "little")


SEEDED = {"198.18.9.9": (42, 4200)}  # what seed() should leave in the map, as bpftool reads it


@check.exercise(LAB, "seed")
def seed(answer: Callable[[Any], Any]) -> None:
    """Check ``seed(talkers)``: bpftool, another process, must read packets=42, bytes=4200 for 198.18.9.9 alone."""
    with Program("xdp_top_talkers") as prog:
        answer(prog["talkers"])
        with maps.pinned(prog["talkers"], "talkers") as pin:
            dumped = maps.bpftool("map", "dump", "pinned", str(pin))
    found = {".".join(map(str, key)): _counters(value) for key, value in map(maps.raw, dumped)}
    check.that(
        found == SEEDED,
        _("bpftool reads packets=42, bytes=4200 for 198.18.9.9, and nothing else"),
        _("bpftool read {found}; it should read {want}", found=found, want=SEEDED)
        if found
        else _("bpftool read an empty map; it should read {want}", want=SEEDED),
    )


def _udp_port_mix(net: LabNet, rng: random.Random) -> tuple[list[Any], dict[int, int]]:
    """Frames for the port counter, shuffled, a counted UDP datagram last; and each frame's UDP destination port.

    Random destination ports and sizes; source ports that are never destinations; UDP behind a VLAN tag and
    over IPv6 (parse_packet() finds those); frames that must not count: TCP to a counted port, a later UDP
    fragment (no UDP header), a UDP header cut short. A frame maps to its port, or 0 when it must not count.
    """
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Dot1Q

    ports = rng.sample(range(1024, 60000), 5)
    sport = rng.choice([p for p in range(60001, 65535) if p not in ports])
    eth, client, server = traffic.ether(net, "client", "server"), net["client"].ip, net["server"].ip
    ip = IP(src=client, dst=server)
    size = lambda: rng.randint(0, 900)  # noqa: E731  (a UDP payload size)
    counted = [
        (eth / ip / UDP(sport=sport, dport=port) / (b"u" * size()), port) for port in ports for _ in range(2)
    ] + [
        (eth / Dot1Q(vlan=rng.randint(2, 4000)) / ip / UDP(sport=sport, dport=ports[0]) / (b"v" * size()), ports[0]),
        (eth / IPv6(src="2001:2::1", dst="2001:2::2") / UDP(sport=sport, dport=ports[1]) / (b"6" * size()), ports[1]),
        (eth / IP(src=client, dst=server, flags="MF") / UDP(sport=sport, dport=ports[2]) / (b"f" * 64), ports[2]),
    ]
    ignored = [
        (eth / ip / TCP(sport=sport, dport=ports[3], flags="S"), 0),
        (eth / IP(src=client, dst=server, frag=100, proto=17) / (b"x" * 40), 0),
        (bytes(eth / IP(src=client, dst=server, proto=17) / UDP(sport=sport, dport=ports[4]))[: 14 + 20 + 4], 0),
    ]
    mix = counted[:-1] + ignored
    rng.shuffle(mix)
    mix.append(counted[-1])  # in order on one CPU: once the last frame is counted, every earlier one was seen
    return [bytes(f) for f, _ in mix], {i: port for i, (_, port) in enumerate(mix)}


def _port_totals(frames: list[bytes], port_of: dict[int, int], per_frame: list[int]) -> dict[int, tuple[int, int]]:
    """(packets, bytes) per UDP destination port for what was sent: each frame's count times its length."""
    want: dict[int, tuple[int, int]] = {}
    for i, n in enumerate(per_frame):
        port = port_of[i]
        if port and n:
            packets, size = want.get(port, (0, 0))
            want[port] = (packets + n, size + n * len(frames[i]))
    return want


@check.exercise(LAB, "ports")
def ports(answer: str) -> None:
    """Check the C program ``answer``: xdp_udp_ports must count packets and bytes per UDP destination port."""
    if not isinstance(answer, str) or "xdp_udp_ports" not in answer:
        raise CheckFailed(_("PORTS_C should be the C text of the exercise cell, with its function xdp_udp_ports"))
    rng = random.Random()
    with LabNet() as net, Program(answer) as prog, prog.xdp(net["server"], func="xdp_udp_ports"):
        frames, port_of = _udp_port_mix(net, rng)
        flows = [
            traffic.Flow(net, "client", frames, count=len(frames) * rng.randint(20, 40), cpu=cpu) for cpu in (0, 1)
        ]
        with flows[0], flows[1]:
            pass  # leaving the block waits for both senders
        per_frame = [a + b for a, b in zip(flows[0].wait().per_frame, flows[1].wait().per_frame)]
        want = _port_totals(frames, port_of, per_frame)
        table = prog["ports"]
        deadline = time.monotonic() + 5  # the last frames may still be crossing the veth on a busy machine
        got: dict[int, tuple[int, int]] = {}
        while time.monotonic() < deadline:
            got = {k.value: (v.packets, v.bytes) for k, v in table.items()}
            if sum(p for p, _ in got.values()) >= sum(p for p, _ in want.values()):
                break
            time.sleep(0.02)
    if not got:
        raise CheckFailed(_("the map ports is empty after the check's UDP traffic: does your program update it?"))
    swapped = {int.from_bytes(p.to_bytes(2, "big"), "little") for p in want}
    if set(got) == swapped:
        raise CheckFailed(_("the map's ports are byte-swapped: parse_packet() gives pkt.dport in host order already"))
    for port, (packets, size) in sorted(want.items()):
        have = got.get(port)
        if have is None:
            raise CheckFailed(
                _(
                    "UDP destination port {port} is missing from the map (the check sent it {packets} packets)",
                    port=port,
                    packets=packets,
                )
            )
        if have[0] != packets:
            raise CheckFailed(
                _(
                    "port {port}: {counted} packets in the map, the check sent {packets} UDP datagrams there "
                    "(IPv4 and IPv6, with or without a VLAN tag; TCP and later fragments do not count)",
                    port=port,
                    counted=have[0],
                    packets=packets,
                )
            )
        if have[1] != size:
            raise CheckFailed(
                _(
                    "port {port}: {counted} bytes in the map, the check sent {size}: "
                    "add each whole frame's length (pkt.len)",
                    port=port,
                    counted=have[1],
                    size=size,
                )
            )
    extra = sorted(set(got) - set(want))
    if extra:
        raise CheckFailed(
            _(
                "the map also holds port(s) {ports} that no UDP datagram was sent to: "
                "key the map by the destination port of UDP datagrams only",
                ports=extra[:5],
            )
        )
    check.ok(
        _(
            "exact packets and bytes for {count} UDP ports, from two CPUs at once, nothing else counted",
            count=len(want),
        )
    )
