# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`ebpflab tcpdump -r` prints what `tcpdump -n -r` prints on real-world-shaped captures (issue 16).

Needs no kernel: the corpus (tests/corpus.py) is crafted with scapy and both tools read it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from corpus import write, write_pcapng


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write(tmp_path_factory.mktemp("corpus") / "corpus.pcap")


def lines(cmd: list[str]) -> list[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    return [line.split(" ", 1)[1] if line[:2].isdigit() else line for line in out]  # drop timestamps


@pytest.mark.parametrize("flags", [[], ["-e"], ["-q"], ["-x"], ["-X"]], ids=["plain", "link", "quiet", "hex", "ascii"])
def test_every_line_equals_tcpdumps(corpus, flags):
    theirs = lines(["tcpdump", "-n", *flags, "-r", str(corpus)])
    ours = lines([sys.executable, "-m", "ebpflab.cli", "tcpdump", "-n", *flags, "-r", str(corpus)])
    assert len(theirs) >= 36 + 28 + 57 + 35 + 21 + 53 + 47 + 46 + 27 + 46 + 15 + 25 + 28 + 25
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"frame {i}"
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("kind", ["pcapng", "LINUX_SLL", "RAW"])
def test_pcapng_cooked_and_raw_ip_captures_read_as_tcpdump_reads_them(tmp_path, kind):
    path = (
        write_pcapng(tmp_path / "c.pcapng")
        if kind == "pcapng"
        else write(tmp_path / "c.pcap", {"LINUX_SLL": 113, "RAW": 101}[kind])
    )
    theirs = lines(["tcpdump", "-n", "-r", str(path)])
    ours = lines([sys.executable, "-m", "ebpflab.cli", "tcpdump", "-n", "-r", str(path)])
    assert len(theirs) >= 30 and ours == theirs
    res = subprocess.run(
        [sys.executable, "-m", "ebpflab.cli", "tcpdump", "-r", str(path), "udp and port 53"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 14  # the filter sees the IP layer


def test_a_capture_of_another_link_type_is_one_line(tmp_path):
    path = write(tmp_path / "c.pcap", 113)
    for flag in ("-e", "-w"):
        args = [flag] + ([str(tmp_path / "out.pcap")] if flag == "-w" else [])
        res = subprocess.run(
            [sys.executable, "-m", "ebpflab.cli", "tcpdump", "-r", str(path), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert res.returncode == 2 and "LINUX_SLL" in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "version, expected",
    [
        ((4, 99, 3), ["IP bad-hlen 16", "IP bad-hlen 12", "IP6 version error: 0 != 6", "IP6 version error: 4 != 6"]),
        (
            (4, 99, 5),
            [
                "IP  [header length 16 < 20] (invalid)",
                "IP  [header length 12 < 20] (invalid)",
                "IP6  [version 0 != 6] (invalid)",
                "IP6  [version 4 != 6] (invalid)",
            ],
        ),
    ],
    ids=["4.99.3", "4.99.5"],
)
def test_bad_header_lengths_and_versions_in_each_tcpdumps_words(version, expected):
    """Debian 12's tcpdump and Debian 13's word these differently (read from their print-ip.c, print-ip6.c)."""
    from corpus import frames

    from ebpflab.tcpdump.print.text import Printer

    printer = Printer()
    printer.tcpdump = version
    assert [printer.describe(f) for f in frames()[:4]] == expected


@pytest.mark.parametrize(
    "version, expected",
    [((4, 99, 3), "cc 10,ccnew 11, 12"), ((4, 99, 5), "cc 10,ccnew 11,ccecho 12")],
    ids=["4.99.3", "4.99.5"],
)
def test_tcp_option_13_in_each_tcpdumps_words(version, expected):
    """4.99.3 names kind 13 (T/TCP CC.ECHO) "" and 4.99.5 "ccecho" (their print-tcp.c)."""
    from corpus import tcp_option_frames

    from ebpflab.tcpdump.print.text import Printer

    printer = Printer()
    printer.tcpdump = version
    texts = [printer.describe(f) for f in tcp_option_frames()]
    assert sum(f"options [{expected},eol]" in t for t in texts) == 1
    assert sum("mptcp 4 capable v1" in t for t in texts) == 1 and sum("exp-tfo cookiereq" in t for t in texts) == 1


@pytest.mark.parametrize("flags", [[], ["-x"], ["-X"]], ids=["plain", "hex", "ascii"])
def test_frames_cut_by_the_snap_length_read_as_tcpdump_reads_them(tmp_path, flags):
    from corpus import snapped_frames

    path = write(tmp_path / "snapped.pcap", datas=snapped_frames())
    theirs = lines(["tcpdump", "-n", *flags, "-r", str(path)])
    ours = lines([sys.executable, "-m", "ebpflab.cli", "tcpdump", "-n", *flags, "-r", str(path)])
    assert len(theirs) >= 9 + 84 + 90 + 24 + 10 + 9 + 6 + 12 + 7 and ours == theirs


def test_a_jumbogram_is_decoded_whole_and_dumped_past_0xffff(corpus):
    """RFC 2675: payload length 0 and the length in a hop-by-hop option; -X columns past offset 0xffff."""
    out = lines([sys.executable, "-m", "ebpflab.cli", "tcpdump", "-n", "-X", "-r", str(corpus)])
    assert "IP6 2001:db8::1 > 2001:db8::2: HBH 1111 > 2222: UDP, length 70000" in out
    assert "\t0x10000:  7a7a 7a7a 7a7a 7a7a 7a7a 7a7a 7a7a 7a7a  zzzzzzzzzzzzzzzz" in out


@pytest.mark.parametrize(
    "version, expected",
    [
        ((4, 99, 3), "IP6 truncated-ip6 - 192 bytes missing!2001:db8::1.1 > 2001:db8::2.2: UDP, length 100"),
        (
            (4, 99, 5),
            "IP6 [header+payload length 340 > length 148] (invalid) 2001:db8::1.1 > 2001:db8::2.2: UDP, length 100",
        ),
    ],
    ids=["4.99.3", "4.99.5"],
)
def test_an_ipv6_packet_longer_than_its_frame_in_each_tcpdumps_words(version, expected):
    """print-ip6.c: 4.99.3 counts the missing bytes (no space before the addresses), 4.99.5 calls it invalid."""
    from corpus import ip6_frames

    from ebpflab.tcpdump.print.text import Printer

    printer = Printer()
    printer.tcpdump = version
    assert expected in [printer.describe(f)[: len(expected)] for f in ip6_frames()]


def test_pcapng_written_with_w_reads_as_the_pcap_it_came_from(corpus, tmp_path):
    """--pcapng: a section header, one interface, enhanced packet blocks; tcpdump and our reader agree."""
    out = tmp_path / "out.pcapng"
    subprocess.run(
        [sys.executable, "-m", "ebpflab.cli", "tcpdump", "-r", str(corpus), "-w", str(out), "--pcapng"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert lines(["tcpdump", "-n", "-r", str(out)]) == lines(["tcpdump", "-n", "-r", str(corpus)])
    from ebpflab.tcpdump.pcap import read_pcap

    assert [(p.ts_ns, p.len, p.data) for p in read_pcap(out)] == [(p.ts_ns, p.len, p.data) for p in read_pcap(corpus)]


def test_a_batch_of_pcap_records_becomes_the_same_pcapng_blocks(tmp_path):
    """The capture path hands -w whole batches of pcap records; --pcapng rewrites them block by block."""
    import struct

    from ebpflab.tcpdump.pcap import Packet, PcapngWriter

    pkts = [Packet(1_700_000_000_123_456_000 + i * 1000, 60 + i, bytes(range(i % 7 + 14))) for i in range(9)]
    batch = b"".join(
        struct.pack("<IIII", *divmod(p.ts_ns // 1000, 1_000_000), len(p.data), p.len) + p.data for p in pkts
    )
    with PcapngWriter(tmp_path / "a.pcapng") as a, PcapngWriter(tmp_path / "b.pcapng") as b:
        for p in pkts:
            a.write(p)
        b.write_records(batch)
    assert (tmp_path / "a.pcapng").read_bytes() == (tmp_path / "b.pcapng").read_bytes()


def test_pcapng_needs_w():
    res = subprocess.run(
        [sys.executable, "-m", "ebpflab.cli", "tcpdump", "-r", "x.pcap", "--pcapng"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--pcapng" in res.stderr


@pytest.mark.parametrize(
    "version, expected",
    [
        (
            (4, 99, 3),
            [
                "RT6 (len=9, type=0 [Deprecated], segleft=1, rsv=0x20008 (invalid length 9) (invalid)",
                "tag=0 (invalid length 221) (invalid)",
                "2001:db8::2:  [|frag6]",
                " [|ip6]",
                "IP bad-len 0",
            ],
        ),
        (
            (4, 99, 5),
            [
                "RT6 (len=9, type=0 [Deprecated], segleft=1, rsv=0x20008 [length 9] (invalid)",
                "tag=0 (invalid length 221) (invalid)",
                "2001:db8::2: frag ( [|frag6]",
                "IP6  [length 32 < 40] (invalid)",
                "IP 198.18.0.1.40000 > 198.18.0.2.7777: UDP, length 12",
            ],
        ),
    ],
    ids=["4.99.3", "4.99.5"],
)
def test_where_4_99_3_and_4_99_5_differ_each_is_followed(version, expected):
    """Read from both real binaries (Debian 12's and Debian 13's): routing headers of odd length (types 0 and 2
    only), a cut fragment header, an IPv6 packet under 40 bytes, an IPv4 total length of 0 (TSO in 4.99.5)."""
    from corpus import mutated_frames

    from ebpflab.tcpdump.print.text import Printer

    printer = Printer()
    printer.tcpdump = version
    texts = [printer.describe(f) for f in mutated_frames()[-5:]]
    assert all(e in t for e, t in zip(expected, texts)), texts


# corpus function -> (lines `tcpdump -n` prints for some of its frames, a word none of its lines may hold).
# Without -v these lines are the same in tcpdump 4.99.3 and 4.99.5.
AS_TCPDUMP_PRINTS = {
    "icmp_frames": (
        [  # the ICMP errors every traceroute gets back (print-icmp.c)
            "IP 198.18.0.2 > 198.18.0.1: ICMP time exceeded in-transit, length 40",
            "IP 198.18.0.2 > 198.18.0.1: ICMP 198.18.9.9 udp port 33434 unreachable, length 40",
            "IP 198.18.0.2 > 198.18.0.1: ICMP 198.18.9.9 unreachable - need to frag (mtu 1400), length 40",
        ],
        None,
    ),
    "tunnel_frames": (
        [  # IP in IP, GRE and AH print what they carry; ESP its SPI and sequence (print-gre.c, print-esp.c)
            "IP 198.18.0.1 > 198.18.0.2: IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 8",
            "IP 198.18.0.1 > 198.18.0.2: GREv0, key=0xabc, length 46: IP 198.18.1.1.1000 > 198.18.1.2.2000: UDP, length 10",
            "IP 198.18.0.1 > 198.18.0.2: ESP(spi=0x00001001,seq=0x7), length 40",
        ],
        "ip-proto",
    ),
    "ospf_frames": (
        [  # OSPF over IPv4 and IPv6 (print-ospf.c, print-ospf6.c)
            "IP 198.18.0.1 > 224.0.0.5: OSPFv2, Hello, length 44",
            "IP6 fe80::1 > ff02::5: OSPFv3, LS-Update, length 36",
        ],
        None,
    ),
    "dccp_frames": (
        [  # the ports, the packet type and its ack; the lines end in a space, as tcpdump's do (print-dccp.c)
            "IP 198.18.0.1.40000 > 198.18.0.2.5001: DCCP DCCP-Response (service=42) (ack=9) ",
            "IP 198.18.0.1.40000 > 198.18.0.2.5001: DCCP DCCP-Reset (code=no_connection) (ack=9) ",
        ],
        None,
    ),
    "sctp_frames": (
        [  # each chunk numbered, with the fields of INIT, DATA and SACK (print-sctp.c)
            "IP 198.18.0.1.40000 > 198.18.0.2.38412: sctp (1) [INIT] [init tag: 1234] [rwnd: 65536] [OS: 10] [MIS: 65535] "
            "[init TSN: 99] "
        ],
        "ip-proto",
    ),
    "igmp_frames": (
        [  # multicast joins, on every LAN with mDNS (print-igmp.c)
            "IP 198.18.0.1 > 224.0.0.251: igmp v2 report 224.0.0.251",
            "IP 198.18.0.1 > 224.0.0.251: igmp v3 report, 2 group record(s)",
            "IP 198.18.0.1 > 224.0.0.251: igmp query v3 [max resp time 1.0s] [gaddr 224.0.0.251, 1 source(s)]",
        ],
        None,
    ),
    "llc_frames": (
        [  # 802.3 frames: BPDUs (print-stp.c), IP over SNAP, other SAPs' frame kinds (print-llc.c)
            "STP 802.1d, Config, Flags [none], bridge-id 8001.02:eb:00:00:00:09.8002, length 35",
            "STP 802.1w, Rapid STP, Flags [Proposal, Learn, Forward, Agreement], bridge-id 8001.02:eb:00:00:00:09.8002, length 36",
            "STP 802.1s, Rapid STP, CIST Flags [Learn, Forward, Agreement], length 102",
        ],
        "ethertype",
    ),
}


@pytest.mark.parametrize("frames", AS_TCPDUMP_PRINTS)
def test_frames_read_as_tcpdump_prints_them(frames):
    import corpus

    from ebpflab.tcpdump.print.text import Printer

    expected, never = AS_TCPDUMP_PRINTS[frames]
    texts = [Printer().describe(f) for f in getattr(corpus, frames)()]
    assert [line for line in expected if line not in texts] == [], texts
    assert not [t for t in texts if never and never in t]


def test_an_llc_frame_with_its_link_header_reads_as_tcpdump_e_prints_it():
    from corpus import llc_frames

    from ebpflab.tcpdump.print.text import Printer

    linked = Printer(link=True).describe(llc_frames()[0])
    assert linked.startswith(
        "02:eb:00:00:00:01 > 01:80:c2:00:00:00, 802.3, length 38: LLC, dsap STP (0x42) Individual, "
        "ssap STP (0x42) Command, ctrl 0x03: STP 802.1d, Config"
    )
