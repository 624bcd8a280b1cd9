"""`ebpflab tcpdump -r` prints what `tcpdump -n -r` prints on real-world-shaped captures (issue 16).

Needs no kernel: the corpus (tests/corpus.py) is crafted with scapy and both tools read it.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from corpus import write


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write(tmp_path_factory.mktemp("corpus") / "corpus.pcap")


def lines(cmd: list[str]) -> list[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    return [line.split(" ", 1)[1] if line[:2].isdigit() else line for line in out]  # drop timestamps


@pytest.mark.parametrize("flags", [[], ["-e"], ["-q"]], ids=["plain", "link", "quiet"])
def test_every_line_equals_tcpdumps(corpus, flags):
    theirs = lines(["tcpdump", "-n", *flags, "-r", str(corpus)])
    ours = lines([sys.executable, "-m", "ebpflab.cli", "tcpdump", "-n", *flags, "-r", str(corpus)])
    assert len(theirs) >= 36
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"frame {i}"
    assert len(ours) == len(theirs)
