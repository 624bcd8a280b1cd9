# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""ebpflab.tcpdump.ringbuf.split on ring contents laid out as the kernel lays them out (no kernel needed)."""

from __future__ import annotations

import struct

from ebpflab.tcpdump.ringbuf import BUSY, DISCARD, split


def record(sample: bytes, flags: int = 0) -> bytes:
    """An 8-byte header (length and flags, page offset), the sample, padding to 8 bytes."""
    pad = -(len(sample) + 8) % 8
    return struct.pack("<II", len(sample) | flags, 0) + sample + b"\xee" * pad


def test_runs_and_singles_come_out_in_order_without_headers():
    samples = (
        [bytes([i]) * 76 for i in range(20)] + [b"a" * 5, b"bb" * 9, b"c" * 76] + [bytes([i]) * 3 for i in range(12)]
    )
    buf = b"".join(record(s) for s in samples)
    chunks, count, used = split(memoryview(buf))
    assert b"".join(chunks) == b"".join(samples) and count == len(samples) and used == len(buf)


def test_a_busy_record_ends_the_batch_and_discarded_ones_are_skipped():
    done = [b"x" * 76] * 10 + [b"gone" * 3]
    buf = b"".join(record(s, DISCARD if s == b"gone" * 3 else 0) for s in done)
    tail = record(b"y" * 76, BUSY) + record(b"z" * 76)
    chunks, count, used = split(memoryview(buf + tail))
    assert b"".join(chunks) == b"x" * 760 and count == 10 and used == len(buf)


def test_a_run_stops_where_the_size_changes_even_if_the_data_looks_like_a_header():
    fake = struct.pack("<II", 76, 0) * 9 + b"\0" * 4  # 76 bytes that look like headers of 76
    samples = [b"q" * 76] * 9 + [fake] * 1 + [b"r" * 20] * 9
    buf = b"".join(record(s) for s in samples)
    chunks, count, _used = split(memoryview(buf))
    assert b"".join(chunks) == b"".join(samples) and count == len(samples)


def test_a_bad_wake_up_interval_is_one_sentence():
    import pytest

    from ebpflab import LabError
    from ebpflab.tcpdump.capture import Capture

    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(LabError, match="wake_ms"):
            Capture("eth0", wake_ms=bad)
