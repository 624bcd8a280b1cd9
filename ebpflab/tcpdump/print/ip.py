# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text for the network layer (lab 06): IPv4, IPv6 and its extension headers, MPLS, tunnels, IPsec.

print-ip.c, print-ip6.c (hop-by-hop, destination options, routing, fragment headers), print-ip-demux.c, print-mpls.c,
print-gre.c (IP, MPLS and bridged Ethernet inside), print-ah.c and print-esp.c without -v; what IP carries goes on
to ``transport`` (TCP, UDP, SCTP, DCCP), ``icmp`` (ICMP, ICMPv6, IGMP) and ``apps`` (OSPF).
MPLS lives here, not with the link layer, because GRE carries it too and what it carries is IP.
"""

from __future__ import annotations

from .apps import ospf
from .base import ETHERTYPE_NAMES, Context, Cut, hexdump, ip6addr, ipaddr, need
from .icmp import icmp, icmp6, igmp
from .transport import dccp, sctp, tcp, udp


def ipv4(ctx: Context, body: bytes, length: int) -> str:
    """print-ip.c's ip_print: "IP " (not with -e) and the packet; over Ethernet, or inside IP or GRE."""
    if not body and ctx.tcpdump < (4, 99, 5):
        ctx.whole = True
        return " [|ip]"
    if body and body[0] >> 4 != 4 and ctx.tcpdump < (4, 99, 5):  # 4.99.3 says so before "IP "
        v = body[0] >> 4
        return ("IP6, wrong link-layer encapsulation" if v == 6 else f"IP{v}") + " (invalid)"
    return ("" if ctx.link else "IP ") + _ip(ctx, body, length)


def ipv6(ctx: Context, body: bytes, length: int) -> str:
    """print-ip6.c's ip6_print: "IP6 " (not with -e) and the packet; over Ethernet, or inside IP or GRE."""
    if ctx.tcpdump >= (4, 99, 5) and length < 40:  # 4.99.5 checks the length first
        return ("" if ctx.link else "IP6 ") + f" [length {length} < 40] (invalid)"
    if len(body) < 40:
        return " [|ip6]"
    if body[0] >> 4 != 6:
        v = body[0] >> 4
        return ("" if ctx.link else "IP6 ") + (
            f" [version {v} != 6] (invalid)" if ctx.tcpdump >= (4, 99, 5) else f"version error: {v} != 6"
        )
    return ("" if ctx.link else "IP6 ") + _ip6(ctx, body, length)


def _ip(ctx: Context, b: bytes, wire: int) -> str:
    new = ctx.tcpdump >= (4, 99, 5)  # 4.99.5 words invalid IPv4 lengths differently (Debian 13)
    if new and wire < 20:
        return f" [length {wire} < 20] (invalid)"
    if new and b and b[0] >> 4 != 4:
        return f" [version {b[0] >> 4} != 4] (invalid)"
    if new and len(b) < 20:  # 4.99.5 checks the header length and fetches the total length before the cut
        if len(b) >= 1 and (b[0] & 0x0F) * 4 < 20:
            return f" [header length {(b[0] & 0x0F) * 4} < 20] (invalid)"
        ctx.whole = len(b) < 4  # its fetch of the version or of the total length quits by longjmp
        total = int.from_bytes(b[2:4], "big") if len(b) >= 4 else 0
        return ("" if total <= wire else f"[total length {total} > length {wire}] (invalid) ") + " [|ip]"
    if len(b) < 20:
        return " [|ip]"
    ihl = (b[0] & 0x0F) * 4
    if ihl < 20:
        return f" [header length {ihl} < 20] (invalid)" if new else f"bad-hlen {ihl}"
    total = int.from_bytes(b[2:4], "big")
    if new and total == 0:  # 4.99.5 takes a zero total length for a TSO send: the frame's length counts
        total = wire
    if total < ihl:
        return f" [total length {total} < {ihl}] (invalid)" if new else f"bad-len {total}"
    src, dst, proto = ipaddr(b[12:16]), ipaddr(b[16:20]), b[9]
    frag = int.from_bytes(b[6:8], "big")
    pre = (
        ""
        if total <= wire
        else (
            f"[total length {total} > length {wire}] (invalid) "
            if new
            else f"truncated-ip - {total - wire} bytes missing! "
        )
    )
    payload = b[ihl:total]
    if frag & 0x1FFF:
        return f"{pre}{src} > {dst}: ip-proto-{proto}"
    if len(payload) == 0 and min(len(b), total) < ihl:  # the options were cut: tcpdump quits by longjmp
        ctx.whole = True
        return (
            pre
            + ("" if proto in (6, 17, 33, 132) else f"{src} > {dst}: ")
            + f" [remaining caplen({min(len(b), total)}) < header length({ihl})] [|ip]"
        )
    return pre + _l4(
        ctx, proto, payload, src, dst, total - ihl, False, (b[12:16], b[16:20]), fragmented=bool(frag & 0x2000)
    )


def _ip6(ctx: Context, b: bytes, length: int) -> str:
    """print-ip6.c's walk: extension headers one by one, a jumbo payload length found in the hop-by-hop
    options, the snap length cut to the packet's own length; then the upper layer."""
    if len(b) < 40:
        return " [|ip6]"
    plen, hdr_plen = int.from_bytes(b[4:6], "big"), int.from_bytes(b[4:6], "big")
    src, dst = ip6addr(b[8:24]), ip6addr(b[24:40])
    s = ""
    if plen:
        total = plen + 40
        if length < total:
            s = _ip6_short(ctx, total, length)
    else:  # a jumbogram, perhaps: its length is in the hop-by-hop options
        total = length + 40
    data = b[:total]  # tcpdump cuts the snap length to the end of the packet (never lengthens it)
    nh, ph, off, adv, left = b[6], 255, 0, 40, total
    found_ext = found_jumbo = found_hbh = fragmented = False
    while off < len(data) and adv > 0:
        if left < adv:
            return s + " [|ip6]"
        off, left = off + adv, left - adv
        if off == 40 and nh not in (6, 17, 33, 132):  # TCP, UDP, DCCP and SCTP print the addresses themselves
            s += f"{src} > {dst}: "
        if nh == 0:
            if found_hbh:
                return s + "[The Hop-by-Hop Options header was already found] (invalid)"
            if ph != 255:
                return s + "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)"
            text, adv, jumbo = _hbh(ctx, data[off:], plen)
            s += text
            if ctx.whole:  # its length byte was not captured: tcpdump quit there
                return s
            if jumbo:
                found_jumbo, plen = True, jumbo
            if plen == 0:
                return s + "[No valid Jumbo Payload Hop-by-Hop option found] (invalid)"
            if adv < 0:
                return s
            found_ext = found_hbh = True
        elif nh == 60:
            if len(data) < off + 2:
                ctx.whole = True
                return s + " [|dstopt]"
            adv = (data[off + 1] + 1) * 8
            if len(data) < off + adv:
                return s + " [|dstopt]"
            s += "DSTOPT "
            found_ext = True
        elif nh == 44:
            if len(data) < off + 4:
                ctx.whole = True
                # 4.99.5 prints "frag (" before it fetches the offset; 4.99.3 after
                return s + ("frag (" if ctx.tcpdump >= (4, 99, 5) else "") + " [|frag6]"
            fo = int.from_bytes(data[off + 2 : off + 4], "big") & 0xFFF8
            rest = 40 + hdr_plen - off - 8  # what follows the fragment header, by the IPv6 payload length
            s += f"frag ({fo}|" + (
                f"{rest & 0xFFFFFFFFFFFFFFFF})" if rest >= 0 or ctx.tcpdump < (4, 99, 5) else "[length < 0] (invalid))"
            )  # 4.99.3 prints the size_t it wrapped to
            if fo or len(data) <= off + 8:  # a later fragment, or nothing captured after this header
                return s + ("" if fo else " ")
            s += " "
            adv, found_ext, fragmented = 8, True, True
        elif nh == 43:
            if len(data) <= off:
                return s + " [|ip6]"
            text, adv = _rt6(data[off:], ctx.tcpdump)
            s += text
            if adv < 0:
                ctx.whole = text.endswith("[|rt6]")  # a fetch past the capture: tcpdump's longjmp
                return s
            found_ext = True
        else:  # the upper layer
            if found_jumbo:
                if plen + 40 < off:
                    return s + " [|ip6]"
                if length < plen + 40:
                    s += _ip6_short(ctx, plen + 40, length)
                data, left = data[: plen + 40], plen + 40 - off
            elif plen == 0:  # no length and no jumbo option: an empty payload
                if found_ext:
                    return s + " [|ip6]"
                data, left = data[:40], 0
            return s + _l4(
                ctx,
                nh,
                data[off:],
                src,
                dst,
                left,
                True,
                (b[8:24], b[24:40]),
                ports_only=b[6] not in (6, 17),
                fragmented=fragmented,
            )
        ph, nh = nh, data[off]
    return s


def _ip6_short(ctx: Context, total: int, length: int) -> str:
    """The words for an IPv6 packet longer than the frame carrying it, in the installed tcpdump's wording."""
    if ctx.tcpdump >= (4, 99, 5):
        return f"[header+payload length {total} > length {length}] (invalid) "
    return f"truncated-ip6 - {total - length} bytes missing!"


def _hbh(ctx: Context, h: bytes, plen: int) -> tuple[str, int, int]:
    """print-ip6opts.c's hop-by-hop header without -v: "HBH ", what is wrong with its options, its length
    (-1 when tcpdump stops there) and the jumbo payload length it holds (0 for none valid)."""
    if len(h) < 2:
        ctx.whole = True
        return " [|hbhopt]", -1, 0
    hlen = (h[1] + 1) * 8
    if len(h) < hlen:
        return " [|hbhopt]", -1, 0
    opts, i, s, jumbo, seen = h[2:hlen], 0, "HBH ", 0, False
    n = len(opts)
    while i < n:
        t = opts[i]
        if t != 0 and i + 1 >= n:
            return s + " [|hbhopt]", -1, jumbo
        optlen = 1 if t == 0 else opts[i + 1] + 2
        if i + optlen > n:
            return s + " [|hbhopt]", -1, jumbo
        need, name, want = {
            1: (2, "padn", None),
            5: (4, "rtalert", 2),
            0xC2: (6, "jumbo", 4),
            0xC9: (18, "homeaddr", None),
        }.get(t, (2 if t else 0, f"type {t}", None))
        if n - i < need:
            return s + f"({name}: trunc) [|hbhopt]", -1, jumbo
        if (want is not None and opts[i + 1] != want) or (t == 0xC9 and opts[i + 1] < 16):
            return s + f"({name}: invalid len {opts[i + 1]}) [|hbhopt]", -1, jumbo
        if t == 0xC2 and not seen:  # valid only with a zero payload length, and above 65535
            seen = True
            value = int.from_bytes(opts[i + 2 : i + 6], "big")
            if plen == 0 and value >= 65536:
                jumbo = value
        i += optlen
    return s, hlen, jumbo


def _rt6(r: bytes, version: tuple[int, ...] = (4, 99, 5)) -> tuple[str, int]:
    """print-rt6.c without -v: type 0 and 2 (addresses) and 4 (segment routing); its length, -1 to stop."""
    s, cut = "RT6", " [|rt6]"
    if len(r) < 2:
        return s + cut, -1
    n = r[1]
    s += f" (len={n}"
    if len(r) < 3:
        return s + cut, -1
    typ = r[2]
    s += f", type={typ}{' [Deprecated]' if typ == 0 else ''}"
    if len(r) < 4:
        return s + cut, -1
    s += f", segleft={r[3]}"
    if typ not in (0, 2, 4):
        return s + " (unknown type) (invalid)", -1
    if typ == 4:
        if len(r) < 6:
            return s + cut if len(r) < 5 else s + f", last-entry={r[4]}" + cut, -1
        s += f", last-entry={r[4]}" + (f", flags=0x{r[5]:x}" if r[5] else "")
        if len(r) < 8:
            return s + cut, -1
        s += f", tag={int.from_bytes(r[6:8], 'big'):x}"
    elif len(r) < 8:
        return s + cut, -1
    elif int.from_bytes(r[4:8], "big"):
        s += f", rsv=0x{int.from_bytes(r[4:8], 'big'):x}"
    if n % 2:
        # 4.99.5 rewords this for types 0 and 2 only
        return s + (
            f" [length {n}]" if version >= (4, 99, 5) and typ != 4 else f" (invalid length {n})"
        ) + " (invalid)", -1
    for i in range(n // 2):
        if len(r) < 24 + 16 * i:
            return s + cut, -1
        s += f", [{i}]{ip6addr(r[8 + 16 * i : 24 + 16 * i])}"
    return s + ") ", (n + 1) * 8


def _l4(
    ctx: Context,
    proto: int,
    p: bytes,
    src: str,
    dst: str,
    length: int,
    v6: bool,
    raw: tuple[bytes, bytes],
    ports_only: bool = False,
    fragmented: bool = False,
) -> str:
    """print-ip-demux.c: what the IP header's protocol (or the last extension header) says comes next."""
    if proto == 17:
        return udp(ctx, p, length, src, dst, ports_only, fragmented)
    if proto == 6:
        return tcp(ctx, p, length, src, dst, ports_only, raw)
    if proto == 59:
        return ("" if ports_only else f"{src} > {dst}: ") + "no next header"
    wrong = {1: ("ICMP", False), 2: ("IGMP", False), 58: ("ICMPv6", True), 143: ("Ethernet", True)}.get(proto)
    if wrong and wrong[1] != v6:  # print-ip-demux.c: a protocol that only makes sense over the other IP
        return ("" if ports_only else f"{src} > {dst}: ") + f"[{wrong[0]} requires IPv{6 if wrong[1] else 4}] (invalid)"
    at = "" if ports_only else f"{src} > {dst}: "  # ports_only: the addresses were printed already
    if proto == 1 and not v6:
        return at + icmp(ctx, p, length)
    if proto == 58 and v6:
        return at + icmp6(ctx, p, length)
    if proto == 2 and not v6 and (not p or p[0] not in (0x13, 0x14)):  # DVMRP and PIMv1 are not decoded here
        return at + igmp(ctx, p, length)
    if proto == 89:
        return at + ospf(ctx, p, length, v6)
    if proto == 33:  # DCCP and SCTP print the addresses themselves, whatever headers came between
        return dccp(ctx, p, length, src, dst)
    if proto == 132:
        return sctp(ctx, p, length, src, dst)
    if proto == 51:  # AH, then what it protects, whose ports come without addresses (the IP says AH)
        text, hl = _ah(ctx, p)
        if hl < 0:
            return at + text
        return (
            at
            + text
            + _l4(
                ctx, p[0], p[hl:], src, dst, (length - hl) & 0xFFFFFFFF, v6, raw, ports_only=True, fragmented=fragmented
            )
        )
    decoder = {4: ipv4, 41: ipv6, 47: _gre, 50: _esp}.get(proto)
    if decoder:
        return at + decoder(ctx, p, length)
    return at + f" ip-proto-{proto} {length}"  # sic: two spaces


def mpls(ctx: Context, p: bytes, length: int) -> str:
    """print-mpls.c without -v: the label stack, then IPv4 or IPv6 as the bottom label (or the first byte) tells."""
    s, at = "MPLS", 0
    try:
        while True:
            if length - at < 4:
                return s + (" (invalid)" if len(p) >= length else " (invalid) [|mpls]")
            e = int.from_bytes(need(p, at + 4)[at : at + 4], "big")
            s += f" (label {e >> 12}, tc {(e >> 9) & 7}{', [S]' if e & 0x100 else ''}, ttl {e & 0xFF})"
            at += 4
            if e & 0x100:
                break
        label, rest, n = e >> 12, p[at:], length - at
        if label in (0, 3):
            return s + " " + ipv4(ctx, rest, n)
        if label == 2:
            return s + " " + ipv6(ctx, rest, n)
        if n < 1:
            return s
        first = need(p, at + 1)[at]
    except Cut:
        ctx.whole = True
        return s + " [|mpls]"
    if 0x45 <= first <= 0x4F:
        return s + " " + ipv4(ctx, rest, n)
    if 0x60 <= first <= 0x6F:
        return s + " " + ipv6(ctx, rest, n)
    if ctx.dumps or ctx.quiet or 0x81 <= first <= 0x83:  # OSI: not decoded here; -x/-X/-q: no default print
        return s
    ctx.dumped = True
    return s + "\n" + hexdump(rest, ascii=True)


def _ah(ctx: Context, p: bytes) -> tuple[str, int]:
    """print-ah.c without -v: SPI, sequence number, ICV in hex; the header's length, or -1 where it stops."""
    if not p:
        return " [|ah]", -1  # ip_demux_print's ND_TTEST: no longjmp
    s = "AH"
    try:
        hl = (need(p, 2)[1] + 2) * 4
        s += "("
        reserved = int.from_bytes(need(p, 4)[2:4], "big")
        s += f"reserved=0x{reserved:x}[MustBeZero]," if reserved else ""
        s += f"spi=0x{int.from_bytes(need(p, 8)[4:8], 'big'):08x},"
        s += f"seq=0x{int.from_bytes(need(p, 12)[8:12], 'big'):x},icv=0x"
        for i in range(12, hl):
            s += f"{need(p, i + 1)[i]:02x}"
    except Cut:
        ctx.whole = True
        return s + " [|ah]", -1
    return s + "): ", hl


def _esp(ctx: Context, p: bytes, length: int) -> str:
    """print-esp.c without a secret (-E) to decrypt with: the SPI and the sequence number."""
    if len(p) <= 8:
        return " [|esp]"
    return f"ESP(spi=0x{int.from_bytes(p[0:4], 'big'):08x},seq=0x{int.from_bytes(p[4:8], 'big'):x}), length {length}"


def _gre(ctx: Context, p: bytes, length: int) -> str:
    """print-gre.c without -v: version 0 (RFC 2784/2890: checksum, key, sequence, the old source routes) and
    what it carries; version 1 (PPTP's enhanced GRE) up to its payload; " [|gre]" where it stops."""
    cut = " [|gre]"
    if len(p) < 2 or length < 2:
        return cut
    flags, ver = int.from_bytes(p[0:2], "big"), p[1] & 7
    s = f"GREv{ver}"
    if ver > 1:
        return s + " ERROR: unknown-version"
    at = 4
    if len(p) < 4 or length < 4:
        return s + cut
    proto = int.from_bytes(p[2:4], "big")

    def field(n: int) -> int:  # the next n bytes as a number, or the end of the line
        nonlocal at
        if len(p) < at + n or length < at + n:
            raise Cut(s + cut)
        at += n
        return int.from_bytes(p[at - n : at], "big")

    try:
        if ver == 1:  # PPTP: key holds the call id
            s += f", call {field(4) & 0xFFFF}" if flags & 0x2000 else ""
            s += f", seq {field(4)}" if flags & 0x1000 else ""
            s += f", ack {field(4)}" if flags & 0x0080 else ""
            s += "" if flags & 0x1000 else ", no-payload"
        else:
            if flags & 0xC000:  # checksum present, or routing: checksum and offset
                field(2)
                s += f", off 0x{field(2):x}"
            s += f", key=0x{field(4):x}" if flags & 0x2000 else ""
            s += f", seq {field(4)}" if flags & 0x1000 else ""
            while flags & 0x4000:  # source route entries, up to the empty one
                af, sreoff, srelen = field(2), field(1), field(1)
                if af == 0 and srelen == 0:
                    break
                s += _gre_sre(af, sreoff, srelen, p[at : min(len(p), length)])
                if s.endswith(cut):
                    return s
                field(srelen)
    except Cut as c:
        return str(c)
    if ctx.link:
        s += f", proto {ETHERTYPE_NAMES.get(proto, 'unknown')} (0x{proto:04x})"
    s += f", length {length}"
    if ver == 1 and not flags & 0x1000:
        return s
    s += ": "
    inner, rest = p[at:], length - at
    if ver == 0 and proto == 0x0800:
        return s + ipv4(ctx, inner, rest)
    if ver == 0 and proto == 0x86DD:
        return s + ipv6(ctx, inner, rest)
    if ver == 0 and proto == 0x8847:
        return s + mpls(ctx, inner, rest)
    if ver == 0 and proto == 0x6558:  # transparent Ethernet bridging: a whole frame
        if len(inner) < 14 or rest < 14:
            return s + " [|ether]"
        text = ctx.frame(inner, rest)
        if ctx.dumped and ctx.dumps:  # an unknown ethertype inside: -x/-X dump the packet from its start
            ctx.dumped = False
            text = text.split("\n", 1)[0]
        return s + text
    return s + f"gre-proto-0x{proto:x}"  # tcpdump decodes IPX, AppleTalk, OSI and PPP (PPTP): not here


def _gre_sre(af: int, off: int, n: int, b: bytes) -> str:
    """print-gre.c's source route entry: IPv4 addresses or 2-byte AS numbers, the current one starred."""
    name, size = {0x0800: ("ip", 4), 0xFFFE: ("asn", 2)}.get(af, ("", 0))
    if not size:
        return f", (rtaf=0x{af:x})"
    s = f", (rtaf={name}"
    if off % size:
        return s + f", badoffset={off})"
    if n % size:
        return s + f", badlength={n})"
    if off >= n:
        return s + f", badoff/len={off}/{n})"
    for i in range(0, n, size):
        if len(b) < i + size:
            return s + ") [|gre]"
        s += (
            " "
            + ("*" if i == off else "")
            + (ipaddr(b[i : i + 4]) if size == 4 else f"{int.from_bytes(b[i : i + 2], 'big'):x}")
        )
    return s + ")"
