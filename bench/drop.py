# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Drop early vs drop late: the receiver's CPU per dropped packet on one veth flood (issue 10, part 2).

The flood comes from ``bench.flood`` (sendmmsg, pinned to CPU 0). Receive processing of the
server's veth is steered to CPU 1 with RPS, and two tracepoints (``ebpflab.softirq.SoftirqMeter``)
time the NET_RX softirq on every CPU, so the receiver's cost is measured apart from the sender's.
Native XDP on veth is the exception: veth runs it in a NAPI poll on the *sending* CPU, which the
meter still sees as NET_RX time on CPU 0.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from ebpflab import REPO, LabError, softirq, traffic
from ebpflab.loader import Program
from ebpflab.netlab import LabNet

SEND_CPU, RECV_CPU = 0, 1
PORT = 9
PY = sys.executable

NFT_INGRESS = f"""table netdev ebl_bench {{
  chain in {{ type filter hook ingress device eth0 priority 0; udp dport {PORT} drop; }}
}}"""
NFT_PREROUTING = f"""table ip ebl_bench {{
  chain pre {{ type filter hook prerouting priority -300; udp dport {PORT} drop; }}
}}"""

PACED = 50_000  # a rate a Python reader keeps up with, so that it really reads every packet
METHODS = [
    "XDP native (veth)",
    "XDP generic",
    "nft netdev ingress",
    "nft ip prerouting",
    "stack (no socket)",
    "user space, flooded",
    f"user space, {PACED // 1000}k/s",
]


def cpu_idle_seconds(cpu: int) -> float:
    """Seconds CPU ``cpu`` has been idle (idle + iowait) since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = line.split()
                return (int(v[4]) + int(v[5])) / os.sysconf("SC_CLK_TCK")
    raise LabError(f"no CPU {cpu} in /proc/stat")


def softnet_drops() -> list[int]:
    """Per-CPU packets dropped because the receive backlog was full (/proc/net/softnet_stat)."""
    with open("/proc/net/softnet_stat") as f:
        return [int(line.split()[1], 16) for line in f]


@contextmanager
def nft(net: LabNet, ruleset: str) -> Iterator[None]:
    """Load an nftables ruleset inside the server's namespace for the block."""
    net.run("server", "nft", "-f", "-", input=ruleset)
    try:
        yield
    finally:
        net.run("server", "nft", "delete", "table", ruleset.split()[1], "ebl_bench", check=False)


@contextmanager
def receiver(net: LabNet, method: str, seconds: float) -> Iterator[dict]:
    """Set up one drop method on the server for the block; yields a dict filled with the sink's result."""
    result: dict = {}
    with ExitStack() as stack:
        if method.startswith("XDP"):
            prog = stack.enter_context(Program("xdp_drop"))
            stack.enter_context(prog.xdp(net["server"], mode="native" if "native" in method else "generic"))
        elif method == "nft netdev ingress":
            stack.enter_context(nft(net, NFT_INGRESS))
        elif method == "nft ip prerouting":
            stack.enter_context(nft(net, NFT_PREROUTING))
        elif method.startswith("user space"):
            p = net.popen(
                "server",
                "taskset",
                "-c",
                str(RECV_CPU),
                PY,
                "-m",
                "bench.sink",
                "--port",
                str(PORT),
                "--seconds",
                str(seconds + 1.5),
                cwd=REPO,
                text=True,
            )
            p.stdout.readline()  # "ready": the socket is bound
            yield result
            out, _ = p.communicate(timeout=seconds + 10)
            result.update(json.loads(out.strip().splitlines()[-1]))
            return
        yield result


def flood(net: LabNet, frame: bytes, seconds: float, rate: float | None = None) -> dict:
    """Run the sendmmsg flood on the client, pinned to the sending CPU; return its JSON report."""
    cmd = ["taskset", "-c", str(SEND_CPU), PY, "-m", "bench.flood", "--frame", frame.hex(), "--seconds", str(seconds)]
    if rate:
        cmd += ["--rate", str(rate)]
    res = net.run("client", *cmd, cwd=REPO, timeout=seconds + 20)
    return json.loads(res.stdout.strip().splitlines()[-1])


def one_run(net: LabNet, method: str, frame: bytes, seconds: float) -> dict:
    """One flood against one drop method: packets, receiver ns/packet, sender ns/packet."""
    with receiver(net, method, seconds) as sink:
        drops0 = softnet_drops()
        with softirq.SoftirqMeter() as meter:
            idle0, t0 = cpu_idle_seconds(RECV_CPU), time.perf_counter()
            sent = flood(net, frame, seconds, PACED if method.endswith("k/s") else None)
            time.sleep(0.05)  # let the backlog drain
            wall = time.perf_counter() - t0
            busy = max(wall - (cpu_idle_seconds(RECV_CPU) - idle0), 0.0)
        drops = sum(b - a for a, b in zip(drops0, softnet_drops()))
    n = max(sent["packets"], 1)
    send_core = meter.ns[SEND_CPU]
    if method.startswith("user space"):
        # The reader runs on CPU 1 too, and the ticks that land in softirq work done in its
        # context count in its own CPU time as well: CPU 1's busy time avoids counting them twice.
        rx_ns = busy * 1e9
    else:
        # Receive work lands on CPU 1 (RPS), except native XDP, which veth runs in a NAPI poll on
        # the sending core. Otherwise CPU 0's NET_RX time is RPS itself: the IPIs that wake CPU 1,
        # one per packet when CPU 1 keeps up (fast drops), rare when its backlog stays full.
        rx_ns = meter.ns[RECV_CPU] + (send_core if "native" in method else 0)
    tx_ns = (sent["user"] + sent["system"]) * 1e9 - send_core  # the sender's own syscalls and veth_xmit
    return {
        "method": method,
        "pps": sent["packets"] / sent["seconds"],
        "rx_ns": rx_ns / n,
        "rx_cpu0_ns": send_core / n,
        "tx_ns": max(tx_ns, 0) / n,
        "backlog_drops": drops,
        "cpu1_busy": busy / wall,
        "app_pps": sink["packets"] / sent["seconds"] if "packets" in sink else None,
    }


def run(seconds: float = 1.5, repeats: int = 3) -> list[dict]:
    """Every drop method, interleaved ``repeats`` times on one lab network; medians per method."""
    with LabNet() as net:
        softirq.set_rps(net["server"].netns, "eth0", [RECV_CPU])
        frame = bytes(traffic.udp(net, "client", "server", dport=PORT))
        runs: dict[str, list[dict]] = {m: [] for m in METHODS}
        skipped: dict[str, str] = {}
        for _ in range(repeats):
            for m in METHODS:
                if m in skipped:
                    continue
                try:
                    runs[m].append(one_run(net, m, frame, seconds))
                except Exception as exc:  # e.g. native XDP refused: say so, keep going
                    skipped[m] = str(exc).splitlines()[0]
    rows = []
    for m in METHODS:
        if not runs[m]:
            rows.append({"method": m, "skipped": skipped.get(m, "no run")})
            continue
        med = {
            k: statistics.median(r[k] for r in runs[m]) for k in ("pps", "rx_ns", "rx_cpu0_ns", "tx_ns", "cpu1_busy")
        }
        med["backlog_drops"] = sum(r["backlog_drops"] for r in runs[m])
        apps = [r["app_pps"] for r in runs[m] if r["app_pps"] is not None]
        med["app_pps"] = statistics.median(apps) if apps else None
        rows.append({"method": m, **med, "runs": len(runs[m])})
    return rows


def table(rows: list[dict]) -> str:
    """The drop table: receiver CPU per packet, its one-core capacity, and the ratio to the slowest."""
    ok = [r for r in rows if "skipped" not in r]
    worst = max((r["rx_ns"] for r in ok), default=1)
    lines = [
        f"{'method':<22} {'recv ns/pkt':>11} {'CPU1 busy':>9} {'CPU0 softirq':>12} {'send ns/pkt':>11} "
        f"{'flood pps':>10} {'1-core cap pps':>14} {'vs slowest':>10} {'backlog drops':>13}"
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"{r['method']:<22} skipped: {r['skipped']}")
            continue
        cap = 1e9 / r["rx_ns"] if r["rx_ns"] else float("inf")
        lines.append(
            f"{r['method']:<22} {r['rx_ns']:>11.0f} {r['cpu1_busy']:>9.0%} {r['rx_cpu0_ns']:>12.0f} "
            f"{r['tx_ns']:>11.0f} {r['pps']:>10,.0f} {cap:>14,.0f} {worst / r['rx_ns']:>9.1f}x "
            f"{r['backlog_drops']:>13}"
        )
        if r.get("app_pps") is not None and r["app_pps"] < 0.99 * r["pps"]:  # the rest overflowed its socket
            lines.append(
                f"{'':<22} the reader read only {r['app_pps']:,.0f} packets/s; the kernel dropped the "
                "rest at its full socket buffer"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
