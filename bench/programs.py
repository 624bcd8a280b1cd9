# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What each XDP program in bpf/ costs per packet, measured by the kernel (issue 10, part 1).

Every ``bpf/*.c`` with a function named like the file is loaded as XDP and run with
``BPF_PROG_TEST_RUN`` on a few representative frames; a program that does not build is
skipped with a note (another lab may be mid-edit). The firewall is also run with N rules, since
its lookups are what a rule costs. Programs that write to a ring buffer are drained between
rounds, so that every run really copies its record instead of finding the ring full.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from typing import Any

from ebpflab import BPF_DIR, timing
from ebpflab.loader import Program

MAC_A, MAC_B = "02eb00000001", "02eb00000002"


def frames() -> dict[str, bytes]:
    """Representative frames: a small UDP datagram, a TCP SYN, a full-size UDP, an IPv6 UDP datagram."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    eth = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")
    ip = IP(src="198.18.0.1", dst="198.18.0.2")
    return {
        "udp 60B": bytes(eth / ip / UDP(sport=40000, dport=7777) / (b"x" * 18)),
        "tcp syn": bytes(eth / ip / TCP(sport=40000, dport=80, flags="S")),
        "udp 1514B": bytes(eth / ip / UDP(sport=40000, dport=7777) / (b"x" * 1472)),
        "udp6 80B": bytes(eth / IPv6(src="2001:2::1", dst="2001:2::2") / UDP(sport=40000, dport=7777) / (b"x" * 18)),
    }


def discover() -> list[str]:
    """Names of bpf/*.c files that define an XDP function named like the file."""
    names = []
    for path in sorted(BPF_DIR.glob("*.c")):
        if re.search(rf"^int\s+{re.escape(path.stem)}\s*\(\s*struct\s+xdp_md\b", path.read_text(), re.M):
            names.append(path.stem)
    return names


def measure(prog: Program, packets: dict[str, bytes], repeat: int, rounds: int) -> dict[str, float]:
    """Median ns/packet of the loaded program for each frame."""
    fn = prog.fd()
    ring = re.search(r"BPF_RINGBUF_OUTPUT\((\w+)", prog.text)
    drain: Callable[[], Any] = lambda: None  # noqa: E731 (a ring's consume() replaces it below)
    if ring:
        prog[ring.group(1)].open_ring_buffer(lambda ctx, data, size: 0)
        repeat = min(repeat, 500)  # a few hundred records always fit in the ring; drained each round
        drain = prog.bpf.ring_buffer_consume
    out = {}
    for name, pkt in packets.items():
        times = []
        for _ in range(rounds):
            drain()
            times.append(timing.ns_per_run(fn, pkt, repeat))
        drain()
        out[name] = statistics.median(times)
    return out


def firewall_rules(n: int) -> Callable[[Program], None]:
    """Fill the firewall with ``n`` source rules and ``n`` port rules that the test frames miss."""

    def fill(prog: Program) -> None:
        from ebpflab.firewall import Firewall

        fw = Firewall(prog)
        for i in range(n):
            fw.block_source(f"198.19.{i // 256}.{i % 256}")
            fw.block_port(1000 + i, "udp")

    return fill


def run(repeat: int = 100_000, rounds: int = 5, rules: tuple[int, ...] = (16, 1024)) -> list[dict]:
    """ns/packet for every XDP program (and the firewall with N rules); one row per program."""
    packets = frames()
    jobs: list[tuple[str, str, dict, Callable[[Program], None] | None]] = [(n, n, {}, None) for n in discover()]
    if "xdp_firewall" in discover():
        jobs += [(f"xdp_firewall, {n} rules", "xdp_firewall", {"MAX_RULES": n}, firewall_rules(n)) for n in rules]
    rows = []
    for label, name, defines, setup in jobs:
        try:
            with Program(name, defines) as prog:
                if setup:
                    setup(prog)
                ns = measure(prog, packets, repeat, rounds)
                rows.append({"program": label, **ns, "action": timing.measure(prog.load(), packets["udp 60B"]).action})
        except Exception as exc:  # a lab mid-edit must not stop the benchmark
            rows.append({"program": label, "skipped": str(exc).strip().splitlines()[0][:90]})
    return rows


def table(rows: list[dict]) -> str:
    """The ns/packet table, with the cost above bare xdp_pass on the small UDP frame."""
    cols = list(frames())
    base = next((r[cols[0]] for r in rows if r["program"] == "xdp_pass" and "skipped" not in r), 0.0)
    lines = [f"{'program':<26}" + "".join(f"{c:>11}" for c in cols) + f"{'+ vs pass':>11}  verdict"]
    for r in rows:
        if "skipped" in r:
            lines.append(f"{r['program']:<26} skipped: {r['skipped']}")
            continue
        lines.append(
            f"{r['program']:<26}"
            + "".join(f"{r[c]:>11.0f}" for c in cols)
            + f"{r[cols[0]] - base:>+11.0f}  {r['action']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
