"""The capture path: highest rate without loss, ring-buffer size, where the time goes (issue 10, part 3).

Three capturers write the same paced UDP flood to a pcap file in the server's namespace:
the real ``tcpdump -w``, the ``ebpflab tcpdump -w`` command (lab 06), and the same path in-process
(``ebpflab.capture.Capture`` + ``PcapWriter``), which also gives a profile. A trial is lossless
when the file holds every packet sent. Rates climb a ladder until the first loss.
"""
from __future__ import annotations

import cProfile
import importlib.util
import json
import pstats
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ebpflab import REPO, LabError, traffic
from ebpflab.capture import Capture, PcapWriter
from ebpflab.netlab import LabNet

PY = sys.executable
EBPFLAB = str(Path(PY).with_name("ebpflab"))
PROFILE_RATE = 100_000
CPU_RATE = 50_000  # low enough that both capturers keep everything
LADDER = (25_000, 50_000, 100_000, 200_000, 400_000, 800_000)  # the top rung is about the flood's limit


def pcap_count(path: str | Path) -> int:
    """Records in a classic pcap file (headers only, so it is quick on big files)."""
    n = 0
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        off += 16 + incl
        if off <= len(data):
            n += 1
    return n


def flood(net: LabNet, frame: bytes, rate: float, seconds: float) -> dict:
    """A paced sendmmsg flow from the client (bounded: ``rate`` × ``seconds`` packets)."""
    res = net.run("client", PY, "-m", "bench.flood", "--frame", frame.hex(), "--seconds", str(seconds + 5),
                  "--rate", str(rate), "--count", str(int(rate * seconds)), cwd=REPO, timeout=seconds + 30)
    return json.loads(res.stdout.strip().splitlines()[-1])


def process_cpu(pid: int) -> float:
    """CPU seconds a (single-threaded) process has run, to the nanosecond (/proc/PID/schedstat)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except FileNotFoundError:
        return 0.0


def trial_command(net: LabNet, cmd: list[str], frame: bytes, rate: float, seconds: float) -> tuple[int, int, float]:
    """Run a capture command writing ``-w`` in the server's namespace around one flood;
    (sent, in file, the capturer's CPU seconds from ready to stop)."""
    with tempfile.TemporaryDirectory(prefix="ebl-bench-") as tmp:
        path = f"{tmp}/cap.pcap"
        p = net.popen("server", *cmd, "-w", path, text=True, cwd=REPO)
        ready = threading.Event()
        said: list[str] = []

        def watch() -> None:  # both tools say "listening on" once packets can arrive
            for line in p.stderr:
                said.append(line.strip())
                if "listening" in line.lower():
                    ready.set()
        threading.Thread(target=watch, daemon=True).start()
        ready.wait(20)
        if not ready.is_set():
            p.kill()
            p.wait()
            raise LabError(f"`{' '.join(cmd[:3])}` did not start capturing: {' '.join(said[-2:])}")
        time.sleep(0.3)
        cpu0 = process_cpu(p.pid)  # `ip netns exec` execs the command: same pid
        try:
            sent = flood(net, frame, rate, seconds)["packets"]
            # libpcap hands packets over in blocks retired after tcpdump's 1 s timeout: wait for
            # the last partial block, or SIGINT would throw it away and look like loss.
            time.sleep(1.5)
            cpu = process_cpu(p.pid) - cpu0
        finally:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return sent, pcap_count(path), cpu


class InProcess:
    """``Capture`` + ``PcapWriter`` in this process, the path behind ``ebpflab tcpdump -w``;
    a context manager that keeps one capture attached across trials (BCC compiles once)."""

    def __init__(self, net: LabNet, ring_kib: int = 4096, snaplen: int = 0) -> None:
        self.net = net
        self.cap = Capture("eth0", net["server"].netns, ring_kib=ring_kib, snaplen=snaplen)

    def __enter__(self) -> "InProcess":
        self.cap.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cap.close()

    def trial(self, frame: bytes, rate: float, seconds: float, profile: cProfile.Profile | None = None) -> tuple[int, int, dict]:
        """One flood captured to a temporary pcap; (sent, written, CPU seconds split by stage)."""
        with tempfile.TemporaryDirectory(prefix="ebl-bench-") as tmp, PcapWriter(f"{tmp}/cap.pcap") as out:
            self.cap.poll(0)  # forget what an earlier trial left
            result: dict = {}
            t = threading.Thread(target=lambda: result.update(flood(self.net, frame, rate, seconds)))
            split = {"poll+decode": 0.0, "write": 0.0}
            t.start()
            if profile:
                profile.enable()
            quiet_since = None
            while True:
                t0 = time.thread_time()  # CPU time: waiting in epoll is not work
                pkts = self.cap.poll(0.02)
                t1 = time.thread_time()
                for pkt in pkts:
                    out.write(pkt)
                split["poll+decode"] += t1 - t0
                split["write"] += time.thread_time() - t1
                if t.is_alive() or pkts:
                    quiet_since = None
                    continue
                quiet_since = quiet_since or time.perf_counter()
                if time.perf_counter() - quiet_since > 0.3:
                    break
            if profile:
                profile.disable()
            t.join()
            out.flush()
            return result["packets"], pcap_count(f"{tmp}/cap.pcap"), split


def ladder(trial, rates=LADDER, tries: int = 3) -> tuple[float, list[tuple[float, float]]]:
    """Climb ``rates`` until a loss; return the highest lossless rate and (rate, median loss) pairs.

    A rung passes when most of ``tries`` floods lose nothing (stopping as soon as that is decided):
    the machine is shared, and one unlucky trial should not end the climb.
    """
    best, seen = 0.0, []
    for rate in rates:
        losses = []
        while len(losses) < tries:
            sent, got = trial(rate)[:2]
            losses.append(1 - got / sent if sent else 1.0)
            clean = sum(1 for x in losses if x <= 0)
            if clean > tries // 2 or len(losses) - clean > tries // 2:
                break
        loss = statistics.median(losses)
        seen.append((rate, loss))
        if loss > 0:
            break
        best = rate
    return best, seen


PROFILED_CLI = """\
import cProfile, sys, time
from ebpflab import cli
prof = cProfile.Profile(time.thread_time)  # CPU time: waiting in epoll is not work
try:
    prof.runcall(cli.main, sys.argv[2:])
finally:
    prof.dump_stats(sys.argv[1])
"""


def profile_command(net: LabNet, frame: bytes, rate: float, seconds: float) -> tuple[pstats.Stats, int, int]:
    """Profile ``ebpflab tcpdump -w`` itself (cProfile on CPU time) around one flood at ``rate``."""
    with tempfile.TemporaryDirectory(prefix="ebl-bench-") as tmp:
        cmd = [PY, "-c", PROFILED_CLI, f"{tmp}/prof", "tcpdump", "-n", "-i", "eth0", "--timeout", str(seconds + 8)]
        sent, got, _ = trial_command(net, cmd, frame, rate, seconds)
        return pstats.Stats(f"{tmp}/prof"), sent, got


def profile_table(prof: cProfile.Profile | pstats.Stats, top: int = 8) -> str:
    """The functions where the capture spends its own time (cProfile, tottime)."""
    st = prof if isinstance(prof, pstats.Stats) else pstats.Stats(prof)
    # BCC's compile at start-up is not part of the per-packet path: shown apart.
    startup = {k: v for k, v in st.stats.items() if k[0].endswith("bcc/__init__.py") and k[2] == "__init__"}
    loop = {k: v for k, v in st.stats.items() if k not in startup}
    rows = sorted(loop.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    total = sum(v[2] for v in loop.values()) or 1
    lines = [f"{'function':<48} {'calls':>9} {'own s':>7} {'share':>6}"]
    for (file, line, fn), (cc, nc, tt, ct, _) in rows:
        where = f"{Path(file).name}:{line}({fn})" if line else fn
        lines.append(f"{where[:48]:<48} {nc:>9} {tt:>7.2f} {tt / total:>6.0%}")
    lines.append(f"(not counted above: {sum(v[2] for v in startup.values()):.2f} s compiling with BCC at start-up)")
    return "\n".join(lines)


def run(seconds: float = 1.0, rings: tuple[tuple[int, int], ...] = ((256, 0), (4096, 0), (65536, 0), (4096, 128))) -> dict:
    """The capture benchmark: lossless rates side by side, ring sizes, a profile."""
    res: dict = {"seconds": seconds}
    with LabNet() as net:
        frame = bytes(traffic.udp(net, "client", "server", dport=7777))
        # -Q in: XDP sees arriving packets only, so tcpdump must not count the server's replies.
        commands = {"tcpdump": ["tcpdump", "-n", "-Q", "in", "-i", "eth0"]}
        if importlib.util.find_spec("ebpflab.tcpdump") is not None:
            commands["ebpflab tcpdump"] = [EBPFLAB, "tcpdump", "-n", "-i", "eth0"]
            commands["ebpflab tcpdump --engine core"] = [EBPFLAB, "tcpdump", "--engine", "core", "-n", "-i", "eth0"]
        res["ebpflab tcpdump"] = None  # until the command is in this checkout
        res["cpu"] = {}
        for name, cmd in commands.items():
            res[name] = ladder(lambda r: trial_command(net, cmd, frame, r, seconds))
            sent, got, cpu = trial_command(net, cmd, frame, CPU_RATE, seconds)
            res["cpu"][name] = (cpu / got * 1e9 if got else float("nan"), got, sent)
        res["rings"] = {}
        for kib, snap in rings:
            with InProcess(net, kib, snap) as ip:
                res["rings"][f"in-process -B {kib}" + (f" -s {snap}" if snap else "")] = ladder(lambda r: ip.trial(frame, r, seconds))
        with InProcess(net, 4096) as ip:
            sent, got, split = ip.trial(frame, PROFILE_RATE, seconds)
            res["split"] = {k: v / max(got, 1) * 1e9 for k, v in split.items()}
            res["profiled"] = (sent, got)
            if res["ebpflab tcpdump"] is None:
                stats = cProfile.Profile(time.thread_time)
                res["profile_run"] = ip.trial(frame, PROFILE_RATE, seconds, stats)[:2]
                res["profile_of"] = "in-process capture"
        if res["ebpflab tcpdump"] is not None:  # once the in-process capture has detached
            stats, *res["profile_run"] = profile_command(net, frame, PROFILE_RATE, seconds)
            res["profile_of"] = "ebpflab tcpdump -w"
        res["profile"] = profile_table(stats)
    return res


def table(res: dict) -> str:
    """Lossless rates, the ratio ours/tcpdump, ring sizes, and the profile."""
    def fmt(entry) -> str:
        best, seen = entry
        first_loss = next((f"{r:,.0f} pps lost {l:.2%}" for r, l in seen if l > 0), None)
        if first_loss is None:  # never lost: the sender, not the capturer, was the limit
            return f">={best:>8,.0f} pps   (no loss on the ladder)"
        return f"{best:>10,.0f} pps   (first loss: {first_loss})"

    lines = [f"same {res['seconds']:.0f}-second paced UDP floods, rates {', '.join(f'{r // 1000}k' for r in LADDER)} pps"]
    lines.append(f"{'tcpdump -w':<28} {fmt(res['tcpdump'])}")
    ours = res["ebpflab tcpdump"]
    lines.append(f"{'ebpflab tcpdump -w':<28} " + (fmt(ours) if ours else "pending: `ebpflab tcpdump` is not in this checkout yet"))
    core = res.get("ebpflab tcpdump --engine core")
    if core:  # lab 11's CO-RE object loaded by libbpf, same user space
        lines.append(f"{'ebpflab tcpdump --engine core':<28} {fmt(core)}")
    if ours and res["tcpdump"][0]:
        bound = "<=" if all(loss <= 0 for _, loss in res["tcpdump"][1]) else "  "  # tcpdump never lost
        lines.append(f"{'ratio ebpflab/tcpdump':<28} {bound}{ours[0] / res['tcpdump'][0]:>8.2f}")
    for name, (ns, got, sent) in res["cpu"].items():
        lines.append(f"{name + ' CPU/packet':<28} {ns:>10,.0f} ns   (its own CPU at {CPU_RATE // 1000}k pps, {got}/{sent} captured)")
    if "ebpflab tcpdump" in res["cpu"] and "tcpdump" in res["cpu"]:
        lines.append(f"{'CPU ratio ebpflab/tcpdump':<28} {res['cpu']['ebpflab tcpdump'][0] / res['cpu']['tcpdump'][0]:>10.1f}")
    for label, entry in res["rings"].items():
        lines.append(f"{label:<28} {fmt(entry)}")
    split = res["split"]
    lines.append(f"in-process CPU per packet at {PROFILE_RATE // 1000}k pps: ring poll+decode {split['poll+decode']:.0f} ns, "
                 f"pcap write {split['write']:.0f} ns ({res['profiled'][1]}/{res['profiled'][0]} captured)")
    lines.append(f"profile of {res['profile_of']} at {PROFILE_RATE // 1000}k pps ({res['profile_run'][1]}/{res['profile_run'][0]} "
                 "captured; cProfile on CPU time slows Python down, the shares are what matter):")
    lines.append(res["profile"])
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
