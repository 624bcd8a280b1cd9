# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Pure (no root, no kernel), seeded and bounded: mutated frames through the tcpdump-style printer
and damaged pcap files through the reader. The printer always returns text; the reader yields
packets or raises one LabError sentence, nothing else."""

from __future__ import annotations

import random
import time

from ebpflab.errors import LabError
from ebpflab.frames import traffic_mix
from ebpflab.tcpdump.pcap import Packet, PcapWriter, read_pcap
from ebpflab.tcpdump.print.base import hexdump
from ebpflab.tcpdump.print.text import Printer

SEED = 20261204
MACS = ("02:eb:00:00:00:01", "02:eb:00:00:00:02")
IPS = ("198.18.0.1", "198.18.0.2")


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.5 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif r < 0.7:
            del b[rng.randrange(len(b) + 1) :]
        elif r < 0.85:
            b[rng.randrange(len(b) + 1) : rng.randrange(len(b) + 1)] = rng.randbytes(rng.randint(1, 8))
        elif len(b) > 16:
            i = rng.randrange(12, len(b) - 1)
            b[i] = rng.choice([0x00, 0x06, 0x11, 0x2C, 0x3A, 0x81, 0x86, 0x88, 0xDD, 0xFF])  # protocol-ish bytes
    return bytes(b)


def test_printer_survives_mutated_frames():
    from corpus import frames as corpus_frames  # ARP, TCP options, ICMPv6, IPv6 headers tcpdump decodes (issue 16)

    rng = random.Random(SEED)
    frames = traffic_mix(*MACS, *IPS) + [f for f in corpus_frames() if len(f) < 4096]
    printers = [
        Printer(),
        Printer(link=True),
        Printer(quiet=True),
        Printer(absolute_seq=True, hex_only=True, dumps=True),
    ]
    start, tried = time.monotonic(), 0
    while tried < 12000 and time.monotonic() - start < 20:
        data = mutate(rng, rng.choice(frames))
        wire = len(data) + rng.choice([0, 0, 0, 1, 100, -min(len(data), 5)])
        for p in printers:
            text = p.line(Packet(rng.randrange(1 << 62), wire, data))
            assert isinstance(text, str) and text
            p.payload_offset(data) if len(data) >= 14 else None
        hexdump(data, ascii=bool(tried & 1))
        tried += 1
    print(f"printer fuzz: {tried} mutated frames x {len(printers)} printers, no exception")
    assert tried >= 1000


def test_pcap_reader_survives_damaged_files(tmp_path):
    rng = random.Random(SEED + 1)
    frames = traffic_mix(*MACS, *IPS)[:30]
    good = tmp_path / "good.pcap"
    with PcapWriter(good) as w:
        for i, f in enumerate(frames):
            w.write(Packet(i * 1000, len(f), f))
    raw = good.read_bytes()
    bad = tmp_path / "bad.pcap"
    start, tried, refused = time.monotonic(), 0, 0
    while tried < 1500 and time.monotonic() - start < 20:
        data = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if not data:
                break
            if r < 0.4:  # somewhere in the headers: the file's, or a record's length fields
                i = rng.choice([rng.randrange(24), 24 + 8 + rng.randrange(8)])
                if i < len(data):
                    data[i] = rng.randrange(256)
            elif r < 0.7:
                del data[rng.randrange(len(data) + 1) :]
            else:
                data[rng.randrange(len(data))] = rng.randrange(256)
        bad.write_bytes(bytes(data))
        try:
            for pkt in read_pcap(bad):
                assert len(pkt.data) <= 262144
        except LabError as exc:
            assert len(str(exc).splitlines()) == 1
            refused += 1
        tried += 1
    print(f"pcap reader fuzz: {tried} damaged files, {refused} refused with one sentence, no other exception")
    assert tried >= 200
