# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The text printer follows the installed tcpdump's wording: 4.99.3/4.99.4 (Debian 12, Ubuntu 24.04) and
4.99.5 (Debian 13) word invalid IPv4 lengths differently (lab 06). No kernel needed."""

from __future__ import annotations

import pytest

from ebpflab.frames import traffic_mix
from ebpflab.tcpdump.pcap import Packet
from ebpflab.tcpdump.print.text import Printer, tcpdump_version

MAC1, MAC2, IP1, IP2 = "02:00:00:00:00:01", "02:00:00:00:00:02", "198.18.0.1", "198.18.0.2"
# What each tcpdump prints (after "IP ") for the mix's malformed IPv4 frames, read from the real binaries.
WORDING = {
    (4, 99, 3): [
        " [|ip]",
        "bad-len 30",
        "truncated-ip - 372 bytes missing! 198.18.0.1.41003 > 198.18.0.2.12005",
        "truncated-ip - 10 bytes missing! 198.18.0.1.42000 > 198.18.0.2.8000",
    ],
    (4, 99, 5): [
        " [length 12 < 20] (invalid)",
        " [total length 30 < 60] (invalid)",
        "[total length 400 > length 28] (invalid) 198.18.0.1.41003 > 198.18.0.2.12005",
        "[total length 40 > length 30] (invalid) 198.18.0.1.42000 > 198.18.0.2.8000",
    ],
}


@pytest.mark.parametrize("version", list(WORDING), ids=["4.99.3", "4.99.5"])
def test_invalid_ipv4_lengths_are_worded_like_that_tcpdump(version):
    printer = Printer()
    printer.tcpdump = version
    lines = [
        printer.line(Packet(ts_ns=0, len=len(f), data=f)).split(" ", 1)[1] for f in traffic_mix(MAC1, MAC2, IP1, IP2)
    ]
    invalid = [
        ln
        for ln in lines
        if ln.startswith("IP ") and ("invalid" in ln or "[|ip]" in ln or "bad-len" in ln or "truncated-ip" in ln)
    ]
    assert len(invalid) == 4
    for line, expected in zip(invalid, WORDING[version]):
        assert line.startswith("IP " + expected), (line, expected)


def test_the_installed_tcpdump_is_asked_once():
    assert tcpdump_version() >= (4, 99)
    assert tcpdump_version.cache_info().currsize == 1


def test_an_http_line_without_its_end_is_worded_like_that_tcpdump():
    """Seen on Debian 13's tcpdump 4.99.5 in distro-test: no '[|http]' after a request line cut before CRLF."""
    from ebpflab.tcpdump.print.apps import http

    assert http(b"GET / HTTP/1.0", 14, (4, 99, 3)) == ": HTTP: GET / HTTP/1.0 [|http]"
    assert http(b"GET / HTTP/1.0", 14, (4, 99, 5)) == ": HTTP: GET / HTTP/1.0"
