"""Lab 01: the classic BPF interpreter agrees with libpcap (tcpdump -r) and with the kernel (SO_ATTACH_FILTER)."""
from __future__ import annotations

import re
import socket
import struct
import subprocess
import time

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

from ebpflab import cbpf, traffic
from ebpflab.cbpf import Insn

C, S = "02:eb:00:00:00:01", "02:eb:00:00:00:02"
CIP, SIP = "198.18.0.1", "198.18.0.2"
V6A, V6B = "2001:2::1", "2001:2::2"

EXPRESSIONS = [
    "ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6", "vlan", "vlan 100", "vlan and udp",
    "ether broadcast", "ether multicast", "ether src 02:eb:00:00:00:01", "ether proto 0x88b5",
    "host 198.18.0.2", "src host 198.18.0.1", "dst net 198.19.0.0/16", "ip proto 17",
    "tcp port 80", "port 53", "portrange 1-1023", "udp dst port 53", "tcp and (port 80 or port 443)",
    "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[tcpflags] & tcp-rst != 0",
    "tcp[13] = 18", "ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0", "ip[6] & 0x40 != 0",
    "greater 200", "less 64", "len > 100", "len <= 60", "len % 2 == 0",
    "icmp[icmptype] == icmp-echo", "ip6 and tcp", "ip6 and dst port 443", "not ip",
    "ip[8] < 32", "ip[1] & 0xfc == 0xb8", "ip[0] & 0xf > 5", "arp[6:2] = 2", "udp[8:4] == 0x68656c6c",
    "ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) != 0", "ip[8] ^ 0xff > 200", "ip[2:2] / 4 > 20",
    "ip[2:2] * 3 > 300", "ip and -ip[8] < 4294967232", "ip[8] > ip[9]", "ip[12:4] == ip[16:4]",
    "ip and tcp[0:2] & tcp[2:2] != 0", "ip[8] | 3 = 67",
]


def packets() -> list[bytes]:
    """A corpus of Ethernet frames with lab addresses only (IPv6: 2001:2::/48, crafted frames)."""
    e, b = Ether(src=C, dst=S), Ether(src=C, dst="ff:ff:ff:ff:ff:ff")
    ip = IP(src=CIP, dst=SIP)
    frames = []
    for dport in (53, 9, 123, 5353, 80):
        frames.append(e / ip / UDP(sport=40000, dport=dport) / b"hello lab")
    for dport, flags in [(80, "S"), (443, "S"), (22, "S"), (80, "SA"), (80, "A"), (80, "F"), (80, "R"),
                         (8080, "PA"), (80, "FA"), (443, "U"), (2000, "SE"), (80, "")]:
        payload = b"GET / HTTP/1.0\r\n\r\n" if "P" in flags else b""
        frames.append(e / ip / TCP(sport=40000 + dport, dport=dport, flags=flags, seq=7) / payload)
    frames += [
        e / ip / ICMP(type=8, id=1, seq=1) / (b"\0" * 32),
        Ether(src=S, dst=C) / IP(src=SIP, dst=CIP) / ICMP(type=0, id=1, seq=1) / (b"\0" * 32),
        e / ip / ICMP(type=3, code=3) / bytes(IP(src=SIP, dst=CIP) / UDP(dport=9)),
        e / IP(src=CIP, dst=SIP, flags="MF", id=9) / UDP(sport=1, dport=53) / (b"a" * 40),
        e / IP(src=CIP, dst=SIP, flags="MF", frag=6, id=9, proto=17) / (b"b" * 48),
        e / IP(src=CIP, dst=SIP, frag=12, id=9, proto=17) / (b"c" * 20),
        e / IP(src=CIP, dst=SIP, flags="DF") / TCP(dport=80, flags="S"),
        e / IP(src=CIP, dst=SIP, options=[IPOption_RR(routers=["198.18.0.9"])]) / TCP(sport=1234, dport=80, flags="S"),
        e / IP(src=CIP, dst=SIP, options=[IPOption_RR(routers=["198.18.0.9"])]) / UDP(sport=1234, dport=53) / b"hello",
        e / IP(src=CIP, dst=SIP, ttl=5) / UDP(dport=33434),
        e / IP(src=CIP, dst=SIP, ttl=200, tos=0xB8) / UDP(dport=5004) / (b"r" * 160),
        e / IP(src="198.19.1.1", dst="198.19.2.2") / UDP(dport=53) / b"x",
        e / IP(src=SIP, dst=SIP) / TCP(sport=80, dport=80, flags="S"),
        e / IP(src=CIP, dst=SIP, proto=47) / (b"\0" * 24),
        e / ip / UDP(dport=9) / (b"z" * 1000),
        e / ip / TCP(dport=443, flags="PA") / (b"y" * 400),
        b / ip / UDP(sport=68, dport=67) / (b"\0" * 240),
        Ether(src=C, dst="01:00:5e:00:00:fb") / ip / UDP(sport=5353, dport=5353) / b"mdns",
        b / ARP(op=1, hwsrc=C, psrc=CIP, pdst=SIP),
        Ether(src=S, dst=C) / ARP(op=2, hwsrc=S, psrc=SIP, hwdst=C, pdst=CIP),
        e / Dot1Q(vlan=100) / ip / UDP(dport=53) / b"hello",
        e / Dot1Q(vlan=200) / ip / TCP(dport=80, flags="S"),
        e / Dot1Q(vlan=100) / ARP(op=1, psrc=CIP, pdst=SIP),
        e / Dot1AD(vlan=10) / Dot1Q(vlan=100) / ip / UDP(dport=53),
        Ether(src=C, dst=S, type=0x88B5) / (b"\x01" * 50),
        Ether(src=C, dst=S, type=0x88B5) / (b"\x02" * 47),
        e / IPv6(src=V6A, dst=V6B) / UDP(sport=5000, dport=53) / b"hello",
        e / IPv6(src=V6A, dst=V6B) / TCP(dport=443, flags="S"),
        e / IPv6(src=V6A, dst=V6B) / TCP(dport=80, flags="SA"),
        e / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(),
        e / IPv6(src=V6A, dst=V6B) / IPv6ExtHdrHopByHop() / TCP(dport=443, flags="S"),
        e / IPv6(src=V6A, dst=V6B, hlim=0) / UDP(dport=9),
        Ether(src=C, dst="33:33:00:00:00:01") / IPv6(src=V6A, dst="ff02::1") / ICMPv6EchoRequest(),
    ]
    data = [bytes(f) for f in frames]
    # Truncated frames: a header cut short makes a load fall off the end (which rejects).
    data += [data[0][:24], data[5][:40], data[5][:14 + 20 + 13], data[-7][:30], bytes(Ether(src=C, dst=S, type=0x0800))]
    out = list(dict.fromkeys(data))  # unique, in order
    traffic.frames_from(out)  # every IPv4 address is in the lab range
    return out


def write_pcap(path, frames: list[bytes]) -> None:
    """A pcap file whose packet i has timestamp i seconds (so tcpdump's output names packets)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, cbpf.SNAPLEN, cbpf.DLT_EN10MB))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


def read_pcap_times(data: bytes) -> list[int]:
    """The timestamps (seconds) of the packets in a pcap file."""
    out, off = [], 24
    while off + 16 <= len(data):
        sec, _, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append(sec)
        off += 16 + incl
    return out


def tcpdump_matches(pcap, expr: str) -> set[int]:
    """Which packets of ``pcap`` tcpdump's filter keeps."""
    res = subprocess.run(["tcpdump", "-r", str(pcap), "-w", "-", expr], capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr.decode()
    return set(read_pcap_times(res.stdout))


@pytest.fixture(scope="module")
def corpus() -> list[bytes]:
    return packets()


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


SENTINEL = bytes(Ether(src=C, dst=S, type=0x88B6) / b"end of corpus")


def test_interpreter_agrees_with_the_kernel(net, corpus):
    seen = [cbpf.kernel_view(f) for f in corpus]
    index = {f: i for i, f in enumerate(seen)}
    assert len(index) == len(seen) and SENTINEL not in index
    start, total = time.monotonic(), 0
    # The sentinel goes out after the corpus: once its own socket has it, the kernel has judged the rest.
    with cbpf.PacketSocket(net, "server", cbpf.compile("ether proto 0x88b6")) as end:
        for expr in EXPRESSIONS:
            prog = cbpf.compile(expr)
            with cbpf.PacketSocket(net, "server", prog) as ps:
                traffic.send(net, "client", corpus + [SENTINEL])
                assert end.frames(timeout=5, limit=1) == [SENTINEL]
                got = [f for f in ps.frames(timeout=0.05) if f != SENTINEL]
            arrived = {index[f] for f in got}
            expected = {i for i, f in enumerate(seen) if cbpf.interpret(prog, f)}
            assert len(got) == len(arrived), f"{expr!r}: a frame arrived twice"
            assert arrived == expected, (f"{expr!r}: kernel kept {sorted(arrived)}, interpreter {sorted(expected)}")
            total += len(arrived)
    assert total > len(EXPRESSIONS) * 5, "too few packets arrived for the agreement to mean much"
    assert time.monotonic() - start < 30


# A hand-written program that runs every instruction class libpcap can emit and returns a value
# computed from the packet, so that agreement covers arithmetic and not only accept/reject.
EVERY_INSTRUCTION = """
    ld #pktlen
    st M[0]
    ldx #pktlen
    txa
    ldx M[0]
    ld #0x10
    st M[1]
    ldx M[1]
    ld [x + 0]
    ldh [x + 2]
    ldb [x + 3]
    add #3
    sub #1
    mul #5
    div #2
    mod #97
    or #0x100
    and #0x1ff
    xor #0x3
    lsh #2
    rsh #1
    neg
    neg
    tax
    add x
    sub x
    or x
    mul x
    ldx #7
    div x
    xor x
    lsh x
    rsh x
    mod x
    and x
    st M[3]
    stx M[2]
    ldxb 4*([14]&0xf)
    ld [0]
    ldh [6]
    ldb [12]
    ja 43
    ret #1
    jeq #0x8 jt 44 jf 55
    jgt #0x100 jt 55 jf 45
    jge #0x0 jt 46 jf 55
    jset #0x8 jt 47 jf 48
    jgt x jt 49 jf 48
    jge x jt 49 jf 49
    jeq x jt 50 jf 50
    jset x jt 51 jf 51
    ld M[3]
    and #0x3f
    add #20
    ret a
    ret #0
"""


def test_every_instruction_agrees_with_libpcap_and_the_kernel(net, corpus):
    prog = cbpf.assemble(EVERY_INSTRUCTION)
    used = {i.code for i in prog}
    assert len(used) >= 49
    results = [cbpf.interpret(prog, f) for f in corpus]
    assert results == [cbpf.libpcap_run(prog, f) for f in corpus]
    assert len({r for r in results if r}) >= 2, "the returned values should depend on the packet"
    plain = [f for f in corpus if cbpf.kernel_view(f) == f and cbpf.interpret(prog, f)]
    with cbpf.PacketSocket(net, "server", prog) as ps:
        traffic.send(net, "client", plain)
        got = ps.frames(timeout=0.3)
    # the return value is the snapshot length: the kernel truncates each frame to it
    assert got == [f[:cbpf.interpret(prog, f)] for f in plain]


def test_division_by_x_zero_rejects(corpus):
    prog = cbpf.assemble("ldx #0\nld #5\ndiv x\nret #100")
    assert cbpf.interpret(prog, corpus[0]) == 0 == cbpf.libpcap_run(prog, corpus[0])


def test_trace_shows_the_registers():
    pkt = bytes(Ether(src=C, dst=S) / IP(src=CIP, dst=SIP) / TCP(dport=80, flags="S"))
    steps = cbpf.trace(cbpf.compile("tcp port 80"), pkt)
    assert steps[0].text.startswith("(000) ldh") and steps[0].A == 0x0800
    assert steps[-1].result == cbpf.SNAPLEN and "return 262144" in str(steps[-1])
    assert [s.pc for s in steps] == sorted(s.pc for s in steps)  # forward only


@pytest.mark.parametrize("program, reason", [
    ([], "empty"),
    ([(0x06, 0, 0, 0), (0x04, 0, 0, 1)], "not a `ret`"),
    ([(0x15, 3, 0, 1), (0x06, 0, 0, 0)], "past the end"),
    ([(0x05, 0, 0, 9), (0x06, 0, 0, 0)], "past the end"),
    ([(0x02, 0, 0, 16), (0x06, 0, 0, 0)], "M[16]"),
    ([(0x34, 0, 0, 0), (0x06, 0, 0, 0)], "division by the constant 0"),
    ([(0xFF, 0, 0, 0), (0x06, 0, 0, 0)], "unknown opcode"),
    ("nonsense", "tuples"),
    ([(0x15, 0, 1, 1), (0x02, 0, 0, 3), (0x61, 0, 0, 3), (0x16, 0, 0, 0)], "M[3], which may not have been stored"),
])
def test_malformed_programs_are_refused_with_the_reason(program, reason):
    with pytest.raises(cbpf.BadProgram, match=re.escape(reason)):
        cbpf.interpret(program, b"\0" * 64)


def test_the_kernel_agrees_on_what_is_malformed():
    uninit = [Insn(0x15, 0, 1, 1), Insn(0x02, 0, 0, 3), Insn(0x61, 0, 0, 3), Insn(0x16, 0, 0, 0)]
    ok = [Insn(0x15, 0, 1, 1), Insn(0x02, 0, 0, 3), Insn(0x02, 0, 0, 3), Insn(0x61, 0, 0, 3), Insn(0x16, 0, 0, 0)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        with pytest.raises(cbpf.BadProgram):
            cbpf.attach(s, [Insn(0x15, 3, 0, 1), Insn(0x06, 0, 0, 0)])
        cbpf.attach(s, ok)
        # skip our own check: the kernel's own checker refuses the same program
        arr = (cbpf._BpfInsn * 4)(*[cbpf._BpfInsn(*i) for i in uninit])
        fprog = cbpf._SockFprog(4, cbpf.ctypes.cast(arr, cbpf.ctypes.POINTER(cbpf._BpfInsn)))
        with pytest.raises(OSError):
            s.setsockopt(socket.SOL_SOCKET, cbpf.SO_ATTACH_FILTER, bytes(fprog))
    finally:
        s.close()


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
