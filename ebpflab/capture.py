"""Packet capture on XDP with a BPF ring buffer: records, pcap files, tcpdump's text (lab 06).

``bpf/xdp_capture.c`` copies each packet's first bytes into a ring buffer; ``Capture`` attaches it
to an interface (in a lab namespace, or in this one), drains the ring buffer into ``Packet``
records and always detaches, even on Ctrl-C. ``PcapWriter``/``read_pcap`` speak the classic pcap
format that tcpdump and Wireshark read; ``Printer`` prints a packet the way ``tcpdump -n`` does;
``traffic_mix`` crafts the frames the lab and the tests compare with the real tcpdump.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import struct
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from . import capfilter, cbpf
from .errors import CompileError, LabError, VerifierError
from .loader import Program, xdp_attached
from .system import require_root

DEFAULT_SNAPLEN = 262144  # tcpdump's default: whole packets
HEADER = struct.Struct("<QIIII")  # struct cap_rec in bpf/xdp_capture.c, before data[]
STATS = ("seen", "captured", "dropped", "filtered")
PROTOCOLS = ("ARP", "TCP", "UDP", "ICMP", "ICMPv6", "IPv4 other", "IPv6 other", "other", "malformed")  # xdp_capture.c
MARK_DIR = Path("/run/ebpflab/xdp")  # one file per attachment, so `ebpflab cleanup` can find leftovers


@dataclass(slots=True)
class Packet:
    """One captured packet: wall-clock time (ns), length on the wire, the bytes copied, interface."""

    ts_ns: int
    len: int
    data: bytes
    ifindex: int = 0

    @property
    def caplen(self) -> int:
        """How many bytes were copied (at most the snap length)."""
        return len(self.data)


# --- pcap files -----------------------------------------------------------------------------
class PcapWriter:
    """Write packets to a classic pcap file (microsecond timestamps, Ethernet); a context manager."""

    def __init__(self, path: str | Path, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self.path = str(path)
        try:
            self.f: BinaryIO = open(path, "wb") if self.path != "-" else os.fdopen(os.dup(1), "wb")
        except OSError as exc:
            raise LabError(f"cannot write {self.path}: {exc.strerror}") from None
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, cbpf.DLT_EN10MB))

    def write(self, pkt: Packet) -> None:
        """Append one packet record."""
        sec, usec = divmod(pkt.ts_ns // 1000, 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, len(pkt.data), pkt.len) + pkt.data)

    def flush(self) -> None:
        """Push buffered records to the file (so `-w` files are readable while capturing)."""
        self.f.flush()

    def close(self) -> None:
        """Close the file."""
        self.f.close()

    def __enter__(self) -> "PcapWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_pcap(path: str | Path) -> Iterator[Packet]:
    """Yield the packets of a pcap file (either byte order, micro- or nanosecond timestamps)."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise LabError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        head = f.read(24)
        if len(head) < 24:
            raise LabError(f"{path} is not a pcap file (too short)")
        for endian in "<>":
            magic = struct.unpack(endian + "I", head[:4])[0]
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                break
        else:
            raise LabError(f"{path} is not a classic pcap file (pcapng is not supported; convert it with editcap -F pcap)")
        nano = magic == 0xA1B23C4D
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF
        if linktype != cbpf.DLT_EN10MB:
            raise LabError(f"{path} holds link type {linktype}; only Ethernet (1) is supported")
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, caplen, wire = rec.unpack(h)
            yield Packet(sec * 1_000_000_000 + frac * (1 if nano else 1000), wire, f.read(caplen))


# --- attaching to any interface ---------------------------------------------------------------
def link_info(iface: str, netns: str | None = None) -> dict:
    """`ip -j link show` for one interface; LabError naming it when it does not exist."""
    if netns and not os.path.exists(f"/run/netns/{netns}"):
        raise LabError(f"network namespace {netns!r} does not exist")
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["-j", "link", "show", "dev", iface]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 or not res.stdout.strip():
        where = f" in namespace {netns}" if netns else ""
        raise LabError(f"no interface named {iface!r}{where}")
    return json.loads(res.stdout)[0]


@contextmanager
def attached(prog: Program, iface: str, netns: str | None = None, mode: str = "generic") -> Iterator[Any]:
    """Attach ``prog`` at XDP on ``iface`` (in ``netns`` or this namespace) for the block, then detach.

    While attached, a mark lets ``ebpflab cleanup`` detach the program should this process be SIGKILLed.
    """
    mark = None
    try:
        with xdp_attached(prog.load(prog.name, "xdp"), iface, netns, mode) as fn:
            mark = _mark(iface, netns)
            yield fn
    finally:
        if mark:
            mark.unlink(missing_ok=True)


def _mark(iface: str, netns: str | None) -> Path | None:
    """Leave a note ``<pid> <iface> <netns>`` so that a SIGKILLed capture can be found and detached."""
    try:
        MARK_DIR.mkdir(parents=True, exist_ok=True)
        path = MARK_DIR / f"{os.getpid()}-{netns or 'root'}-{iface}"
        path.write_text(f"{os.getpid()} {iface} {netns or ''}\n")
        return path
    except OSError:
        return None


def mono_to_wall_ns() -> int:
    """Offset from CLOCK_MONOTONIC (bpf_ktime_get_ns) to wall-clock time, in nanoseconds."""
    a = time.time_ns()
    m = time.monotonic_ns()
    b = time.time_ns()
    return (a + b) // 2 - m


class Capture:
    """Capture packets arriving on ``iface`` with XDP and a ring buffer; a context manager (lab 06).

    ``poll()`` returns the packets that arrived since the last call; ``stats()`` the counters
    (seen, captured, dropped because the ring was full, filtered out in the kernel). A filter
    expression is compiled into the program when it can be, otherwise applied in user space.
    """

    def __init__(self, iface: str = "eth0", netns: str | None = None, expr: str = "", *,
                 snaplen: int = DEFAULT_SNAPLEN, ring_kib: int = 4096, mode: str = "generic") -> None:
        self.iface, self.netns, self.mode = iface, netns, mode
        self.snaplen = snaplen if snaplen > 0 else DEFAULT_SNAPLEN
        self.filter = capfilter.compile_filter(expr, self.snaplen)
        pages = max(1, ring_kib * 1024 // 4096)
        self.ring_pages = 1 << (pages.bit_length() - 1)  # a power of two, as the kernel requires
        self.prog: Program | None = None
        self.mono_offset = 0
        self.filtered_user = 0
        self._pending: list[Packet] = []
        self._stack: Any = None
        self._tmp: str | None = None

    def __enter__(self) -> "Capture":
        require_root("capturing packets with XDP")
        info = link_info(self.iface, self.netns)
        busy = info.get("xdp", {}).get("prog", {}).get("name")
        if busy:  # attaching would silently replace it (one XDP program per interface)
            raise LabError(f"{self.iface} already runs the XDP program {busy!r}; XDP allows one program per "
                           "interface: detach it first, or capture on the other end of the link")
        mtu = int(info.get("mtu", 1500))
        # Enough for any frame the interface can carry with two VLAN tags, and not more than asked.
        self.cap_bytes = min(self.snaplen, mtu + 14 + 8)
        try:
            self._start()
        except (CompileError, VerifierError) as exc:
            if self.filter.where != "kernel" or self.filter.empty:
                raise
            # The generated C is too much for clang or the verifier: libpcap filters in user space instead.
            self.filter.where = "user"
            self.filter.reason = f"the generated C did not build or verify: {str(exc).splitlines()[0]}"
            self._start()
        return self

    def _start(self) -> None:
        defines: dict[str, Any] = {"CAP_BYTES": self.cap_bytes, "RING_PAGES": self.ring_pages}
        if not self.filter.empty and self.filter.where == "kernel":
            fd, self._tmp = tempfile.mkstemp(prefix="ebpflab-filter-", suffix=".h")
            with os.fdopen(fd, "w") as f:
                f.write(self.filter.c_code())
            defines["CAPTURE_FILTER"] = f'"{self._tmp}"'
        stack = ExitStack()
        try:
            self.prog = stack.enter_context(Program("xdp_capture", defines))
            stack.enter_context(attached(self.prog, self.iface, self.netns, self.mode))
            self.prog["events"].open_ring_buffer(self._on_record)
            self.mono_offset = mono_to_wall_ns()
        except BaseException:
            stack.close()
            self.prog = None
            raise
        finally:
            self._drop_tmp()  # clang has read it
        self._stack = stack

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Detach and free the program (safe to call twice)."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()
        self._drop_tmp()

    def _drop_tmp(self) -> None:
        if self._tmp:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None

    def _on_record(self, ctx: Any, data: Any, size: int) -> None:
        # Called once per packet: the hot path of the capture, kept to one copy and one unpack.
        raw = ctypes.string_at(data, size)
        ts, wire, caplen, ifindex, _ = HEADER.unpack_from(raw)
        pkt = Packet(ts + self.mono_offset, wire, raw[HEADER.size:HEADER.size + caplen], ifindex)
        if self.filter.where == "user" and not self.filter.matches(pkt.data, pkt.len):
            self.filtered_user += 1
            return
        self._pending.append(pkt)

    def poll(self, timeout: float = 0.1) -> list[Packet]:
        """Wait up to ``timeout`` seconds for records; return every packet read so far."""
        if self.prog is None:
            raise LabError("the capture is not running: use `with Capture(...) as cap:`")
        self.prog.bpf.ring_buffer_poll(int(timeout * 1000))
        self.prog.bpf.ring_buffer_consume()
        out, self._pending = self._pending, []
        return out

    def stats(self) -> dict[str, int]:
        """Kernel counters summed over CPUs, plus packets the user-space filter dropped."""
        table = self.prog["stats"]
        out = {name: int(sum(table[table.Key(i)])) for i, name in enumerate(STATS)}
        out["filtered"] += self.filtered_user
        return out

    def protocols(self) -> dict[str, int]:
        """What arrived by protocol, counted in the kernel with lab 04's parse_packet (every packet seen)."""
        table = self.prog["protocols"]
        return {name: int(sum(table[table.Key(i)])) for i, name in enumerate(PROTOCOLS)}


# --- a traffic mix for comparisons with the real tcpdump ------------------------------------
def traffic_mix(src_mac: str, dst_mac: str, src_ip: str, dst_ip: str) -> list[bytes]:
    """About 220 crafted frames: ARP, ICMP, UDP, TCP with options, IPv6 with extension headers,
    VLAN tags, IPv4 and IPv6 fragments, and a few malformed frames (all in the lab ranges)."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP, fragment
    from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                                    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
    from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

    e = Ether(src=src_mac, dst=dst_mac)
    bcast = Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff")
    v6s, v6d = "2001:2::1", "2001:2::2"
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)]
    out: list[Any] = []
    for i in range(10):
        out.append(bcast / ARP(op=1, hwsrc=src_mac, psrc=src_ip, pdst=dst_ip))
        out.append(e / ARP(op=2, hwsrc=src_mac, psrc=src_ip, hwdst=dst_mac, pdst=dst_ip))
    for i in range(20):
        out.append(e / IP(src=src_ip, dst=dst_ip, id=i) / ICMP(type=8 if i % 2 == 0 else 0, id=0xEB, seq=i) / (b"\x00" * (8 + i)))
    for i in range(3):
        inner = IP(src=dst_ip, dst=src_ip) / UDP(sport=33000 + i, dport=40000)
        out.append(e / IP(src=src_ip, dst=dst_ip) / ICMP(type=3, code=3) / bytes(inner))
    for i in range(40):
        out.append(e / IP(src=src_ip, dst=dst_ip, ttl=64 - i % 3) / UDP(sport=41000 + i % 7, dport=12000 + i % 5) / (b"u" * (i * 3)))
    for i in range(12):
        sport, dport = 42000 + i, 8000 + i % 3
        ip4 = IP(src=src_ip, dst=dst_ip)
        out.append(e / ip4 / TCP(sport=sport, dport=dport, flags="S", seq=1000 + i, window=64240, options=opts))
        out.append(e / IP(src=dst_ip, dst=src_ip) / TCP(sport=dport, dport=sport, flags="SA", seq=5000, ack=1001 + i,
                                                        window=65160, options=opts))
        out.append(e / ip4 / TCP(sport=sport, dport=dport, flags="A", seq=1001 + i, ack=5001, window=502,
                                 options=[("NOP", None), ("NOP", None), ("Timestamp", (12346, 12345))]))
        out.append(e / ip4 / TCP(sport=sport, dport=dport, flags="PA", seq=1001 + i, ack=5001, window=502) / (b"d" * (10 + i)))
        out.append(e / ip4 / TCP(sport=sport, dport=dport, flags="FA" if i % 2 else "R", seq=1011 + 2 * i, ack=5001, window=502))
    for i in range(8):
        out.append(e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrHopByHop() / ICMPv6EchoRequest(id=7, seq=i) / b"ping6")
        out.append(e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrDestOpt() / UDP(sport=41000, dport=12001) / (b"v" * i))
        out.append(e / IPv6(src=v6s, dst=v6d) / ICMPv6EchoReply(id=7, seq=i))
        out.append(e / IPv6(src=v6s, dst=v6d) / UDP(sport=41000, dport=12001 + i) / b"six")
        out.append(e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrRouting(addresses=[v6d]) / TCP(sport=43000, dport=8000 + i, flags="S", options=opts[:1]))
    frag6 = e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrFragment(id=99) / UDP(sport=41001, dport=12002) / (b"f" * 600)
    from scapy.layers.inet6 import fragment6
    out += fragment6(frag6, 300)
    for i in range(10):
        out.append(Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=10 + i % 2, prio=i % 3) / IP(src=src_ip, dst=dst_ip) / UDP(sport=41000, dport=12003) / b"vlan")
    for i in range(4):
        out.append(Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=20) / ARP(op=1, hwsrc=src_mac, psrc=src_ip, pdst=dst_ip))
        out.append(Ether(src=src_mac, dst=dst_mac) / Dot1AD(vlan=100) / Dot1Q(vlan=30) / IP(src=src_ip, dst=dst_ip) / ICMP(seq=i))
    for i in range(3):
        big = e / IP(src=src_ip, dst=dst_ip, id=777 + i) / UDP(sport=41002, dport=12004) / (b"F" * 1200)
        out += [e / f for f in fragment(big[IP], fragsize=400)]
    head = bytes(Ether(src=src_mac, dst=dst_mac, type=0x0800))
    ip_ok = bytes(IP(src=src_ip, dst=dst_ip) / UDP(sport=41003, dport=12005) / b"ok")
    out += [
        head + ip_ok[:12],                                   # IPv4 header cut short
        head + bytes([0x4F]) + ip_ok[1:],                    # header length beyond the packet
        head + bytes(IP(src=src_ip, dst=dst_ip, len=400) / UDP(sport=41003, dport=12005)),  # length lies
        head + bytes(IP(src=src_ip, dst=dst_ip) / TCP(sport=42000, dport=8000))[:30],       # TCP cut short
        Ether(src=src_mac, dst=dst_mac, type=0x88B5) / (b"\x01" * 30),                     # unknown ethertype
        Ether(src=src_mac, dst=dst_mac, type=0x0806) / b"\x00\x01\x08",                    # ARP cut short
    ]
    return [bytes(p) for p in out]


# --- printing like `tcpdump -n` ------------------------------------------------------------------
ETHERTYPES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP", 0x8100: "802.1Q", 0x88A8: "802.1Q-QinQ",
              0x9100: "802.1Q-9100", 0x8035: "Reverse ARP"}
ICMP_TYPES = {0: "echo reply", 8: "echo request", 3: "unreachable", 4: "source quench", 5: "redirect",
              11: "time exceeded", 12: "parameter problem", 13: "time stamp request", 14: "time stamp reply"}
ICMP6_TYPES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
               4: "parameter problem", 128: "echo request", 129: "echo reply", 133: "router solicitation",
               134: "router advertisement", 135: "neighbor solicitation", 136: "neighbor advertisement"}
TCP_FLAGS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")]
V6_EXT = {0: "HBH", 60: "DSTOPT", 43: "RT6", 44: "frag"}


@functools.cache
def tcpdump_version() -> tuple[int, ...]:
    """The installed tcpdump's version, e.g. (4, 99, 5); the newest wording known if there is none."""
    try:
        out = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(x) for x in out.split("tcpdump version ", 1)[1].split()[0].split(".")[:3])
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return (4, 99, 5)


class Printer:
    """Turn packets into the lines ``tcpdump -n`` prints; keeps tcpdump's per-connection TCP state."""

    def __init__(self, link: bool = False, quiet: bool = False, absolute_seq: bool = False, hex_only: bool = False) -> None:
        self.link = link          # -e: print the Ethernet header (and VLAN tags)
        self.quiet = quiet        # -q: less protocol detail
        self.absolute = absolute_seq
        self.hex_only = hex_only  # -x: dumps of unknown types without the ASCII column
        self.tcpdump = tcpdump_version()  # "the same text as tcpdump" means the tcpdump installed here
        self._tcp: dict[tuple, tuple[int, int]] = {}

    def time(self, ts_ns: int) -> str:
        """tcpdump's timestamp: local time of day with microseconds."""
        sec, usec = divmod(ts_ns // 1000, 1_000_000)
        return time.strftime("%H:%M:%S", time.localtime(sec)) + f".{usec:06d}"

    def line(self, pkt: Packet) -> str:
        """The whole line: timestamp, then what the packet is."""
        return f"{self.time(pkt.ts_ns)} {self.describe(pkt.data, pkt.len)}"

    def describe(self, data: bytes, wire_len: int | None = None) -> str:
        """What tcpdump prints after the timestamp."""
        try:
            return self._describe(data, len(data) if wire_len is None else wire_len)
        except (IndexError, ValueError):  # cut by the snap length somewhere we did not foresee
            return "[|truncated]"

    def _describe(self, data: bytes, wire_len: int) -> str:
        if len(data) < 14:
            return "[|ether]"
        etype = int.from_bytes(data[12:14], "big")
        head = ""
        if self.link:
            head = (f"{_mac(data[6:12])} > {_mac(data[0:6])}, ethertype {ETHERTYPES.get(etype, 'Unknown')} "
                    f"(0x{etype:04x}), length {wire_len}: ")
        off = 14
        while etype in (0x8100, 0x88A8, 0x9100) and len(data) >= off + 4:
            tci = int.from_bytes(data[off:off + 2], "big")
            etype = int.from_bytes(data[off + 2:off + 4], "big")
            if self.link:
                head += f"vlan {tci & 0xFFF}, p {tci >> 13}{', DEI' if tci & 0x1000 else ''}, ethertype {ETHERTYPES.get(etype, 'Unknown')} (0x{etype:04x}), "
            off += 4
        body = data[off:]
        if etype == 0x0800:
            return head + ("" if self.link else "IP ") + self._ip(body, wire_len - off)
        if etype == 0x86DD:
            if len(body) < 40:
                return head + " [|ip6]"
            return head + ("" if self.link else "IP6 ") + self._ip6(body)
        if etype == 0x0806:
            if len(body) < 28:
                return head + " [|arp]"
            return head + ("" if self.link else "ARP, ") + self._arp(body, len(body))
        if not self.link:
            head = f"{_mac(data[6:12])} > {_mac(data[0:6])}, ethertype {ETHERTYPES.get(etype, 'Unknown')} (0x{etype:04x}), length {wire_len}: "
        if self.quiet:
            return head.replace(f"ethertype Unknown (0x{etype:04x})", f"Unknown Ethertype (0x{etype:04x})")
        return head + "\n" + hexdump(body, ascii=not self.hex_only)

    def payload_offset(self, data: bytes) -> int:
        """Where the link layer ends (after any VLAN tags): where -x/-X dumps start."""
        off, etype = 14, int.from_bytes(data[12:14], "big")
        while etype in (0x8100, 0x88A8, 0x9100) and len(data) >= off + 4:
            etype = int.from_bytes(data[off + 2:off + 4], "big")
            off += 4
        return min(off, len(data))

    # --- layers ---
    def _arp(self, b: bytes, length: int) -> str:
        if len(b) < 28:
            return "[|arp]"
        op = int.from_bytes(b[6:8], "big")
        sha, spa, tha, tpa = b[8:14], _ip4(b[14:18]), b[18:24], _ip4(b[24:28])
        if op == 1:
            who = f" ({_mac(tha)})" if any(tha) else ""
            return f"Request who-has {tpa}{who} tell {spa}, length {length}"
        if op == 2:
            return f"Reply {spa} is-at {_mac(sha)}, length {length}"
        return f"arp-#{op} for proto type 2048 (0x0800) hardware type 1 (0x0001), length {length}"

    def _ip(self, b: bytes, wire: int) -> str:
        new = self.tcpdump >= (4, 99, 5)  # 4.99.5 words invalid IPv4 lengths differently (Debian 13)
        if new and wire < 20:
            return f" [length {wire} < 20] (invalid)"
        if len(b) < 20:
            return " [|ip]"
        ihl = (b[0] & 0x0F) * 4
        total = int.from_bytes(b[2:4], "big")
        if total < ihl:
            return f" [total length {total} < {ihl}] (invalid)" if new else f"bad-len {total}"
        src, dst, proto = _ip4(b[12:16]), _ip4(b[16:20]), b[9]
        frag = int.from_bytes(b[6:8], "big")
        pre = "" if total <= wire else (f"[total length {total} > length {wire}] (invalid) " if new
                                        else f"truncated-ip - {total - wire} bytes missing! ")
        payload = b[ihl:total]
        if frag & 0x1FFF:
            return f"{pre}{src} > {dst}: ip-proto-{proto}"
        return pre + self._l4(proto, payload, src, dst, total - ihl, False, (b[12:16], b[16:20]))

    def _ip6(self, b: bytes) -> str:
        if len(b) < 40:
            return " [|ip6]"
        plen = int.from_bytes(b[4:6], "big")
        src, dst = _ip6(b[8:24]), _ip6(b[24:40])
        nh, off, ext = b[6], 40, ""
        end = 40 + plen
        while nh in V6_EXT and len(b) >= off + 8:
            if nh == 44:
                fo = int.from_bytes(b[off + 2:off + 4], "big")
                ext += f"frag ({fo & 0xFFF8}|{end - off - 8})"
                nh, off = b[off], off + 8
                if fo & 0xFFF8:
                    return f"{src} > {dst}: {ext}"
                ext += " "
                continue
            hlen = (b[off + 1] + 1) * 8
            if nh == 43:
                ext += f"RT6 (len={b[off + 1]}, type={b[off + 2]}{' [Deprecated]' if b[off + 2] == 0 else ''}, segleft={b[off + 3]}"
                for i in range((hlen - 8) // 16):
                    a = off + 8 + 16 * i
                    if len(b) < a + 16:
                        return f"{src} > {dst}: {ext} [|rt6]"
                    ext += f", [{i}]{_ip6(b[a:a + 16])}"
                ext += ") "
            else:
                ext += V6_EXT[nh] + " "
            nh, off = b[off], off + hlen
        payload = b[off:end]
        if ext:
            return f"{src} > {dst}: {ext}" + self._l4(nh, payload, src, dst, end - off, True, (b[8:24], b[24:40]), ports_only=True)
        return self._l4(nh, payload, src, dst, end - off, True, (b[8:24], b[24:40]))

    def _l4(self, proto: int, p: bytes, src: str, dst: str, length: int, v6: bool, raw: tuple[bytes, bytes],
            ports_only: bool = False) -> str:
        def addrs(sport: int, dport: int) -> str:
            if ports_only:
                return f"{sport} > {dport}: "
            return f"{src}.{sport} > {dst}.{dport}: "

        if proto == 17:
            if len(p) < 8:
                return ("" if ports_only else f"{src} > {dst}: ") + " [|udp]"
            sport, dport, ulen = (int.from_bytes(p[i:i + 2], "big") for i in (0, 2, 4))
            if ulen < 8:
                return addrs(sport, dport) + f"truncated-udplength {ulen}"
            return addrs(sport, dport) + f"UDP, length {ulen - 8}"
        if proto == 6:
            return self._tcp_line(p, length, addrs, raw, v6, src, dst)
        if proto == 1 and not v6:
            return f"{src} > {dst}: " + self._icmp(p, length)
        if proto == 58 and v6:
            return ("" if ports_only else f"{src} > {dst}: ") + self._icmp6(p, length)
        return ("" if ports_only else f"{src} > {dst}: ") + f"ip-proto-{proto} {length}"

    def _tcp_line(self, p: bytes, length: int, addrs: Any, raw: tuple[bytes, bytes], v6: bool, src: str, dst: str) -> str:
        if len(p) < 20:
            if len(p) >= 4:
                return addrs(int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")) + " [|tcp]"
            return f"{src} > {dst}:  [|tcp]"
        sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
        seq, ack = int.from_bytes(p[4:8], "big"), int.from_bytes(p[8:12], "big")
        hlen, flags = (p[12] >> 4) * 4, p[13]
        win, urp = int.from_bytes(p[14:16], "big"), int.from_bytes(p[18:20], "big")
        s = addrs(sport, dport)
        if hlen < 20:
            return s + f"tcp {length} [bad hdr length {hlen} - too short, < 20]"
        if self.quiet:
            return s + f"tcp {length - hlen}"
        fl = "".join(c for bit, c in TCP_FLAGS if flags & bit) or "none"
        s += f"Flags [{fl}]"
        thseq = thack = 0
        rev = False
        if not self.absolute and flags & 0x10:
            rev = sport > dport or (sport == dport and raw[0] > raw[1])
            key = (raw[1], raw[0], dport, sport) if rev else (raw[0], raw[1], sport, dport)
            known = self._tcp.get(key)
            if known is None or flags & 0x02:
                known = (ack - 1, seq) if rev else (seq, ack - 1)
                self._tcp[key] = (known[0] & 0xFFFFFFFF, known[1] & 0xFFFFFFFF)
            else:
                if rev:
                    seq, ack = seq - known[1], ack - known[0]
                else:
                    seq, ack = seq - known[0], ack - known[1]
            thseq, thack = self._tcp[key]
        seq &= 0xFFFFFFFF
        ack &= 0xFFFFFFFF
        dlen = length - hlen
        if dlen < 0:
            return s + f", [bad hdr length {hlen} - too long, > {length}]"
        if dlen > 0 or flags & 0x07:
            s += f", seq {seq}" + (f":{(seq + dlen) & 0xFFFFFFFF}" if dlen > 0 else "")
        if flags & 0x10:
            s += f", ack {ack}"
        s += f", win {win}"
        if flags & 0x20:
            s += f", urg {urp}"
        if hlen > 20:
            opts, complete = _tcp_options(p[20:hlen], hlen - 20, rev, thseq, thack)
            if not complete:  # the snap length cut the options: tcpdump stops there
                return s + ", options [" + opts
            s += ", options [" + opts + "]"
        return s + f", length {dlen}"

    def _icmp(self, p: bytes, length: int) -> str:
        if len(p) < 4:
            return " [|icmp]"
        t, code = p[0], p[1]
        if t in (0, 8) and len(p) >= 8:
            what = f"{ICMP_TYPES[t]}, id {int.from_bytes(p[4:6], 'big')}, seq {int.from_bytes(p[6:8], 'big')}"
        elif t == 3 and code == 3:
            inner = p[8:]
            ihl = (inner[0] & 0x0F) * 4 if inner else 20
            if len(inner) < max(20, ihl + 4):
                return " [|icmp]"
            oproto = {6: "tcp", 17: "udp"}.get(inner[9])
            port = int.from_bytes(inner[ihl + 2:ihl + 4], "big") if len(inner) >= ihl + 4 else 0
            what = (f"{_ip4(inner[16:20])} {oproto} port {port} unreachable" if oproto else
                    f"{_ip4(inner[16:20])} protocol {inner[9]} port {port} unreachable")
        elif t == 3 and code == 1 and len(p) >= 28:
            what = f"host {_ip4(p[24:28])} unreachable"
        else:
            what = ICMP_TYPES.get(t, f"type-#{t}")
        return f"ICMP {what}, length {length}"

    def _icmp6(self, p: bytes, length: int) -> str:
        if len(p) < 1:
            return "ICMP6, [|icmp6]"
        t = p[0]
        if len(p) < 4 or (t in (128, 129) and len(p) < 8):
            return f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')} [|icmp6]"
        if t in (128, 129):
            return (f"ICMP6, {ICMP6_TYPES[t]}, id {int.from_bytes(p[4:6], 'big')}, "
                    f"seq {int.from_bytes(p[6:8], 'big')}, length {length}")
        return f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')}, length {length}"


def hexdump(b: bytes, ascii: bool = False) -> str:
    """tcpdump's -x (hex) or -X (hex and ASCII) dump, 16 bytes a line."""
    lines = []
    for off in range(0, len(b), 16):
        chunk = b[off:off + 16]
        words = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        line = f"\t0x{off:04x}:  {words}"
        if ascii:
            line = f"{line:<51}" + "".join(chr(c) if 32 < c < 127 else "." for c in chunk)
        lines.append(line)
    return "\n".join(lines)


def _tcp_options(b: bytes, total: int, rev: bool, thseq: int, thack: int) -> tuple[str, bool]:
    """TCP options as tcpdump prints them, and False when the captured bytes end before they do."""
    names = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS"}
    out, i, sep = "", 0, ""
    while i < total:
        if i >= len(b):
            return out + sep + " [|tcp]" + (">" if sep else ""), False
        kind = b[i]
        out += sep + names.get(kind, f"unknown-{kind}")
        sep = ","
        if kind in (0, 1):
            i += 1
            continue
        if i + 1 >= len(b):
            return out + " [|tcp]>", False
        ln = b[i + 1]
        if ln < 2 or i + ln > total:
            return out + "[bad opt]", True
        if i + ln > len(b):
            return out + " [|tcp]>", False
        v = b[i + 2:i + ln]
        if kind == 2 and ln == 4:
            out += f" {int.from_bytes(v, 'big')}"
        elif kind == 3 and ln == 3:
            out += f" {v[0]}"
        elif kind == 8 and ln == 10:
            out += f" val {int.from_bytes(v[:4], 'big')} ecr {int.from_bytes(v[4:], 'big')}"
        elif kind == 5 and (ln - 2) % 8 == 0:
            base = thseq if rev else thack
            blocks = "".join(f"{{{(int.from_bytes(v[j:j + 4], 'big') - base) & 0xFFFFFFFF}:"
                             f"{(int.from_bytes(v[j + 4:j + 8], 'big') - base) & 0xFFFFFFFF}}}" for j in range(0, ln - 2, 8))
            out += f" {(ln - 2) // 8} {blocks}"
        elif kind not in names and v:
            out += f" 0x{v.hex()}"
        i += ln
    return out, True


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def _ip4(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def _ip6(b: bytes) -> str:
    import ipaddress

    return str(ipaddress.IPv6Address(bytes(b)))


def protocol_of(data: bytes) -> str:
    """A short protocol name for a frame (for breakdowns): ARP, TCP, UDP, ICMP, ICMP6, IPv6, other."""
    off, etype, tags = 14, int.from_bytes(data[12:14], "big") if len(data) >= 14 else 0, ""
    while etype in (0x8100, 0x88A8, 0x9100) and len(data) >= off + 4:
        etype, off, tags = int.from_bytes(data[off + 2:off + 4], "big"), off + 4, "VLAN "
    if etype == 0x0806:
        return tags + "ARP"
    if etype == 0x0800 and len(data) >= off + 20:
        if int.from_bytes(data[off + 6:off + 8], "big") & 0x1FFF:
            return tags + "IPv4 fragment"
        return tags + {6: "TCP", 17: "UDP", 1: "ICMP"}.get(data[off + 9], "IPv4 other")
    if etype == 0x86DD and len(data) >= off + 40:
        return tags + {6: "TCP6", 17: "UDP6", 58: "ICMP6"}.get(data[off + 6], "IPv6 + ext. headers")
    return tags + "other"
