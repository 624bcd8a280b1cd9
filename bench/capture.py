# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The capture path side by side: `ebpflab tcpdump -w` (lab 06) against the real `tcpdump -w` (issue 16).

trafgen (Debian's netsniff-ng: an mmap TX ring, no qdisc) sends one-second bursts of 60-byte UDP
frames from the lab's client to the server, at rates climbing a ladder. Both tools run in the
server's namespace with the same buffer (-B), each started once for its whole ladder. Every burst
has its own destination port, so the file says what each burst kept. A rung is lossless when both
of its bursts are kept whole; the climb stops at the first loss. What counts as sent is what the
server's eth0 received (its rx_packets): a packet veth drops before any tap is nobody's loss.
"""

from __future__ import annotations

import json
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from ebpflab import REPO, LabError, traffic
from ebpflab.netlab import LabNet, ip
from ebpflab.tcpdump.pcap import read_pcap

PY = sys.executable
EBPFLAB = str(Path(PY).with_name("ebpflab"))
LADDER = (25_000, 50_000, 100_000, 200_000, 400_000, 800_000, 1_600_000)
BURSTS = 2  # per rung, each one second
SETTLE = 1.5  # seconds after a burst: tcpdump hands packets over in blocks retired after 1 s
BUFFER_KIB = 4096  # -B for both tools
BASE_PORT = 20000
# The sender (and the veth receive work, done on the sending CPU) on one core, the capturer on the
# other: a process's CPU time also counts the softirqs that ran while it was the current task, so
# a capturer sharing the sender's core is charged for packets it never touched (3x between bursts).
SEND_CPU, CAPTURE_CPU = 0, 1


def pcap_ports(path: str | Path) -> Counter:
    """Packets in a pcap file by UDP destination port (IPv4 without options); none if there is no file.

    A record cut short at the end (a capturer killed mid-write) ends the count, as the file's reader does.
    """
    ports: Counter = Counter()
    if not Path(path).exists():
        return ports
    try:
        for pkt in read_pcap(path):
            if len(pkt.data) >= 38:
                ports[struct.unpack_from("!H", pkt.data, 36)[0]] += 1
    except LabError:
        pass
    return ports


def process_cpu(pid: int) -> float:
    """CPU seconds a process has run, to the nanosecond (/proc/PID/schedstat; threads not included)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except FileNotFoundError:
        return 0.0


def rx_packets(net: LabNet) -> int:
    """Packets the server's eth0 has received."""
    out = ip("-s", "-j", "link", "show", "eth0", netns=net["server"].netns).stdout
    return int(json.loads(out)[0]["stats64"]["rx"]["packets"])


def burst(net: LabNet, cfg: str, count: int, rate: float | None, seconds: float = 1.0) -> tuple[int, float]:
    """Send ``count`` frames with trafgen at ``rate`` (unpaced when None); (received, seconds taken).

    Bounded: trafgen stops after ``count`` frames, and is killed after 10 × the planned time.
    """
    pace = ["-b", f"{int(rate)}pps"] if rate else []
    rx0, t0 = rx_packets(net), time.perf_counter()
    # -P 1: one sending process; --no-sock-mem, -Q: touch no system-wide setting (sysctls, IRQs).
    net.run(
        "client",
        "taskset",
        "-c",
        str(SEND_CPU),
        "trafgen",
        "-o",
        "eth0",
        "-i",
        cfg,
        "-n",
        str(count),
        "-P",
        "1",
        "--no-sock-mem",
        "-Q",
        "-C",
        *pace,
        timeout=10 * seconds + 20,
    )
    took = time.perf_counter() - t0
    return rx_packets(net) - rx0, took


def trafgen_config(frame: bytes, path: str) -> None:
    """trafgen's packet description: the frame's bytes."""
    Path(path).write_text("{ " + ", ".join(f"0x{b:02x}" for b in frame) + " }\n")


def frame_to(net: LabNet, port: int) -> bytes:
    """A 60-byte UDP frame client -> server to ``port``."""
    return bytes(traffic.udp(net, "client", "server", dport=port))


def ladder(net: LabNet, cmd: list[str], tmp: str, first_port: int, rates: list[int]) -> dict:
    """Climb the ladder with one capturing process; per rung: rate reached, losses, CPU per packet."""
    path = f"{tmp}/{first_port}.pcap"
    p = net.popen(
        "server", "taskset", "-c", str(CAPTURE_CPU), *cmd, "-B", str(BUFFER_KIB), "-w", path, text=True, cwd=REPO
    )
    said: list[str] = []
    ready = threading.Event()

    def watch() -> None:  # both tools say "listening on" once packets can arrive
        for line in p.stderr:
            said.append(line.strip())
            if "listening" in line.lower():
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    rungs, port = [], first_port
    try:
        if not ready.wait(60):
            raise LabError(f"`{' '.join(cmd[:3])}` did not start capturing: {' '.join(said[-2:])}")
        time.sleep(0.3)
        for rate in rates:
            trials = []
            for _ in range(BURSTS):
                cfg = f"{tmp}/{port}.cfg"
                trafgen_config(frame_to(net, port), cfg)
                cpu0 = process_cpu(p.pid)  # `ip netns exec` execs the command: same pid
                got, took = burst(net, cfg, rate, rate)
                time.sleep(SETTLE)
                trials.append({"port": port, "received": got, "seconds": took, "cpu": process_cpu(p.pid) - cpu0})
                port += 1
            rungs.append({"rate": rate, "trials": trials})
            if p.poll() is not None:
                break
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p.returncode not in (0, -signal.SIGINT):
        raise LabError(f"`{' '.join(cmd[:3])}` ended with status {p.returncode}: {' '.join(said[-2:])}")
    kept = pcap_ports(path)
    for rung in rungs:
        for t in rung["trials"]:
            t["kept"] = kept.get(t["port"], 0)
        # received may include a stray ARP or IPv6 packet of the hosts: a burst is whole at its own count.
        rung["lossless"] = all(t["kept"] >= min(t["received"], rung["rate"]) for t in rung["trials"])
        rung["reached"] = min(t["received"] / t["seconds"] for t in rung["trials"])
        done = sum(t["kept"] for t in rung["trials"])
        rung["ns_per_packet"] = sum(t["cpu"] for t in rung["trials"]) / done * 1e9 if done else float("nan")
    return {"rungs": rungs, "best": best_rate(rungs)}


def best_rate(rungs: list[dict]) -> float:
    """The highest rate asked below the first rung that lost anything."""
    best = 0.0
    for r in rungs:
        if not r["lossless"]:
            break
        best = r["rate"]
    return best


def run() -> dict:
    """Both tools' ladders, one after the other on the same lab network, and the generator's top rate."""
    if shutil.which("trafgen") is None:
        raise LabError("trafgen is not installed: `make bench` installs netsniff-ng")
    res: dict = {"buffer_kib": BUFFER_KIB}
    with LabNet() as net, tempfile.TemporaryDirectory(prefix="ebl-bench-") as tmp:
        cfg = f"{tmp}/top.cfg"
        trafgen_config(frame_to(net, BASE_PORT - 1), cfg)
        got, took = burst(net, cfg, 300_000, None)
        res["generator"] = got / took
        # Up to the first rung the generator cannot reach: above it, every rung is that rung again.
        rates = [r for r in LADDER if r < res["generator"]]
        rates += [r for r in LADDER if r >= res["generator"]][:1]
        # -Q in: XDP sees arriving packets only, so tcpdump must not count the server's replies.
        tools = {
            "tcpdump -w": ["tcpdump", "-n", "-Q", "in", "-i", "eth0"],
            "ebpflab tcpdump -w": [EBPFLAB, "tcpdump", "-n", "-i", "eth0"],
            # lab 11's CO-RE object loaded by libbpf, same user space
            "ebpflab tcpdump --engine core -w": [EBPFLAB, "tcpdump", "--engine", "core", "-n", "-i", "eth0"],
        }
        for i, (name, cmd) in enumerate(tools.items()):
            try:
                res[name] = ladder(net, cmd, tmp, BASE_PORT + 1000 * i, rates)
            except LabError as exc:  # one tool failing must not hide the others' figures
                res[name] = {"rungs": [], "best": 0.0, "failed": str(exc)}
    return res


def table(res: dict) -> str:
    """The ladders side by side, the highest lossless rates, CPU per packet where both kept all."""
    a, b = res["tcpdump -w"], res["ebpflab tcpdump -w"]
    lines = [
        f"one-second trafgen bursts of 60-byte UDP frames, {BURSTS} per rate, -B {res['buffer_kib']} for both; "
        f"generator alone, unpaced: {res['generator']:,.0f} pps",
        f"{'rate asked':>10} | {'tcpdump -w: reached, kept, ns/pkt':>38} | {'ebpflab tcpdump -w: reached, kept, ns/pkt':>44}",
    ]

    def cell(r: dict | None, width: int) -> str:
        if r is None:
            return f"{'-':>{width}}"
        kept = "+".join(f"{t['kept']}/{t['received']}" for t in r["trials"])
        return f"{r['reached']:>9,.0f} {kept:>19} {r['ns_per_packet']:>7,.0f}".rjust(width)

    for i, rate in enumerate(LADDER):
        ra = a["rungs"][i] if i < len(a["rungs"]) else None
        rb = b["rungs"][i] if i < len(b["rungs"]) else None
        if ra is None and rb is None:
            break
        lines.append(f"{rate:>10,} | {cell(ra, 38)} | {cell(rb, 44)}")
    top = a["rungs"][-1]["rate"] if a["rungs"] else 0
    lines.append(
        f"highest lossless rate asked: tcpdump -w {a['best']:,.0f} pps, ebpflab tcpdump -w {b['best']:,.0f} pps"
        + (f", ratio {b['best'] / a['best']:.2f}" if a["best"] else "")
        + (" (both lossless up to the generator's limit)" if a["best"] == b["best"] == top else "")
    )
    both = [(ra, rb) for ra, rb in zip(a["rungs"], b["rungs"]) if ra["lossless"] and rb["lossless"]]
    if both:
        # One burst's CPU time moves by up to 3x between identical bursts here: show every rung's ratio.
        ratios = sorted(rb["ns_per_packet"] / ra["ns_per_packet"] for ra, rb in both)
        ra, rb = both[-1]
        lines.append(
            f"CPU per packet at {ra['rate']:,} pps (both kept all): tcpdump {ra['ns_per_packet']:,.0f} ns, "
            f"ebpflab {rb['ns_per_packet']:,.0f} ns, ratio {rb['ns_per_packet'] / ra['ns_per_packet']:.1f}; "
            f"ratio over the {len(ratios)} rates both kept whole: {ratios[0]:.1f} to {ratios[-1]:.1f}, "
            f"median {ratios[len(ratios) // 2]:.1f}"
        )
    lines += [f"{name} failed: {r['failed']}" for name, r in res.items() if isinstance(r, dict) and "failed" in r]
    core = res.get("ebpflab tcpdump --engine core -w")
    if core and "failed" not in core:
        kept = [r for r in core["rungs"] if r["lossless"]]
        lines.append(
            f"ebpflab tcpdump --engine core -w: highest lossless rate asked {core['best']:,.0f} pps"
            + (f", {kept[-1]['ns_per_packet']:,.0f} ns per packet at {kept[-1]['rate']:,} pps" if kept else "")
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
