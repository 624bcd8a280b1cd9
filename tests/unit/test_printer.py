# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The tcpdump text printer prints what the real tcpdump prints for lab 06's traffic mix (no kernel: pcap files)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ebpflab.frames import traffic_mix
from ebpflab.tcpdump.pcap import Packet, PcapWriter, read_pcap

EBPFLAB = [str(Path(sys.executable).parent / "ebpflab")]
pytestmark = pytest.mark.skipif(shutil.which("tcpdump") is None, reason="the real tcpdump is the reference")


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    frames = traffic_mix("02:eb:00:00:00:01", "02:eb:00:00:00:02", "198.18.0.1", "198.18.0.2")
    path = tmp_path_factory.mktemp("printer") / "mix.pcap"
    with PcapWriter(path) as w:
        for i, f in enumerate(frames):
            w.write(Packet(1_700_000_000_000_000_000 + i * 1_000_000, len(f), f))
    return path, frames


def lines(cmd: list[str]) -> list[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.mark.parametrize(
    "flags", [[], ["-e"], ["-q"], ["-S"], ["-t"], ["-x"], ["-X"]], ids=lambda f: " ".join(f) or "plain"
)
def test_text_equals_tcpdump(mix, flags):
    path, _ = mix
    assert lines([*EBPFLAB, "tcpdump", "-n", *flags, "-r", str(path)]) == lines(
        ["tcpdump", "-n", *flags, "-r", str(path)]
    )


def test_pcap_round_trip(mix):
    path, frames = mix
    assert [p.data for p in read_pcap(path)] == frames
