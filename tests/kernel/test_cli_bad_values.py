# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Every option of the `ebpflab` command, given a bad value: one line on stderr, exit status 2,
no traceback, and nothing left behind (no output file, no namespace, no XDP program)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EBPFLAB = str(Path(sys.executable).parent / "ebpflab")
MISSING_NS = "ebl-nonexistent-namespace"

# (arguments, a word the one line must contain); {out} is a file that must not be left behind, {pcap} a good pcap.
CASES = [
    (["tcpdump", "-s", "99999999999"], "snaplen"),
    (["tcpdump", "-s", "-1"], "snaplen"),
    (["tcpdump", "-s", "x"], "snaplen"),
    (["tcpdump", "-c", "0"], "packet count"),
    (["tcpdump", "-c", "-1"], "packet count"),
    (["tcpdump", "-c", "1.5"], "packet count"),
    (["tcpdump", "-c", "99999999999"], "packet count"),
    (["tcpdump", "-B", "999999999"], "buffer size"),
    (["tcpdump", "-B", "0"], "buffer size"),
    (["tcpdump", "-B", "-1"], "buffer size"),
    (["tcpdump", "-B", "big"], "buffer size"),
    (["tcpdump", "--timeout", "nan"], "timeout"),
    (["tcpdump", "--timeout", "inf"], "timeout"),
    (["tcpdump", "--timeout", "-1"], "timeout"),
    (["tcpdump", "--timeout", "0"], "timeout"),
    (["tcpdump", "--netns", ""], "namespace"),
    (["tcpdump", "--netns", "../../proc/1/ns/net"], "namespace"),
    (["tcpdump", "--netns", "a b"], "namespace"),
    (["tcpdump", "-i", ""], "interface"),
    (["tcpdump", "-i", "a/b"], "interface"),
    (["tcpdump", "-i", "x" * 16], "interface"),
    (["tcpdump", "-Q", "out"], "-Q"),
    (["tcpdump", "-w", ""], "file name"),
    (["tcpdump", "-r", ""], "file name"),
    (["tcpdump", "-r", "/nonexistent/x.pcap"], "cannot read"),
    (["tcpdump", "-r", "{pcap}", "-w", "/dev/full"], "cannot write /dev/full"),
    (["tcpdump", "-r", "{pcap}", "tcp and and"], "syntax error"),
    (["tcpdump", "-w", "{out}", "--netns", MISSING_NS], "does not exist"),
    (["tcpdump", "-w", "{out}", "-i", "nosuchif0", "--netns", MISSING_NS], "does not exist"),
    (["tcpdump", "-w", "{out}", "-i", "nosuchif0"], "no interface"),
    (["tcpdump", "-w", "{out}", "tcp and and"], "syntax error"),
    (["tcpdump", "-x", "-X"], "not allowed"),
    (["export", "--port", "abc"], "port"),
    (["export", "--port", "70000"], "port"),
    (["export", "--port", "-1"], "port"),
    (["export", "--seconds", "nan"], "duration"),
    (["export", "--seconds", "-5"], "duration"),
    (["events", "--count", "-1"], "event count"),
    (["events", "--count", "many"], "event count"),
    (["events", "--count", "99999999999"], "event count"),
    (["cleanup", "--bogus"], "unrecognized"),
    (["doctor", "--bogus"], "unrecognized"),
    (["nosuchcommand"], "invalid choice"),
]


@pytest.fixture(scope="module")
def pcap(tmp_path_factory) -> Path:
    from ebpflab.tcpdump.pcap import Packet, PcapWriter

    path = tmp_path_factory.mktemp("pcap") / "in.pcap"
    with PcapWriter(path) as w:
        w.write(Packet(1_000_000_000, 60, b"\x02\xeb\0\0\0\x02\x02\xeb\0\0\0\x01\x88\xb5" + b"\0" * 46))
    return path


@pytest.mark.parametrize("argv, word", CASES, ids=[" ".join(a) or "''" for a, _ in CASES])
def test_bad_value_gives_one_line_and_exit_2(argv, word, tmp_path, pcap):
    out = tmp_path / "out.pcap"
    argv = [a.format(out=out, pcap=pcap) for a in argv]
    res = subprocess.run([EBPFLAB, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    err = res.stderr.strip()
    assert res.returncode == 2, (res.returncode, err)
    # tcpdump's own banners may come first ("reading from file ...", "listening on ..."): then one line.
    lines = [
        ln for ln in err.splitlines() if not ln.startswith(("reading from file ", "listening on ", "ebpflab tcpdump: "))
    ]
    assert len(lines) == 1 and lines[0].startswith("ebpflab"), f"not one line:\n{err}"
    assert word in err, err
    assert "Traceback" not in err
    assert not out.exists(), "a failed run left its output file behind"
    assert list(tmp_path.iterdir()) == [], "a failed run left something behind"


def test_url_with_a_bad_port_setting_is_one_line(tmp_path):
    env = dict(os.environ, EBPFLAB_PORT="abc", EBPFLAB_STATE=str(tmp_path))
    res = subprocess.run([EBPFLAB, "url"], capture_output=True, text=True, env=env)
    assert (
        res.returncode == 2
        and res.stderr.strip() == "ebpflab: EBPFLAB_PORT must be a TCP port number from 1 to 65535, not 'abc'"
    )


def _xdp_on(net, host: str) -> str:
    return subprocess.run(
        ["ip", "-n", net[host].netns, "-d", "link", "show", "eth0"], capture_output=True, text=True
    ).stdout


def _start_capture(net, shell_tail: str, *args: str) -> subprocess.Popen:
    cmd = " ".join([EBPFLAB, "tcpdump", "-i", "eth0", "--netns", net["server"].netns, "--timeout", "60", *args])
    p = subprocess.Popen(
        ["bash", "-c", f"set -o pipefail; {cmd} {shell_tail}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    for line in p.stderr:
        if line.startswith("listening on"):
            return p
    raise AssertionError(f"the capture did not start: {p.communicate()}")


def test_live_capture_into_head_ends_quietly(net):
    from ebpflab import traffic

    p = _start_capture(net, "| head -2")
    traffic.send(net, "client", traffic.udp(net, "client", "server"), count=200, rate=2000)
    out, err = p.communicate(timeout=60)
    assert len(out.splitlines()) == 2
    assert p.returncode == 0, err
    assert "Traceback" not in err and "Exception" not in err and "Broken pipe" not in err, err
    assert "xdp" not in _xdp_on(net, "server"), "the capture left its program attached"


def test_live_capture_to_a_full_disk_is_one_line(net):
    from ebpflab import traffic

    p = _start_capture(net, "", "-w", "/dev/full")
    traffic.send(net, "client", traffic.udp(net, "client", "server"), count=200, rate=2000)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == 2, err
    assert err.strip().splitlines() == ["ebpflab: cannot write /dev/full: No space left on device"], err
    assert "xdp" not in _xdp_on(net, "server"), "the capture left its program attached"
