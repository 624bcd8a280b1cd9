# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 03's exercises: the biggest talker, seeding a map for bpftool (lab 03)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from .. import check, maps, traffic
from ..errors import CheckFailed
from ..loader import Program
from ..netlab import LabNet

LAB = "03_maps"


def _talkers_snapshot(volumes: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Send ``count`` frames of ``size`` payload bytes from each source through xdp_top_talkers; read its map."""
    with LabNet() as net, Program("xdp_top_talkers") as prog, prog.xdp(net["server"]):
        for src, (count, size) in volumes.items():
            traffic.send(
                net, "client", traffic.udp(net, "client", "server", src_ip=src, payload=b"x" * size), count=count
            )
        deadline = time.monotonic() + 5  # the last frames may still be crossing the veth on a busy machine
        while sum(v.packets for v in prog["talkers"].values()) < sum(c for c, _ in volumes.values()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
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
        raise CheckFailed(f"the map holds {len(snapshot)} sources after {len(volumes)} senders: run the check again")
    inputs = [snapshot] + [
        {f"198.18.4.{i}": (rng.randint(1, 10**6), rng.randint(64, 10**9)) for i in rng.sample(range(1, 250), 6)}
        for _ in range(20)
    ]
    for snap in inputs:
        want = max(snap, key=lambda src: snap[src][1])
        got = answer(dict(snap))
        if got != want:
            raise CheckFailed(
                f"busiest() returned {got!r} for {snap}; the source with the most bytes is {want} "
                "(the value is (packets, bytes))"
            )
    check.ok("busiest() names the source with the most bytes, on the live map and on 20 other snapshots")


def _counters(value: bytes) -> tuple[int, int]:
    """(packets, bytes) from the raw bytes of a ``struct counters``: two little-endian u64."""
    return int.from_bytes(value[:8], "little"), int.from_bytes(value[8:16], "little")


@check.exercise(LAB, "seed")
def seed(answer: Callable[[Any], Any]) -> None:
    """Check ``seed(talkers)``: bpftool, another process, must read packets=42, bytes=4200 for 198.18.9.9 alone."""
    with Program("xdp_top_talkers") as prog:
        answer(prog["talkers"])
        with maps.pinned(prog["talkers"], "talkers") as pin:
            dumped = maps.bpftool("map", "dump", "pinned", str(pin))
    found = {".".join(map(str, key)): _counters(value) for key, value in map(maps.raw, dumped)}
    check.that(
        found == {"198.18.9.9": (42, 4200)},
        "bpftool reads packets=42, bytes=4200 for 198.18.9.9, and nothing else",
        f"bpftool read {found or 'an empty map'}; it should read {{'198.18.9.9': (42, 4200)}}",
    )
