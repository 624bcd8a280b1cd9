# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text for the transport layer (lab 06): TCP with its options (MPTCP, Fast Open), UDP, SCTP, DCCP.

print-tcp.c (relative sequence numbers kept per connection in the ``Context``), print-mptcp.c, print-udp.c,
print-sctp.c and print-dccp.c without -v. Each printer takes the IP layer's addresses as text; DNS and HTTP
payloads go on to ``apps``.
"""

from __future__ import annotations

from .apps import dns, http
from .base import Context, ip6addr, ipaddr

TCP_FLAGS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")]
TCP_OPTIONS = {
    0: "eol",
    1: "nop",
    2: "mss",
    3: "wscale",
    4: "sackOK",
    5: "sack",
    6: "echo",
    7: "echoreply",
    8: "TS",
    11: "cc",
    12: "ccnew",
    13: "ccecho",
    19: "md5",
    20: "scps",
    28: "uto",
    29: "tcp-ao",
    30: "mptcp",
    34: "tfo",
    254: "exp",
}  # print-tcp.c's names (4.99.3 prints kind 13 as "", see _tcp_options)
# the bytes print-tcp.c reads after kind and length, where fixed; the others take what their length says
TCP_OPTION_DATA = {0: 0, 1: 0, 2: 2, 3: 1, 4: 0, 6: 4, 7: 4, 8: 8, 11: 4, 12: 4, 13: 4, 19: 16, 20: 2, 28: 2}
MPTCP_SUBTYPES = ["capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown"]
DCCP_TYPES = {
    0: "DCCP-Request",
    1: "DCCP-Response",
    2: "DCCP-Data",
    3: "DCCP-Ack",
    4: "DCCP-DataAck",
    5: "DCCP-CloseReq",
    6: "DCCP-Close",
    7: "DCCP-Reset",
    8: "DCCP-Sync",
    9: "DCCP-SyncAck",
}
DCCP_RESETS = [
    "unspecified",
    "closed",
    "aborted",
    "no_connection",
    "packet_error",
    "option_error",
    "mandatory_error",
    "connection_refused",
    "bad_service_code",
    "too_busy",
    "bad_init_cookie",
    "aggression_penalty",
]
SCTP_CHUNKS = {
    0: "DATA",
    1: "INIT",
    2: "INIT ACK",
    3: "SACK",
    4: "HB REQ",
    5: "HB ACK",
    6: "ABORT",
    7: "SHUTDOWN",
    8: "SHUTDOWN ACK",
    9: "OP ERR",
    10: "COOKIE ECHO",
    11: "COOKIE ACK",
    12: "ECN ECHO",
    13: "ECN CWR",
    14: "SHUTDOWN COMPLETE",
    0xC0: "FOR CUM TSN",
    0xC1: "REL CTRL",
    0xC2: "REL CTRL ACK",
}
SCTP_PPIDS = {
    1: "ISDN Q.921",
    2: "M2UA",
    3: "M3UA",
    4: "SUA",
    5: "M2PA",
    6: "V5.2",
    7: "H.248",
    8: "BICC",
    9: "TALI",
    10: "DUA",
    11: "ASAP",
    12: "ENRP",
    13: "H.323",
    14: "Q.IPC",
    15: "SIMCO",
    16: "DDPSC",
    17: "DDPSSC",
    18: "S1AP",
    19: "RUA",
    20: "HNBAP",
    21: "ForCES HP",
    22: "ForCES MP",
    23: "ForCES LP",
    24: "SBc-AP",
    25: "NBAP",
    27: "X2AP",
}
SCTP_FORCES = {6704: "ForCES HP", 6705: "ForCES MP", 6706: "ForCES LP"}


def _ends(src: str, dst: str, ports_only: bool, sport: int, dport: int) -> str:
    """The line's "src.sport > dst.dport: ", or the ports alone when the addresses were printed already (after AH)."""
    if ports_only:
        return f"{sport} > {dport}: "
    return f"{src}.{sport} > {dst}.{dport}: "


def udp(ctx: Context, p: bytes, length: int, src: str, dst: str, ports_only: bool, fragmented: bool) -> str:
    """print-udp.c without -v: the ports and the length, checked against the IP payload's; DNS on port 53."""
    if len(p) < 4:  # not even the ports
        return ("" if ports_only else f"{src} > {dst}: ") + " [|udp]"
    sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
    ends = _ends(src, dst, ports_only, sport, dport)
    if length < 8:
        return ends + f"truncated-udp {length}"
    if len(p) < 6:
        return ends + " [|udp]"
    ulen = int.from_bytes(p[4:6], "big")
    if ulen == 0 and length > 65535:  # a jumbogram's UDP length is the IP one (RFC 2675)
        ulen = length
    if ulen < 8:
        return ends + f"truncated-udplength {ulen}"
    if len(p) < 8:
        return ends + " [|udp]"
    if ulen > length and not fragmented:  # longer than the IP payload that carries it
        return ends + f"UDP, bad length {ulen - 8} > {length - 8}"
    if 53 in (sport, dport) and not ctx.quiet:
        return ends + dns(p[8:ulen], ulen - 8)
    return ends + f"UDP, length {ulen - 8}"


def tcp(ctx: Context, p: bytes, length: int, src: str, dst: str, ports_only: bool, raw: tuple[bytes, bytes]) -> str:
    """print-tcp.c without -v: ports, flags, relative sequence numbers, window, options, length; HTTP's first line."""
    if len(p) < 20:
        if len(p) >= 4:
            return _ends(src, dst, ports_only, int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")) + " [|tcp]"
        return f"{src} > {dst}: [|tcp]"  # not even the ports: tcpdump names the hosts, whatever came before
    sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
    seq, ack = int.from_bytes(p[4:8], "big"), int.from_bytes(p[8:12], "big")
    hlen, flags = (p[12] >> 4) * 4, p[13]
    win, urp = int.from_bytes(p[14:16], "big"), int.from_bytes(p[18:20], "big")
    s = _ends(src, dst, ports_only, sport, dport)
    if hlen < 20:
        return s + f" tcp {(length - hlen) & 0xFFFFFFFF} [bad hdr length {hlen} - too short, < 20]"
    if ctx.quiet:
        return (
            s
            + f"tcp {(length - hlen) & 0xFFFFFFFF}"
            + (f" [bad hdr length {hlen} - too long, > {length}]" if hlen > length else "")
        )
    fl = "".join(c for bit, c in TCP_FLAGS if flags & bit) or "none"
    s += f"Flags [{fl}]"
    thseq = thack = 0
    rev = False
    if not ctx.absolute and flags & 0x10:
        rev = sport > dport or (sport == dport and raw[0] > raw[1])
        key = (raw[1], raw[0], dport, sport) if rev else (raw[0], raw[1], sport, dport)
        known = ctx.tcp_seqs.get(key)
        if known is None or flags & 0x02:
            known = (ack - 1, seq) if rev else (seq, ack - 1)
            ctx.tcp_seqs[key] = (known[0] & 0xFFFFFFFF, known[1] & 0xFFFFFFFF)
        else:
            if rev:
                seq, ack = seq - known[1], ack - known[0]
            else:
                seq, ack = seq - known[0], ack - known[1]
        thseq, thack = ctx.tcp_seqs[key]
    seq &= 0xFFFFFFFF
    ack &= 0xFFFFFFFF
    dlen = length - hlen
    if dlen < 0:
        return s + f" [bad hdr length {hlen} - too long, > {length}]"
    if dlen > 0 or flags & 0x07:
        s += f", seq {seq}" + (f":{(seq + dlen) & 0xFFFFFFFF}" if dlen > 0 else "")
    if flags & 0x10:
        s += f", ack {ack}"
    s += f", win {win}"
    if flags & 0x20:
        s += f", urg {urp}"
    if hlen > 20:
        opts, complete, ctx.whole = _tcp_options(
            p[20:hlen], hlen - 20, rev, thseq, thack, flags, ctx.tcpdump, whole_segment=len(p) >= hlen + dlen
        )
        if not complete:  # cut by the snap length, or a bad option: tcpdump stops there
            return s + ", options [" + opts
        s += ", options [" + opts + "]"
    s += f", length {dlen}"
    if dlen > 0 and len(p) < hlen:  # options after an eol were not captured: tcpdump checks before the payload
        ctx.whole = True
        return s + f" [remaining caplen({len(p)}) < header length({hlen})] [|tcp]"
    if dlen > 0 and {sport, dport} & {80, 8080}:
        s += http(p[hlen : hlen + dlen], dlen, ctx.tcpdump)
    return s


class _OptionsEnd(Exception):
    """print-tcp.c leaves the option list early (goto bad, goto trunc, or a longjmp when a byte it fetches was
    not captured): the line ends with these words."""

    def __init__(ctx, words: str, longjmp: bool = False) -> None:
        super().__init__(words)
        ctx.longjmp = longjmp


def _tcp_options(
    b: bytes,
    total: int,
    rev: bool,
    thseq: int,
    thack: int,
    flags: int = 0,
    version: tuple[int, ...] = (4, 99, 5),
    whole_segment: bool = True,
) -> tuple[str, bool, bool]:
    """TCP options as print-tcp.c prints them; False when the line ends there (cut by the snap length, or a
    bad option: tcpdump then prints no length); True last when tcpdump quit by longjmp."""
    out, i, hlen, ch, proto = "", 0, total, "", "tcp"

    def bad() -> _OptionsEnd:
        return _OptionsEnd("[bad opt]" + ("]" if ch else ""))

    def need(n: int) -> bytes:  # LENCHECK: within the header's options, and captured
        if n > hlen:
            raise bad()
        if i + n > len(b):
            raise _OptionsEnd(f" [|{proto}]" + (">" if ch else ""))
        return b[i : i + n]

    try:
        while hlen > 0:
            out += ch
            if i >= len(b) or (b[i] > 1 and i + 1 >= len(b)):  # the kind or length byte was not captured
                raise _OptionsEnd(f" [|{proto}]", longjmp=True)
            if b[i] == 1:  # nop, the commonest: nothing to check
                out, i, hlen, ch = out + "nop", i + 1, hlen - 1, ","
                continue
            opt, ln = b[i], 1
            if opt > 1:  # eol and nop are one byte; the others say how long they are
                ln = b[i + 1]
                if ln < 2 or ln > hlen:
                    raise bad()
                hlen -= 1
            hlen -= 1
            i += min(ln, 2)
            out += "" if opt == 13 and version < (4, 99, 5) else TCP_OPTIONS.get(opt, f"unknown-{opt}")
            datalen = TCP_OPTION_DATA.get(opt, ln - 2)
            if opt == 5:
                if datalen % 8:
                    out += " invalid sack"
                else:
                    out += f" {datalen // 8} "
                    base = thseq if rev else thack
                    for j in range(0, datalen, 8):
                        v = need(j + 8)[j:]
                        out += (
                            f"{{{(int.from_bytes(v[:4], 'big') - base) & 0xFFFFFFFF}:"
                            f"{(int.from_bytes(v[4:8], 'big') - base) & 0xFFFFFFFF}}}"
                        )
            elif opt == 29:  # TCP-AO (RFC 5925)
                if datalen < 2:
                    out += " (invalid)"
                else:
                    out += f" keyid {need(1)[0]}"
                    out += f" rnextkeyid {need(2)[1]}"
                    if datalen > 2:
                        out += " mac 0x"
                        for j in range(2, datalen):
                            out += f"{need(j + 1)[j]:02x}"
            elif opt not in TCP_OPTIONS:  # unknown: the bytes in hex, as far as they were captured
                out += " 0x" if datalen else ""
                for j in range(datalen):
                    out += f"{need(j + 1)[j]:02x}"
            elif datalen:
                v = need(datalen)
                n = int.from_bytes(v, "big")
                if opt in (2, 3, 6, 7, 11, 12, 13):
                    out += f" {n}"
                elif opt == 8:
                    out += f" val {int.from_bytes(v[:4], 'big')} ecr {int.from_bytes(v[4:], 'big')}"
                elif opt == 19:  # Debian's tcpdump has libcrypto, but no -M secret to check the signature with
                    why = "shared secret not supplied with -M" if whole_segment else "snaplen too short"
                    out += f" {why}, can't check - " + v.hex()
                elif opt == 20:
                    out += f" cap {v[0]:02x} id {v[1]}"
                elif opt == 28:  # user timeout: minutes when the low bit is set, else seconds
                    out += f" 0x{n:x} {(n >> 1) * 60 if n & 1 else n >> 1}"
                elif opt == 30:
                    text, ok = _mptcp(b[i - 2 : i + datalen], flags)
                    out += text
                    if not ok:
                        raise bad()
                    proto = "mptcp"  # print-mptcp.c names itself for whatever is cut after it
                elif opt == 34:
                    out += " " + _tfo(v)
                elif opt == 254:
                    if datalen < 2:
                        raise bad()
                    magic = int.from_bytes(v[:2], "big")  # RFC 6994 experiment ID; 0xf989 is Fast Open
                    out += "-" + ("tfo" + _tfo(v[2:]) if magic == 0xF989 else f"{magic:04x}")
            elif opt in (34, 254):
                out += " " + _tfo(b"") if opt == 34 else ""
                if opt == 254:
                    raise bad()
            elif opt == 30:
                raise bad()  # print-mptcp.c wants at least 3 bytes
            i += datalen
            hlen -= datalen
            if datalen + min(ln, 2) != ln:
                out += f"[len {ln}]"
            ch = ","
            if opt == 0:  # the end of the list: tcpdump prints one eol and ignores the padding after it
                break
    except _OptionsEnd as end:
        return out + str(end), False, end.longjmp
    return out, True, False


def _tfo(v: bytes) -> str:
    """TCP Fast Open (RFC 7413): a request for a cookie, or the cookie."""
    if not v:
        return " cookiereq"
    if len(v) % 2 or not 4 <= len(v) <= 16:
        return " (invalid)"
    return " cookie " + v.hex()


def _mptcp(o: bytes, flags: int) -> tuple[str, bool]:
    """print-mptcp.c: " <length> <subtype>" and its fields, and False where tcpdump finds the option bad
    (after what it printed up to there)."""
    n = len(o)
    if n < 3:
        return "", False
    sub = min(o[2] >> 4, 8)
    out = f" {n} {MPTCP_SUBTYPES[sub]}"
    syn, ack = flags & 0x02, flags & 0x10

    def u(a: int, k: int) -> int:
        return int.from_bytes(o[a : a + k], "big")

    if sub == 0:  # MP_CAPABLE: version, checksum flag, the keys
        if not ((n in (12, 4) and syn) or (n in (20, 22) and ack and not syn)):
            return out, False
        if o[2] & 0xF > 1:
            return out + f" Unknown Version ({o[2] & 0xF})", True
        out += f" v{o[2] & 0xF}" + (" csum" if o[3] & 0x80 else "")
        if n == 12 or n >= 20:
            out += f" {{0x{u(4, 8):x}" + (f",0x{u(12, 8):x}" if n >= 20 else "") + "}"
    elif sub == 1:  # MP_JOIN
        if not ((n == 12 and syn) or (n == 16 and syn and ack) or (n == 24 and ack)):
            return out, False
        if n != 24:
            out += (" backup" if o[2] & 1 else "") + f" id {o[3]}"
        out += {
            12: f" token 0x{u(4, 4):x} nonce 0x{u(8, 4):x}",
            16: f" hmac 0x{u(4, 8):x} nonce 0x{u(12, 4):x}",
            24: f" hmac 0x{o[4:24].hex()}",
        }[n]
    elif sub == 2:  # DSS: data ack and data sequence mapping, each 4 or 8 bytes
        if n < 4 or syn:
            return out, False
        f, at = o[3], 4
        out += " fin" if f & 0x10 else ""
        for present, wide, word in ((0x01, 0x02, "ack"), (0x04, 0x08, "seq")):
            if f & present:
                out += f" {word} "
                k = 8 if f & wide else 4
                if n - at < k:
                    return out, False
                out += f"{u(at, k)}"
                at += k
                if word == "seq":
                    if n - at < 4:
                        return out, False
                    out += f" subseq {u(at, 4)}"
                    if n - at < 6:
                        return out, False
                    out += f" len {u(at + 4, 2)}"
                    at += 6
                    if n - at >= 2:
                        out += f" csum 0x{u(at, 2):x}"
                        at += 2
        if at != n:
            return out, False
    elif sub == 3:  # ADD_ADDR: an IPv4 or IPv6 address, maybe a port and an HMAC
        if n not in (8, 10, 16, 18, 20, 22, 28, 30):
            return out, False
        out += (
            " "
            + {6: "v0-ip6", 4: "v0-ip4", 1: "v1-echo", 0: "v1"}.get(o[2] & 0xF, "[bad version/echo]")
            + f" id {o[3]}"
        )
        alen = 4 if n < 20 else 16
        out += " " + (ipaddr(o[4:8]) if alen == 4 else ip6addr(o[4:20]))
        if n in (10, 18, 22, 30):
            out += f":{u(4 + alen, 2)}"
        if n in (16, 28):
            out += f" hmac 0x{u(4 + alen, 8):x}"
        if n in (18, 30):
            out += f" hmac 0x{u(6 + alen, 8):x}"
    elif sub == 4:  # REMOVE_ADDR: address ids
        if n < 4:
            return out, False
        out += " id" + "".join(f" {x}" for x in o[3:])
    elif sub == 5:  # MP_PRIO
        if n not in (3, 4):
            return out, False
        out += (" backup" if o[2] & 1 else " non-backup") + (f" id {o[3]}" if n == 4 else "")
    elif sub in (6, 7):  # MP_FAIL, MP_FASTCLOSE
        if n != 12:
            return out, False
        out += f" seq {u(4, 8)}" if sub == 6 else f" key 0x{u(4, 8):x}"
    return out, True


def dccp(ctx: Context, p: bytes, length: int, src: str, dst: str) -> str:
    """print-dccp.c without -v: the ports, the packet type (with service or reset code) and the ack number."""
    if len(p) < 12:
        return " [|dccp]"
    if length < 12:
        return f"truncated-dccp - {12 - length} bytes missing!"
    basic = 16 if p[8] & 1 else 12  # the extended header has 48-bit sequence numbers
    if length < basic:
        return f"truncated-dccp - {basic - length} bytes missing!"
    if len(p) < basic:
        return " [|dccp]"
    s = f"{src}.{int.from_bytes(p[0:2], 'big')} > {dst}.{int.from_bytes(p[2:4], 'big')}: DCCP"
    hlen = p[4] * 4
    if ctx.quiet:
        return (
            s
            + f" {(length - hlen) & 0xFFFFFFFF}"
            + (f" [bad hdr length {hlen} - too long, > {length}]" if hlen > length else "")
        )
    t = (p[8] >> 1) & 0xF
    name = DCCP_TYPES.get(t, "")
    extra = {0: 4, 1: 12, 2: 0, 7: 12}.get(t, 8 if t < 10 else 0)  # what follows the generic header
    if length < basic + extra:
        return s + f" truncated-{name} - {basic + extra - length} bytes missing!"
    if t in (0, 1, 7) and len(p) < basic + extra:
        return s + "  [|dccp]"
    s += " " + (name or f"unknown-type-{t}") + " "
    if t in (0, 1):
        s += f"(service={int.from_bytes(p[basic + extra - 4 : basic + extra], 'big')}) "
    elif t == 7:
        code = p[basic + 8]
        s += f"(code={DCCP_RESETS[code] if code < len(DCCP_RESETS) else 'invalid'}) "
    if t not in (0, 2):
        a, n = (basic + 2, 6) if basic == 16 else (basic + 1, 3)
        if len(p) < a + n:
            ctx.whole = True
            return s + " [|dccp]"
        s += f"(ack={int.from_bytes(p[a : a + n], 'big')}) "
    return s


def sctp(ctx: Context, p: bytes, length: int, src: str, dst: str) -> str:
    """print-sctp.c without -v: the ports, then each chunk's number and type.

    DATA, INIT, INIT ACK and SACK chunks show their fields; ForCES payloads, which tcpdump decodes, are not.
    """
    if length < 12:
        return f"truncated-sctp - {12 - length} bytes missing!"
    if len(p) < 12:
        return " [|sctp]"
    sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
    s = f"{src}.{sport} > {dst}.{dport}: sctp" + "".join(
        f"[{SCTP_FORCES[x]}]" for x in (sport, dport) if x in SCTP_FORCES
    )
    at, left, sep, n = 12, length - 12, " (", 0

    def u(a: int, k: int) -> int:
        return int.from_bytes(p[a : a + k], "big")

    while left:
        n += 1
        if left < 4:
            return s + f"{sep}{n}) [chunk descriptor cut off at end of packet]"
        if len(p) < at + 4:
            return s + " [|sctp]"
        ctype, flags, clen = p[at], p[at + 1], u(at + 2, 2)
        if clen < 4:
            return s + f"{sep}{n}) [Bad chunk length {clen}, < size of chunk descriptor]"
        align = -clen % 4
        if left < align:
            return s + f"{sep}{n}) [Bad chunk length {clen}, > remaining data in packet]"
        if len(p) < at + clen:
            return s + " [|sctp]"
        s += f"{sep}{n}) [{SCTP_CHUNKS.get(ctype, f'Unknown chunk type: 0x{ctype:x}')}] "
        body, rest = at + 4, clen - 4
        bogus = f"bogus chunk length {clen}]"
        if ctype == 0:  # DATA: unordered, beginning, end; TSN, stream, sequence, payload protocol
            marks = "".join(m for bit, m in ((4, "(U)"), (2, "(B)"), (1, "(E)")) if flags & bit)
            s += marks + (" " if marks else "")
            if rest < 12:
                return s + bogus
            ppid = u(body + 8, 4)
            s += (
                f"[TSN: {u(body, 4)}] [SID: {u(body + 4, 2)}] [SSEQ {u(body + 6, 2)}] "
                f"[PPID {SCTP_PPIDS.get(ppid, f'0x{ppid:x}')}] "
            )
            if rest == 12:
                return s + bogus
        elif ctype in (1, 2):  # INIT, INIT ACK: tag, window, streams, first TSN
            if rest < 16:
                return s + bogus
            s += (
                f"[init tag: {u(body, 4)}] [rwnd: {u(body + 4, 4)}] [OS: {u(body + 8, 2)}] "
                f"[MIS: {u(body + 10, 2)}] [init TSN: {u(body + 12, 4)}] "
            )
        elif ctype == 3:  # SACK: cumulative ack, window, gap blocks, duplicate TSNs
            if rest < 12:
                return s + bogus
            cum, gaps, dups = u(body, 4), u(body + 8, 2), u(body + 10, 2)
            s += f"[cum ack {cum}] [a_rwnd {u(body + 4, 4)}] [#gap acks {gaps}] [#dup tsns {dups}] "
            a, r = body + 12, rest - 12
            for i in range(gaps):
                if not r:
                    break
                if r < 4:
                    return s + bogus
                s += (
                    f"\n\t\t[gap ack block #{i + 1}: start = {(cum + u(a, 2)) & 0xFFFFFFFF}, "
                    f"end = {(cum + u(a + 2, 2)) & 0xFFFFFFFF}] "
                )
                a, r = a + 4, r - 4
            for i in range(dups):
                if not r:
                    break
                if r < 4:
                    return s + bogus
                s += f"\n\t\t[dup TSN #{i + 1}: {u(a, 4)}] "
                a, r = a + 4, r - 4
        at, left, sep = at + clen, left - clen, ", ("
        if align:
            if len(p) < at + align:
                return s + " [|sctp]"
            at, left = at + align, left - align
    return s
