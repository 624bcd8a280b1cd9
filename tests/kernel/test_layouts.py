# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Each Python mirror of a C layout matches what the compiler made of the C (BCC's types come from clang)."""

from __future__ import annotations

import ctypes

from ebpflab import monitor
from ebpflab.loader import Program
from ebpflab.tcpdump import capture, pcap


def fields(ctype) -> list[tuple[str, int, int]]:
    """(name, offset, size) of each field of a ctypes structure."""
    return [(name, getattr(ctype, name).offset, getattr(ctype, name).size) for name, *_ in ctype._fields_]


def test_capture_record_stats_and_protocols_match_xdp_capture_c():
    probe = (
        '#include "xdp_capture.c"\nBPF_ARRAY(layout_rec, struct pcap_rec, 1);\n'
        "BPF_ARRAY(layout_nstats, u32, NSTATS);\nBPF_ARRAY(layout_nproto, u32, NPROTO);\n"
    )
    with Program(probe, {"CAP_BYTES": 64}) as prog:
        rec = prog["layout_rec"].Leaf
        header = [f for f in fields(rec) if f[0] != "data"]
        assert rec.data.offset == pcap.RECORD.size, "pcap.RECORD must end where data[] starts"
        sizes = {"Q": 8, "I": 4}
        assert [s for _, _, s in header] == [sizes[c] for c in pcap.RECORD.format.lstrip("<")]
        assert [n for n, _, _ in header] == ["ts_sec", "ts_usec", "caplen", "len"]  # the order RECORD unpacks
        assert len(capture.STATS) == prog["layout_nstats"].max_entries
        assert len(capture.PROTOCOL_SLOTS) == prog["layout_nproto"].max_entries


def test_exporter_src_stats_matches_xdp_monitor_c():
    with Program("xdp_monitor") as prog:
        leaf = prog["sources"].Leaf
        assert fields(monitor.SrcStats) == fields(leaf)
        assert ctypes.sizeof(monitor.SrcStats) == ctypes.sizeof(leaf)
        assert ctypes.sizeof(prog["sources"].Key) == ctypes.sizeof(ctypes.c_uint32)
