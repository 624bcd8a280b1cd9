# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 01: the classic BPF assembler, checker and interpreter agree with libpcap (tcpdump -r); no root needed."""

from __future__ import annotations

import re
import subprocess

import pytest
from cbpf_corpus import CIP, EVERY_INSTRUCTION, EXPRESSIONS, SIP, C, S, corpus, tcpdump_matches, write_pcap  # noqa: F401
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from ebpflab import cbpf


def test_corpus_is_big_enough(corpus):
    assert len(EXPRESSIONS) >= 30 and len(set(EXPRESSIONS)) == len(EXPRESSIONS)
    assert len(corpus) >= 50
    # each expression splits the corpus: none accepts everything or nothing
    for expr in EXPRESSIONS:
        verdicts = {bool(cbpf.interpret(cbpf.compile(expr), f)) for f in corpus}
        assert verdicts == {True, False}, f"{expr!r} does not discriminate the corpus"


def test_compile_matches_tcpdump_ddd(tmp_path):
    empty = tmp_path / "empty.pcap"
    write_pcap(empty, [])
    for expr in EXPRESSIONS[:12] + EXPRESSIONS[-12:]:
        res = subprocess.run(["tcpdump", "-ddd", "-r", str(empty), expr], capture_output=True, text=True, timeout=30)
        assert res.stdout.strip() == cbpf.dump(cbpf.compile(expr)), expr


def test_disassemble_matches_libpcap_and_assembles_back():
    def norm(p):  # libpcap leaves junk in the unused fields of some instructions (tax k=5)
        return [cbpf.assemble(cbpf.disassemble([i]))[0] if i.code & 7 != cbpf.JMP else i for i in p]

    for expr in EXPRESSIONS:
        prog = cbpf.compile(expr)
        text = cbpf.disassemble(prog)
        assert text == cbpf.libpcap_image(prog), expr
        assert cbpf.assemble(text) == norm(prog), expr
    every = cbpf.assemble(EVERY_INSTRUCTION)
    ours, theirs = cbpf.disassemble(every).splitlines(), cbpf.libpcap_image(every).splitlines()
    # libpcap's compiler never emits `ldx len`, and its bpf_image has no name for it
    assert [a for a, b in zip(ours, theirs) if a != b] == ["(002) ldx      #pktlen"]
    assert cbpf.assemble(cbpf.disassemble(every)) == every


def test_interpreter_agrees_with_libpcap(corpus, tmp_path):
    pcap = tmp_path / "corpus.pcap"
    write_pcap(pcap, corpus)
    for expr in EXPRESSIONS:
        prog = cbpf.compile(expr)
        mine = {i for i, f in enumerate(corpus) if cbpf.interpret(prog, f)}
        assert mine == tcpdump_matches(pcap, expr), expr
        assert [cbpf.interpret(prog, f) for f in corpus] == [cbpf.libpcap_run(prog, f) for f in corpus], expr


def test_division_by_x_zero_rejects(corpus):
    prog = cbpf.assemble("ldx #0\nld #5\ndiv x\nret #100")
    assert cbpf.interpret(prog, corpus[0]) == 0 == cbpf.libpcap_run(prog, corpus[0])


def test_trace_shows_the_registers():
    pkt = bytes(Ether(src=C, dst=S) / IP(src=CIP, dst=SIP) / TCP(dport=80, flags="S"))
    steps = cbpf.trace(cbpf.compile("tcp port 80"), pkt)
    assert steps[0].text.startswith("(000) ldh") and steps[0].A == 0x0800
    assert steps[-1].result == cbpf.SNAPLEN and "return 262144" in str(steps[-1])
    assert [s.pc for s in steps] == sorted(s.pc for s in steps)  # forward only


@pytest.mark.parametrize(
    "program, reason",
    [
        ([], "empty"),
        ([(0x06, 0, 0, 0), (0x04, 0, 0, 1)], "not a `ret`"),
        ([(0x15, 3, 0, 1), (0x06, 0, 0, 0)], "past the end"),
        ([(0x05, 0, 0, 9), (0x06, 0, 0, 0)], "past the end"),
        ([(0x02, 0, 0, 16), (0x06, 0, 0, 0)], "M[16]"),
        ([(0x34, 0, 0, 0), (0x06, 0, 0, 0)], "division by the constant 0"),
        ([(0xFF, 0, 0, 0), (0x06, 0, 0, 0)], "unknown opcode"),
        ("nonsense", "tuples"),
        ([(0x15, 0, 1, 1), (0x02, 0, 0, 3), (0x61, 0, 0, 3), (0x16, 0, 0, 0)], "M[3], which may not have been stored"),
    ],
)
def test_malformed_programs_are_refused_with_the_reason(program, reason):
    with pytest.raises(cbpf.BadProgram, match=re.escape(reason)):
        cbpf.interpret(program, b"\0" * 64)


def test_a_packet_must_be_bytes():
    with pytest.raises(cbpf.LabError, match="a packet is bytes"):
        cbpf.interpret(cbpf.compile("ip"), "not a packet")


def test_bad_expression_gives_libpcap_message():
    with pytest.raises(ValueError, match="unknown port 'eighty'"):
        cbpf.compile("tcp port eighty")
    with pytest.raises(cbpf.BadFilter, match="syntax error"):
        cbpf.compile("tcp and and")


def test_assembler_refuses_backward_jumps():
    with pytest.raises(cbpf.BadProgram, match="backwards"):
        cbpf.assemble("ld #1\nja 0\nret #0")
