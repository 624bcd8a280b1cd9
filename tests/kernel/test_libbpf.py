# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 11's CO-RE programs: built by clang, loaded by libbpf through ctypes, on the real kernel."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from waiting import wait_until

from ebpflab import BPF_DIR, REPO, LabError, hooks, traffic
from ebpflab.libbpf import CLANG_FLAGS, XDP_DROP, CoreProgram, compile_object, without_headers
from ebpflab.loader import Program

CORE_SOURCES = sorted(BPF_DIR.glob("*.bpf.c"))


def mixed_frames(net) -> list:
    """Frames of several sizes and protocols, so that a wrong byte count cannot hide."""
    return [traffic.udp(net, "client", "server", dport=7777, payload=b"p" * n) for n in (1, 18, 200, 1400)] + [
        traffic.tcp_syn(net, "client", "server", dport=80),
        traffic.icmp_echo(net, "client", "server"),
    ]


@pytest.mark.parametrize("source", CORE_SOURCES, ids=[p.name for p in CORE_SOURCES])
def test_every_bpf_c_builds_into_an_object_with_btf(source: Path, tmp_path: Path):
    obj = compile_object(source, tmp_path / source.name.replace(".c", ".o"))
    data = obj.read_bytes()
    assert data[:4] == b"\x7fELF" and b".BTF.ext" in data, "the object must carry BTF and CO-RE/line info"


def test_the_makefile_compiles_with_the_same_flags_as_the_binding():
    rule = re.search(r"^build/%\.bpf\.o:.*\n(?:\t.*\n)+", (REPO / "Makefile").read_text(), re.M)
    assert rule and f"clang {' '.join(CLANG_FLAGS)} " in rule.group(0)


def test_an_object_compiled_elsewhere_loads_from_where_it_lies(tmp_path: Path):
    """Lab 11's checks compile a learner's C into a temporary directory, never into build/."""
    obj = compile_object(BPF_DIR / "xdp_count.bpf.c", tmp_path / "answer.bpf.o")
    with CoreProgram(obj, knobs={"xdp_action": XDP_DROP}) as prog:
        assert prog.name == "answer" and prog.path == obj
        assert prog.read_only_globals() == {"xdp_action": XDP_DROP}
        assert prog["counts"].values() == [0, 0]
    with pytest.raises(LabError, match="no compiled object"):
        CoreProgram(tmp_path / "missing.bpf.o").build()


def test_core_counter_counts_exactly_what_its_bcc_twin_counts(net):
    frames = mixed_frames(net)
    totals = {}
    for engine, make in (("bcc", lambda: Program("xdp_count")), ("core", lambda: CoreProgram("xdp_count"))):
        with make() as prog, prog.xdp(net["server"]):
            sent = traffic.send(net, "client", frames, count=600)
            counts = prog["counts"]
            wait_until(lambda: int(getattr(counts[0], "value", counts[0])) >= 600, what=f"{engine} to count 600")  # noqa: B023 (called in this iteration)
            totals[engine] = (int(getattr(counts[0], "value", counts[0])), int(getattr(counts[1], "value", counts[1])))
    assert sent.packets == 600
    assert totals["core"] == totals["bcc"] == (sent.packets, sent.bytes)


def test_a_read_only_global_set_before_load_changes_the_verdict(net):
    with CoreProgram("xdp_count", knobs={"xdp_action": XDP_DROP}) as prog, prog.xdp(net["server"]):
        assert prog.read_only_globals() == {"xdp_action": XDP_DROP}
        assert traffic.ping(net, "client", "server", count=2, timeout=0.3) == 0
        assert prog["counts"][0] == 2
    assert traffic.ping(net, "client", "server", count=1) == 1  # detached


def test_bad_knobs_and_names_are_one_sentence():
    with pytest.raises(LabError, match="no read-only global 'nope'; it has: xdp_action"):
        CoreProgram("xdp_count", knobs={"nope": 1}).build().close()
    with pytest.raises(LabError, match="does not fit"):
        CoreProgram("xdp_count", knobs={"xdp_action": 1 << 40}).build().close()
    with pytest.raises(LabError, match="no CO-RE program 'nothing'"):
        CoreProgram("nothing").build()
    with CoreProgram("xdp_count") as prog:
        prog.load()
        with pytest.raises(LabError, match="fixed at load time"):
            prog._set_rodata({"xdp_action": 1})
        with pytest.raises(LabError, match="no map named 'missing'"):
            prog["missing"]


def test_core_read_of_struct_sock_counts_the_servers_connections(net):
    port = 34000 + int(time.time()) % 1000
    with CoreProgram("tcp_states", knobs={"port": port}) as prog, prog.attach():
        hooks.tcp_connections(net, "client", "server", port, count=3)
        established = prog["changes"][1]  # TCP_ESTABLISHED
    assert established == 3


CHILD = """
import json, time
from ebpflab import traffic
from ebpflab.errors import LabError
from ebpflab.libbpf import CoreProgram
from ebpflab.loader import Program
from ebpflab.netlab import LabNet
out = {}
with LabNet() as net:
    with CoreProgram("xdp_count") as prog, prog.xdp(net["server"]):
        sent = traffic.send(net, "client", traffic.udp(net, "client", "server"), count=100)
        deadline = time.monotonic() + 10
        while prog["counts"][0] < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
        out["core"] = [prog["counts"][0], prog["counts"][1], sent.bytes]
    try:
        with Program("xdp_count") as prog:
            out["bcc"] = "compiled"
    except LabError as exc:
        out["bcc"] = str(exc)
print(json.dumps(out))
"""


def test_core_runs_where_the_kernel_headers_are_missing_and_bcc_cannot():
    # the built object is reused from build/, as it would be shipped
    CoreProgram("xdp_count").build().close()
    run = without_headers(CHILD)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    packets, nbytes, sent_bytes = out["core"]
    assert (packets, nbytes) == (100, sent_bytes)
    assert re.fullmatch(
        r"BCC cannot compile bpf/xdp_count\.c: no kernel headers at /lib/modules/\S+/build: "
        r"run `make lab` to install them\.",
        out["bcc"],
    ), out["bcc"]


def test_core_capture_records_exactly_what_the_bcc_capture_records(net):
    from ebpflab.tcpdump.capture import Capture
    from ebpflab.tcpdump.corecapture import HEADER

    frames = mixed_frames(net)
    records: list[bytes] = []
    with CoreProgram("xdp_capture") as prog, prog.xdp(net["server"]), prog.ring_buffer("events", records.append):
        sent = traffic.send(net, "client", frames, count=300)
        wait_until(lambda: len(records) >= 300, what="300 records")
    core = []
    for r in records:
        _, wire, caplen, _, _ = HEADER.unpack_from(r)
        core.append((wire, r[HEADER.size : HEADER.size + caplen]))
    bcc = []
    with Capture("eth0", net["server"].netns) as cap:
        traffic.send(net, "client", frames, count=300)
        deadline = time.monotonic() + 10
        while len(bcc) < 300 and time.monotonic() < deadline:
            bcc += [(p.len, p.data) for p in cap.poll()]
        stats = cap.stats()
    assert len(core) == sent.packets == 300 and sum(w for w, _ in core) == sent.bytes
    assert core == bcc and stats["dropped"] == 0


@pytest.mark.parametrize("engine", ["bcc", "core"])
def test_ring_buffer_hands_bytes_and_reports_a_failing_callback(net, engine):
    make, ring = {
        "bcc": (lambda: Program("xdp_first_bytes"), "frames"),
        "core": (lambda: CoreProgram("xdp_capture"), "events"),
    }[engine]
    records: list = []

    def on_record(record: bytes) -> None:
        records.append(record)
        raise ValueError("a bug in the callback")

    with pytest.raises(LabError, match="callback failed: ValueError"):
        with make() as prog, prog.xdp(net["server"]), prog.ring_buffer(ring, on_record):
            traffic.send(net, "client", traffic.udp(net, "client", "server"), count=3)
            wait_until(lambda: len(records) >= 3, what="three records")
    assert len(records) == 3 and all(type(r) is bytes for r in records)


def test_a_snap_length_knob_shortens_the_core_capture(net):
    from ebpflab.tcpdump.corecapture import HEADER

    records: list[bytes] = []
    with (
        CoreProgram("xdp_capture", knobs={"snaplen": 64}) as prog,
        prog.xdp(net["server"]),
        prog.ring_buffer("events", records.append),
    ):
        traffic.send(net, "client", traffic.udp(net, "client", "server", payload=b"x" * 500), count=10)
        wait_until(lambda: len(records) >= 10, what="10 records")
        stats = prog["stats"].values()
    assert [HEADER.unpack_from(r)[1:3] for r in records] == [(542, 64)] * 10
    assert stats == [10, 10, 0]


def test_core_never_replaces_another_xdp_program_and_always_detaches(net):
    with Program("xdp_pass") as bcc, bcc.xdp(net["server"]):
        with pytest.raises(LabError, match="already runs the XDP program 'xdp_pass'"):
            with CoreProgram("xdp_count") as prog, prog.xdp(net["server"]):
                pass
    with pytest.raises(RuntimeError):
        with CoreProgram("xdp_count", knobs={"xdp_action": XDP_DROP}) as prog, prog.xdp(net["server"]):
            raise RuntimeError("a cell fails while attached")
    assert traffic.ping(net, "client", "server", count=1) == 1  # detached on the way out


def test_tcpdump_engine_core_writes_every_frame_sent(net, tmp_path):
    import signal
    import subprocess
    import sys

    from ebpflab.frames import traffic_mix
    from ebpflab.tcpdump.pcap import read_pcap

    pcap = tmp_path / "core.pcap"
    ns = net["server"].netns
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ebpflab.cli",
            "tcpdump",
            "--engine",
            "core",
            "-i",
            "eth0",
            "--netns",
            ns,
            "-w",
            str(pcap),
            "--timeout",
            "60",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "listening on" not in line and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stderr.readline()
        assert "listening on" in line, f"ebpflab tcpdump --engine core did not start: {line}"
        frames = traffic_mix(net["client"].mac, net["server"].mac, net["client"].ip, net["server"].ip)
        traffic.send(net, "client", frames, rate=5000)
        whole = 24 + sum(16 + len(bytes(f)) for f in frames)  # the pcap header, then a record per frame
        wait_until(lambda: pcap.exists() and pcap.stat().st_size >= whole, what="every frame written")
    finally:
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, err
    got = [p.data for p in read_pcap(str(pcap))]
    assert got == [bytes(f) for f in frames], err
    assert f"{len(frames)} packets captured" in err
    out = subprocess.run(["ip", "-n", ns, "link", "show", "eth0"], capture_output=True, text=True).stdout
    assert "xdp" not in out  # detached on Ctrl-C


def test_tcpdump_engine_core_says_what_it_cannot_do(net):
    import subprocess
    import sys

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "ebpflab.cli",
            "tcpdump",
            "--engine",
            "core",
            "-B",
            "64",
            "--netns",
            net["server"].netns,
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "ring buffer is 4096 KiB" in run.stderr
