# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`ebpflab tcpdump` against the real tcpdump: same packets, same bytes, same order, same text (lab 06)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from users import not_root
from waiting import wait_until

from ebpflab import traffic
from ebpflab.frames import traffic_mix
from ebpflab.netlab import LabNet
from ebpflab.tcpdump.pcap import read_pcap

EBPFLAB = [sys.executable, "-m", "ebpflab.cli"]
# Hang guards, not speed checks: compiling the capture program takes 2 s on a quiet machine and
# over 30 s under a CPU hog on a shared two-core one, and a Ctrl-C lands only after the compile.
START, STOP = 180, 120
MALFORMED = 6  # traffic_mix ends with this many malformed frames


def xdp_attached(ns: str) -> bool:
    out = subprocess.run(["ip", "-n", ns, "link", "show", "eth0"], capture_output=True, text=True).stdout
    return "xdp" in out


def wait_listening(proc: subprocess.Popen, what: str, timeout: float = START) -> None:
    """Read stderr until the tool says it listens (both tools print 'listening on')."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline().decode()
        seen.append(line)
        if "listening on" in line:
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"{what} did not start: {''.join(seen)}")


def real_handshake(net: LabNet, port: int = 42424) -> None:
    """A real TCP connection client -> server: SYN with the kernel's options, data, FIN."""
    srv = net.call("server", socket.create_server, (net["server"].ip, port))
    try:
        cli = net.call("client", socket.create_connection, (net["server"].ip, port), 5)
        conn, _ = srv.accept()
        cli.sendall(b"hello from the client")
        conn.recv(100)
        cli.close()
        conn.close()
    finally:
        srv.close()


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory):
    """Whole packets (the default snap length) from both tools."""
    yield from capture_pair(tmp_path_factory, "262144")


@pytest.fixture(scope="module")
def side_by_side_snap(tmp_path_factory):
    """Packets cut at 64 bytes (-s 64) by both tools."""
    yield from capture_pair(tmp_path_factory, "64")


def size(path) -> int:
    return path.stat().st_size if path.exists() else 0


def capture_pair(tmp_path_factory, snaplen: str):
    """Run tcpdump -w and ebpflab tcpdump -w on the server's eth0 at once while the mix is sent."""
    snap = ["-s", snaplen]
    d = tmp_path_factory.mktemp("tcpdump")
    ref, mine = d / "tcpdump.pcap", d / "ebpflab.pcap"
    with LabNet() as net:
        ns = net["server"].netns
        real = net.popen(
            "server",
            "tcpdump",
            "-i",
            "eth0",
            "-Q",
            "in",
            "--immediate-mode",
            "-B",
            "65536",
            "-U",
            *snap,
            "-w",
            str(ref),
        )
        ours = subprocess.Popen(
            [*EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns, *snap, "-w", str(mine), "--timeout", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wait_listening(real, "tcpdump")
            wait_listening(ours, "ebpflab tcpdump")
            assert xdp_attached(ns)
            frames = traffic_mix(net["client"].mac, net["server"].mac, net["client"].ip, net["server"].ip)
            # tcpdump's immediate mode has one ring slot per snap length (262144 bytes): a few
            # slots in its default 2 MiB buffer, hence -B above and a moderate rate here.
            traffic.send(net, "client", frames, rate=5000)
            real_handshake(net)
            # Wait until both files hold the mix and as many bytes as each other; the tests judge what they hold.
            floor = 24 + sum(16 + min(len(bytes(f)), int(snaplen)) for f in frames)
            with contextlib.suppress(AssertionError):
                wait_until(lambda: floor < size(ref) == size(mine), what="both captures to agree")
        finally:
            for p in (ours, real):
                p.send_signal(signal.SIGINT)
            out_err = ours.communicate(timeout=STOP)[1].decode()
            real.wait(timeout=STOP)
        attached_after = xdp_attached(ns)
    yield {"ref": ref, "mine": mine, "frames": frames, "stderr": out_err, "attached_after": attached_after}


@pytest.mark.parametrize("pair", ["side_by_side", "side_by_side_snap"], ids=["whole", "snap64"])
def test_same_packets_same_bytes_same_order(pair, request):
    side_by_side = request.getfixturevalue(pair)
    ref = list(read_pcap(side_by_side["ref"]))
    mine = list(read_pcap(side_by_side["mine"]))
    assert len(side_by_side["frames"]) >= 200
    assert len(ref) >= len(side_by_side["frames"]) + 4  # the mix and the real TCP connection
    assert [(p.len, p.data) for p in mine] == [(p.len, p.data) for p in ref]
    assert "packets captured" in side_by_side["stderr"] and "0 packets dropped by kernel" in side_by_side["stderr"]
    assert not side_by_side["attached_after"], "Ctrl-C left the XDP program attached"


def lines(cmd: list[str]) -> list[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    return [line.split(" ", 1)[1] if line[:2].isdigit() else line for line in out]  # drop timestamps


@pytest.mark.parametrize(
    "flags",
    [[], ["-e"], ["-X"], ["-x", "-e"], ["-q"], ["-S"]],
    ids=["plain", "link", "hexascii", "hex", "quiet", "absolute"],
)
def test_text_equals_tcpdump(side_by_side, flags):
    f = str(side_by_side["mine"])
    assert lines([*EBPFLAB, "tcpdump", "-n", *flags, "-r", f]) == lines(["tcpdump", "-n", *flags, "-r", f])


def test_pcap_is_read_by_tcpdump_and_the_counts_add_up(side_by_side):
    res = subprocess.run(["tcpdump", "-n", "-r", str(side_by_side["mine"])], capture_output=True, text=True)
    assert res.returncode == 0 and "link-type EN10MB" in res.stderr
    assert len(res.stdout.splitlines()) >= 200


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EBPFLAB, "tcpdump", *args], capture_output=True, text=True, timeout=START)


def test_bad_input_is_one_line_and_nothing_stays_attached(net, tmp_path):
    ns = net["server"].netns
    cases = {
        "interface": ("-i", "nosuch0", "--netns", ns, "-c", "1"),
        "expression": ("-i", "eth0", "--netns", ns, "tcp and ("),
        "output": ("-i", "eth0", "--netns", ns, "-w", str(tmp_path / "no" / "dir.pcap")),
        "namespace": ("-i", "eth0", "--netns", "ebl-no-such-ns"),
        "input": ("-r", str(tmp_path / "missing.pcap")),
        "not pcap": ("-r", "/etc/hostname"),
    }
    for what, args in cases.items():
        res = run_cli(*args)
        assert res.returncode == 2, what
        assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("ebpflab: "), (what, res.stderr)
        assert not xdp_attached(ns), what


def test_not_root_is_one_line(net):
    uid, gid = not_root()
    user = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
    probe = subprocess.run(
        [*user, *EBPFLAB, "--help"],
        capture_output=True,
        timeout=START,
        cwd="/",
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if probe.returncode != 0:
        pytest.skip("no unprivileged user can run this checkout's venv (e.g. under /root)")
    res = subprocess.run(
        [*user, *EBPFLAB, "tcpdump", "-i", "eth0", "--netns", net["server"].netns],
        capture_output=True,
        text=True,
        timeout=START,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [res.stderr.strip()] and "root" in res.stderr


def test_count_sigterm_and_sigint_detach(net, tmp_path):
    ns = net["server"].netns
    p = subprocess.Popen(
        [*EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns, "-c", "5", "udp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    head = wait_listening_text(p)
    traffic.send(net, "client", traffic.udp(net, "client", "server", dport=12345), count=20)
    out, err = p.communicate(timeout=STOP)
    err = head + err
    assert p.returncode == 0 and len(out.splitlines()) == 5 and "UDP, length 18" in out
    assert "filter compiled into the XDP program" in err
    assert not xdp_attached(ns)
    p = subprocess.Popen(
        [*EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_listening_text(p)
    assert xdp_attached(ns)
    p.terminate()
    p.communicate(timeout=STOP)
    assert not xdp_attached(ns)
    # Started as a script's background job (SIGINT ignored), it still stops and detaches on SIGINT.
    p = subprocess.Popen(
        [*EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    wait_listening_text(p)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=STOP)
    assert p.returncode == 0 and not xdp_attached(ns)


def test_pcapng_capture_is_read_by_tcpdump(net, tmp_path):
    """-w --pcapng on a live capture: the ring's batches become enhanced packet blocks tcpdump reads."""
    ns, out = net["server"].netns, tmp_path / "cap.pcapng"
    p = subprocess.Popen(
        [*EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns, "-c", "5", "-w", str(out), "--pcapng", "udp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_listening_text(p)
    traffic.send(net, "client", traffic.udp(net, "client", "server", dport=12345), count=20)
    p.communicate(timeout=STOP)
    assert p.returncode == 0 and out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    text = subprocess.run(["tcpdump", "-n", "-r", str(out)], capture_output=True, text=True, check=True).stdout
    assert len(text.splitlines()) == 5 and all("UDP, length 18" in line for line in text.splitlines())
    assert not xdp_attached(ns)


def wait_listening_text(p: subprocess.Popen) -> str:
    seen = ""
    for _ in range(10):
        line = p.stderr.readline()
        seen += line
        if "listening on" in line or not line:
            break
    return seen


def test_help_reads_like_a_man_page():
    out = run_cli("--help").stdout
    for word in (
        "usage: ebpflab tcpdump",
        "-i IFACE",
        "-w FILE",
        "-r FILE",
        "expression",
        "exit status",
        "packets dropped by kernel",
        "examples",
    ):
        assert word in out


def test_cleanup_detaches_what_a_killed_capture_left(net):
    from ebpflab import cleanup
    from ebpflab.system import start_time

    ns = net["server"].netns
    p = subprocess.Popen(
        [*EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_listening_text(p)
    tag = f"{p.pid}_{start_time(p.pid)}"  # system.owner_tag() of the capture
    p.kill()  # SIGKILL: no chance to detach
    p.wait()
    assert xdp_attached(ns)
    marks = [m for m in cleanup.leftover_xdp_marks() if m.read_text().split()[0] == tag]
    assert len(marks) == 1 and str(marks[0]) in cleanup.leftovers()
    cleanup.detach_xdp_mark(marks[0])
    assert not xdp_attached(ns) and not marks[0].exists()


def test_protocol_breakdown_in_the_kernel_counts_everything_that_arrived(net):
    from ebpflab.tcpdump.capture import Capture

    frames = traffic_mix(net["client"].mac, net["server"].mac, net["client"].ip, net["server"].ip)
    with Capture("eth0", net["server"].netns, "arp", ring_kib=4) as cap:  # a tiny ring: most are dropped
        traffic.send(net, "client", frames)
        wait_until(
            lambda: cap.stats()["seen"] >= len(frames) and sum(cap.protocols().values()) >= len(frames),
            what="every frame seen and counted by protocol",
        )
        cap.poll()
        protocols, stats = cap.protocols(), cap.stats()
    assert sum(protocols.values()) == stats["seen"] == len(frames)
    from ebpflab.frames import protocol_of
    from ebpflab.tcpdump.capfilter import compile_filter

    assert protocols["ARP"] == sum(protocol_of(f).endswith("ARP") for f in frames)  # tagged or not
    kept = compile_filter("arp")  # libpcap's "arp" looks at the outer ethertype only
    assert stats["captured"] + stats["dropped"] == sum(kept.matches(f) for f in frames)
    assert protocols["ICMPv6"] == 16 and protocols["malformed"] > 0


def test_an_interface_already_running_xdp_is_left_alone(net):
    from ebpflab.loader import Program

    ns = net["server"].netns
    with Program("xdp_pass") as prog, prog.xdp(net["server"]):
        res = run_cli("-i", "eth0", "--netns", ns, "-c", "1")
        assert res.returncode == 2 and "already runs the XDP program 'xdp_pass'" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert (
            "xdp_pass"
            in subprocess.run(["ip", "-n", ns, "link", "show", "eth0"], capture_output=True, text=True).stdout
        )


def test_a_burst_of_many_wake_ups_is_read_exactly_and_the_counts_add_up(net):
    """Batches cut by numpy (runs of one size) and record by record (mixed sizes) give the packets
    in the order sent; nothing is lost silently: captured + dropped = seen."""
    import threading

    from ebpflab.tcpdump.capture import Capture

    sizes = [18] * 300 + [18, 200, 1000] * 100 + [600] * 300  # runs of one size, and no run at all
    frames = [
        bytes(traffic.udp(net, "client", "server", dport=7777, payload=i.to_bytes(4, "big") + b"x" * (n - 4)))
        for i, n in enumerate(sizes)
    ]
    got = []
    with Capture("eth0", net["server"].netns, ring_kib=64) as cap:  # a wake-up every 16 KiB: dozens here
        sender = threading.Thread(target=traffic.send, args=(net, "client", frames), kwargs={"rate": 5000})
        sender.start()
        deadline = time.monotonic() + 30
        while (sender.is_alive() or cap.ring.pending()) and time.monotonic() < deadline:
            got += cap.poll(0.05)
        sender.join()
        got += cap.poll(0)
        stats = cap.stats()
    assert stats["seen"] == len(frames) and stats["captured"] + stats["dropped"] == stats["seen"]
    assert len(got) == stats["captured"]
    sent = iter(frames)
    assert all(any(p.data == f for f in sent) for p in got), "packets out of order or altered"
    if stats["dropped"] == 0:
        assert [p.data for p in got] == frames and all(p.len == len(p.data) for p in got)
