# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`ebpflab tcpdump -r` on damaged pcap files: tcpdump's words, one line, a non-zero exit (lab 06).

Needs no kernel: the files are written here and both tools only read them.
"""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

FRAME = (
    bytes.fromhex("02eb0000000202eb000000010800")
    + bytes.fromhex("4500002e000100004011f26fc6120001c6120002")
    + bytes.fromhex("9c401e61001a0000")
    + b"x" * 18
)
HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def rec(caplen: int, length: int, data: bytes = FRAME) -> bytes:
    return struct.pack("<IIII", 1, 2, caplen, length) + data


GOOD = HEADER + rec(60, 60)
DAMAGED = {
    "empty": b"",
    "short file header": HEADER[:10],
    "unknown format": b"\0" * 24,
    "truncated record header": GOOD + rec(60, 60)[:10],
    "truncated record": GOOD + rec(60, 60)[:40],
    "capture length 0xffffffff": GOOD + rec(0xFFFFFFFF, 60),
}


def both(path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    ours = subprocess.run(
        [sys.executable, "-m", "ebpflab.cli", "tcpdump", "-n", "-r", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    theirs = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, timeout=60)
    return ours, theirs


def last_words(stderr: str) -> str:
    """The error after the tool's name (and libpcap's `pcap_loop: `)."""
    return stderr.strip().splitlines()[-1].split(": ", 1)[1].removeprefix("pcap_loop: ")


@pytest.mark.parametrize("name", list(DAMAGED))
def test_a_damaged_file_is_one_line_in_tcpdumps_words(name, tmp_path):
    path = tmp_path / "damaged.pcap"
    path.write_bytes(DAMAGED[name])
    ours, theirs = both(path)
    assert theirs.returncode != 0 and ours.returncode != 0
    assert ours.stdout.splitlines() == theirs.stdout.splitlines()  # the packets before the damage
    assert "Traceback" not in ours.stderr and ours.stderr.strip().splitlines()[-1].startswith("ebpflab: ")
    if name == "unknown format":
        assert ours.stderr.strip().endswith("unknown file format") and "unknown file format" in theirs.stderr
    else:
        assert last_words(ours.stderr) == last_words(theirs.stderr)


def test_a_length_below_the_capture_length_is_reported_as_tcpdump_does(tmp_path):
    path = tmp_path / "lies.pcap"
    path.write_bytes(GOOD + rec(60, 50) + rec(60, 60))
    ours, theirs = both(path)
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout.splitlines() == theirs.stdout.splitlines()
    assert "[Invalid header: len(50) < caplen(60)]" in ours.stdout
