# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text for IP's control messages (lab 06): ICMP, ICMPv6 (with node information, router renumbering), IGMP.

print-icmp.c, print-icmp6.c and print-igmp.c without -v: an error's quoted packet shows only its destination (and
a port), as tcpdump prints it only with -v.
"""

from __future__ import annotations

from .base import Context, Cut, hexdump, ip6addr, ipaddr, need

# print-icmp.c's icmp2str: the types printed by name alone
ICMP_TYPES = {
    0: "echo reply",
    4: "source quench",
    8: "echo request",
    10: "router solicitation",
    13: "time stamp request",
    14: "time stamp reply",
    15: "information request",
    16: "information reply",
    17: "address mask request",
}
# print-icmp.c's destination unreachable texts, by code: {0} is the quoted packet's destination
ICMP_UNREACH = {
    0: "net {0} unreachable",
    1: "host {0} unreachable",
    5: "{0} unreachable - source route failed",
    6: "net {0} unreachable - unknown",
    7: "host {0} unreachable - unknown",
    8: "{0} unreachable - source host isolated",
    9: "net {0} unreachable - admin prohibited",
    10: "host {0} unreachable - admin prohibited",
    11: "net {0} unreachable - tos prohibited",
    12: "host {0} unreachable - tos prohibited",
    13: "host {0} unreachable - admin prohibited filter",
    14: "host {0} unreachable - host precedence violation",
    15: "host {0} unreachable - precedence cutoff",
}
ICMP_REDIRECT = {
    0: "redirect {0} to net {1}",
    1: "redirect {0} to host {1}",
    2: "redirect-tos {0} to net {1}",
    3: "redirect-tos {0} to host {1}",
}
ICMP6_TYPES = {
    1: "destination unreachable",
    2: "packet too big",
    3: "time exceeded in-transit",
    4: "parameter problem",
    128: "echo request",
    129: "echo reply",
    130: "multicast listener query",
    131: "multicast listener report",
    132: "multicast listener done",
    133: "router solicitation",
    134: "router advertisement",
    135: "neighbor solicitation",
    136: "neighbor advertisement",
    137: "redirect",
    138: "router renumbering",
    141: "inverse neighbor solicitation",
    142: "inverse neighbor advertisement",
    143: "multicast listener report v2",
    144: "ha discovery request",
    145: "ha discovery reply",
    146: "mobile router solicitation",
    147: "mobile router advertisement",
    139: "who-are-you request",
    140: "who-are-you reply",
    200: "mtrace response",
    201: "mtrace message",
    155: "RPL",
}  # print-icmp6.c's names; 139 and 140 are also node information, named after who-are-you
ICMP6_UNREACH = {
    0: "unreachable route",
    1: " unreachable prohibited",
    2: "beyond scope",
    3: "unreachable address",
    4: "unreachable port",
}  # sic: tcpdump's own leading space
ICMP6_PARAMPROB = {0: "erroneous", 1: "next header", 2: "option", 3: "incomplete header chain"}
ICMP_BUF = 64 + 100  # print-icmp.c's buf[MAXHOSTNAMELEN + 100], MAXHOSTNAMELEN being 64 on Linux
RPL_CODES = {
    0: "DODAG Information Solicitation",
    1: "DODAG Information Object",
    2: "Destination Advertisement Object",
    3: "Destination Advertisement Object Ack",
}
RR_CODES = {0: ", command", 1: ", result", 255: ", sequence number reset"}
NI_QTYPES = {0: "noop", 1: "supported qtypes", 2: "DNS name", 3: "node addresses"}


def icmp(ctx: Context, p: bytes, length: int) -> str:
    """print-icmp.c without -v: one text per type (and code).

    The quoted datagram of an error is printed only with -v, so only its destination (and a port) shows here.
    """

    def get(a: int, n: int) -> int:  # GET_*: a longjmp when the bytes were not captured
        if len(p) < a + n:
            ctx.whole = True
            raise Cut("")
        return int.from_bytes(p[a : a + n], "big")

    def ip(a: int) -> str:
        get(a, 4)
        return ipaddr(p[a : a + 4])

    try:
        t, code = get(0, 1), get(1, 1)
        if t in (0, 8):
            what = f"{ICMP_TYPES[t]}, id {get(4, 2)}, seq {get(6, 2)}"
        elif t == 3 and code == 2:
            what = f"{ip(24)} protocol {get(17, 1)} unreachable"
        elif t == 3 and code == 3:
            if len(p) < 18:  # ND_TCHECK of the quoted protocol: goto trunc, no longjmp
                return " [|icmp]"
            dport, proto = get(8 + (p[8] & 0x0F) * 4 + 2, 2), p[17]  # the header length as given, even 0
            what = (
                f"{ip(24)} {'tcp' if proto == 6 else 'udp'} port {dport} unreachable"
                if proto in (6, 17)
                else f"{ip(24)} protocol {proto} port {dport} unreachable"
            )
        elif t == 3 and code == 4:
            mtu = get(6, 2)
            what = f"{ip(24)} unreachable - need to frag" + (f" (mtu {mtu})" if mtu else "")
        elif t == 3:
            what = ICMP_UNREACH.get(code, "{0} unreachable - #" + str(code)).format(ip(24))
        elif t == 5:
            what = ICMP_REDIRECT.get(code, f"redirect-#{code} {{0}} to {{1}}").format(ip(24), ip(4))
        elif t == 9:
            advert = _router_advert(p)
            if advert is None:
                return " [|icmp]"
            what = advert
        elif t == 11:
            if len(p) < 28:  # ND_TCHECK of the quoted destination: goto trunc, no longjmp
                return " [|icmp]"
            what = {0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}.get(code, f"time exceeded-#{code}")
        elif t == 12:
            what = f"parameter problem - code {code}" if code else f"parameter problem - octet {get(4, 1)}"
        elif t == 13:
            what = f"time stamp query id {get(4, 2)} seq {get(6, 2)}"
        elif t == 14:
            if len(p) < 20:
                return " [|icmp]"
            what = (
                f"time stamp reply id {get(4, 2)} seq {get(6, 2)}: org {_ms(get(8, 4))}, recv {_ms(get(12, 4))}"
                f", xmit {_ms(get(16, 4))}"
            )
        elif t == 18:
            what = f"address mask is 0x{get(8, 4):08x}"
        else:
            what = ICMP_TYPES.get(t, f"type-#{t}")
    except Cut:
        return " [|icmp]"
    return f"ICMP {what}, length {length}"


def _router_advert(p: bytes) -> str | None:
    """RFC 1256's router advertisement: lifetime, number of addresses, each address and preference; None where
    tcpdump goes to trunc (a ND_TCHECK: no longjmp)."""
    if len(p) < 8:
        return None
    num, size, life = p[4], p[5], int.from_bytes(p[6:8], "big")
    what = (
        "router advertisement lifetime "
        + (
            f"{life}"
            if life < 60
            else f"{life // 60}:{life % 60:02d}"
            if life < 3600
            else f"{life // 3600}:{life % 3600 // 60:02d}:{life % 60:02d}"
        )
        + f" {num}:"
    )
    if size != 2:
        return what + f" [size {size}]"
    if len(p) < 8 + 8 * num:
        return None
    for i in range(num):
        a = 8 + 8 * i
        what += f" {{{ipaddr(p[a : a + 4])} {int.from_bytes(p[a + 4 : a + 8], 'big')}}}"
    return what[: ICMP_BUF - 1]  # print-icmp.c writes into a buffer of this size: longer texts are cut


def _ms(t: int) -> str:
    """print-icmp.c's icmp_tstamp_print: milliseconds since midnight UTC as hours:minutes:seconds.ms."""
    sec, ms = divmod(t, 1000)
    return f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{ms:03d}"


def icmp6(ctx: Context, p: bytes, length: int) -> str:
    """print-icmp6.c without -v: the type's name and what tcpdump adds for it."""
    if length == 0:
        return "ICMP6, length 0 (invalid)"
    if len(p) < 2:  # the type or code byte was not captured: tcpdump quits by longjmp
        ctx.whole = True
        return ("" if not p else f"ICMP6, {ICMP6_TYPES.get(p[0], f'unknown icmp6 type ({p[0]})')}") + " [|icmp6]"
    t, code = p[0], p[1]
    s = f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')}"

    def need(n: int) -> bytes:  # GET_*: a longjmp when the bytes were not captured
        if len(p) < n:
            ctx.whole = True
            raise Cut(s)
        return p

    def inner_dst() -> str:  # the destination of the packet an error message quotes
        return ip6addr(need(48)[32:48])

    try:
        if t == 1:
            s += f", {ICMP6_UNREACH.get(code, f'unknown unreach code ({code})')}"
            if code in (0, 1, 3):
                s += f" {inner_dst()}"
            elif code == 2:
                s += f" {inner_dst()}, source address {ip6addr(need(32)[16:32])}"
            elif code == 4:
                port = _upper_port(p[8:])
                if port is None:
                    return s + " [|icmp6]"
                s += f", {inner_dst()} {'tcp' if port[0] == 6 else 'udp'} port {port[1]}"
            else:  # print_unknown_data: the message in hex, and no length
                return s + "\n" + hexdump(p[:length])
        elif t == 2:
            s += f", mtu {int.from_bytes(need(8)[4:8], 'big')}"
        elif t == 3:
            s += f" for {inner_dst()}" if code == 0 else " (reassembly)" if code == 1 else f", unknown code ({code})"
        elif t == 4:
            if len(p) < 48:  # ND_TCHECK of the quoted destination: goto trunc, no longjmp
                return s + " [|icmp6]"
            pointer = int.from_bytes(p[4:8], "big")
            s += f", {ICMP6_PARAMPROB[code]} - octet {pointer}" if code in ICMP6_PARAMPROB else f", code-#{code}"
        elif t in (128, 129):
            s += f", id {int.from_bytes(need(6)[4:6], 'big')}, seq {int.from_bytes(need(8)[6:8], 'big')}"
        elif t == 130 and length >= 28:
            s += " v2"  # mldv2_query_print without -v: the group, and how many sources
            s += f" [gaddr {ip6addr(need(24)[8:24])}"
            nsrcs = int.from_bytes(need(28)[26:28], "big")
            if nsrcs:
                s += " [invalid number of sources]" if length < 28 + 16 * nsrcs else f", {nsrcs} source(s)"
            s += "]"
        elif t == 130 and length != 24:
            s += f" unknown-version (len {length}) "
        elif t in (130, 131, 132):  # MLDv1: delay and group, printed only when all 24 bytes were captured
            if len(p) >= 24:
                s += f"max resp delay: {int.from_bytes(p[4:6], 'big')} addr: {ip6addr(p[8:24])}"
        elif t in (135, 136):  # neighbour discovery: the address asked about or announced
            s += f", {'who has' if t == 135 else 'tgt is'} {ip6addr(need(24)[8:24])}"
        elif t == 137:
            s += f", {ip6addr(need(40)[24:40])} to {ip6addr(p[8:24])}"  # the destination, then the better hop
        elif t == 143:
            if length < 8:
                return s + f" [invalid len {length}], length {length}"
            s += f", {int.from_bytes(need(8)[6:8], 'big')} group record(s)"
        elif t in (144, 146):
            s += f", id 0x{int.from_bytes(need(6)[4:6], 'big'):04x}"
        elif t == 138:
            s += _rrenum(p)
        elif t in (139, 140):
            try:
                s += _nodeinfo(p, length)
            except Cut as cut:  # a name's length byte not captured: tcpdump's longjmp, after what it printed
                ctx.whole = True
                raise Cut(s + str(cut)) from None
        elif t == 155:  # RPL (RFC 6550): without -v only the code's name
            s += (
                ", (SEC) [worktodo]"
                if code & 0x80
                else ", (CLR)" + RPL_CODES.get(code, f"RPL message, unknown code {code}")
            )
        elif t not in (133, 134, 141, 142, 145, 147):  # not decoded: the length, then the message in hex
            return s + f", length {length}\n" + hexdump(p[:length])
    except Cut as cut:
        return str(cut) + " [|icmp6]"
    return s + f", length {length}"


def _upper_port(b: bytes) -> tuple[int, int] | None:
    """print-icmp6.c's get_upperlayer: the protocol and destination port of the TCP or UDP header a quoted
    IPv6 packet carries after its extension headers; None where tcpdump finds none."""
    if len(b) < 7:
        return None
    nh, off = b[6], 40
    while off < len(b):
        if nh in (6, 17):
            return (nh, int.from_bytes(b[off + 2 : off + 4], "big")) if len(b) >= off + 4 else None
        if nh in (0, 60, 43):
            if len(b) < off + 2:
                return None
            nh, off = b[off], off + (b[off + 1] + 1) * 8
        elif nh == 44:
            if len(b) < off + 4 or int.from_bytes(b[off + 2 : off + 4], "big") & 0xFFF8:
                return None
            nh, off = b[off], off + 8
        elif nh == 51:
            if len(b) < off + 2:
                return None
            nh, off = b[off], off + (b[off + 1] + 2) * 4
        else:
            return None
    return None


def _rrenum(p: bytes) -> str:
    """print-icmp6.c's router renumbering (RFC 2894) without -v: the code, the sequence number, and for a command
    its match-prefix part and use-prefix parts; " [|icmp6]" where it stops (a goto trunc: no longjmp)."""
    cut = " [|icmp6]"
    if len(p) < 16:
        return cut
    s = RR_CODES.get(p[1], f", code-#{p[1]}") + f", seq={int.from_bytes(p[4:8], 'big')}"
    if p[1] != 0:
        return s
    if len(p) < 40:
        return s + cut
    s += f" match({ {1: 'add', 2: 'change', 3: 'setglobal'}.get(p[16], f'#{p[16]}') },{ip6addr(p[24:40])}/{p[19]})"
    n = p[17] - 3  # the match part's length in 8-byte units, each use part being 4 of them
    if n % 4:
        return s + cut
    for at in range(40, 40 + 32 * (n // 4), 32):
        if len(p) < at + 32:
            return s + cut
        f = p[at + 12]
        s += " use(" + (("V" if f & 0x80 else "") + ("P" if f & 0x40 else "") + "," if f else "")
        s += f"{ip6addr(p[at + 16 : at + 32])}/{p[at]}/{p[at + 1]})"
    return s


def _nodeinfo(p: bytes, length: int) -> str:
    """print-icmp6.c's node information query or reply (RFC 4620) without -v; Cut(the words so far) where
    tcpdump fetches a byte that was not captured."""
    siz, cut = len(p), " [|icmp6]"
    qtype, flags = int.from_bytes(p[4:6], "big"), int.from_bytes(p[6:8], "big")
    if p[0] == 139:
        if siz == 12:
            return " who-are-you request"  # KAME's
        s = " node information query"
        if siz < 16:
            return s + cut
        s += " (" + NI_QTYPES.get(qtype, "unknown")
        if qtype == 1 and flags:
            s += f" [{'C' if flags & 1 else ''}]"
        elif qtype == 3 and flags:
            s += " [" + "".join(c for bit, c in zip((64, 32, 16, 8, 4, 2), "aGSLCA") if flags & bit) + "]"
        if qtype in (0, 1):
            return s + ")"
        if siz == 16:
            return s + ", 03 draft)"
        if p[1] in (0, 2):  # the subject: an IPv6 or an IPv4 address, shown only when exactly that long
            alen = 16 if p[1] == 0 else 4
            if siz == 16 + alen:
                s += ", subject=" + (ip6addr(p[16:32]) if alen == 16 else ipaddr(p[16:20]))
        elif p[1] == 1:
            s += ", subject=DNS name" + _ni_name(p, 16)
        else:
            s += ", unknown subject"
        return s + ")"
    if length > siz or siz < 16:
        return cut
    s = " node information reply (" + {1: "refused", 2: "unknown"}.get(p[1], "")
    if p[1] != 0:
        return s + ")"
    s += "" if qtype == 2 else NI_QTYPES.get(qtype, "unknown")
    if qtype == 1 and flags:
        s += f" [{'C' if flags & 1 else ''}]"
    elif qtype == 2:
        if siz <= 20:
            raise Cut(s + "DNS name")
        s += "DNS name" + _ni_name(p, 20) + (f" [TTL={int.from_bytes(p[16:20], 'big')}]" if flags & 1 else "")
    elif qtype == 3:
        for at in range(16, siz - 19, 20):
            s += f" {ip6addr(p[at + 4 : at + 20])}({int.from_bytes(p[at : at + 4], 'big')})"
        if flags:
            s += " [" + "".join(c for bit, c in zip((64, 32, 16, 8, 4, 2, 1), "aGSLCAT") if flags & bit) + "]"
    return s + ")"


def _ni_name(p: bytes, at: int) -> str:
    """A node information name: a Pascal string (draft 03) or DNS labels without compression (dnsname_print)."""
    if p[at] == len(p) - at - 1:
        return ', "' + "".join(_fn_char(c) for c in p[at + 1 :]) + '"'
    s, i, end = ', "', at, len(p)
    while i < end:
        n = p[i]
        i += 1
        if not n:
            s += "." if i == end else "" if i + 1 == end and p[i] == 0 else "???"
            break
        if n > end - i:
            s += "???"
            break
        s += "".join(_fn_char(c) for c in p[i : i + n])
        i += n
        if i + 1 < end and p[i]:
            s += "."
    return s + '"'


def _fn_char(c: int) -> str:
    """util-print.c's fn_print_char: "M-" for the high bit, "^" and a letter for control characters."""
    s = ""
    if c & 0x80:
        c, s = c & 0x7F, "M-"
    if not 0x20 <= c < 0x7F:
        c, s = c ^ 0x40, s + "^"
    return s + chr(c)


def igmp(ctx: Context, p: bytes, length: int) -> str:
    """print-igmp.c without -v: queries (v1, v2, v3), reports, leaves, multicast traceroute; "igmp" with -q."""
    if ctx.quiet:
        return "igmp"
    s = ""
    try:
        t = need(p, 1)[0]
        if t == 0x11:
            s = "igmp query"
            if length >= 12:
                return s + _igmpv3_query(p, length)
            s += f" v2{f' [max resp time {p[1]}]' if p[1] != 100 else ''}" if need(p, 2)[1] else " v1"
            group = int.from_bytes(need(p, 8)[4:8], "big")
            return s + (f" [gaddr {ipaddr(p[4:8])}]" if group else "") + (f" [len {length}]" if length != 8 else "")
        if t in (0x12, 0x16, 0x17):
            s = {0x12: "igmp v1 report ", 0x16: "igmp v2 report ", 0x17: "igmp leave "}[t] + ipaddr(need(p, 8)[4:8])
            return s + (f" [len {length}]" if t == 0x12 and length != 8 else "")
        if t == 0x22:
            if length < 16 or length & 3:
                return f"igmp v3 report [invalid len {length}]"
            return f"igmp v3 report, {int.from_bytes(need(p, 8)[6:8], 'big')} group record(s)"
        if t in (0x1E, 0x1F):  # a multicast traceroute query or response
            if length < 24:
                return f" [invalid len {length}]"
            need(p, 24)
            s = (
                f"{'mresp' if t == 0x1E else 'mtrace'} {int.from_bytes(p[21:24], 'big')}: {ipaddr(p[8:12])} to "
                f"{ipaddr(p[12:16])} reply-to {ipaddr(p[16:20])}"
            )
            return s + (f" with-ttl {p[20]}" if 224 <= p[16] <= 239 else "")
        return f"igmp-{t}"
    except Cut as cut:
        ctx.whole = True
        return s + str(cut) + " [|igmp]"


def _igmpv3_query(p: bytes, length: int) -> str:
    """print-igmp.c's IGMPv3 query: the maximum response time (coded above 127), the group, how many sources;
    Cut(the words so far) where a field was not captured."""
    if length < 12 or length & 3:
        return f" v3 [invalid len {length}]"
    s = " v3"
    try:
        mrc = need(p, 2)[1]
        mrt = mrc if mrc < 128 else ((mrc & 0x0F) | 0x10) << (((mrc & 0x70) >> 4) + 3)
        s += "" if mrc == 100 else f" [max resp time {f'{mrt * 0.1:.1f}s' if mrt < 600 else _relts(mrt // 10)}]"
        if not int.from_bytes(need(p, 8)[4:8], "big"):
            return s
        s += f" [gaddr {ipaddr(p[4:8])}"
        nsrcs = int.from_bytes(need(p, 12)[10:12], "big")
    except Cut:
        raise Cut(s) from None
    if nsrcs:
        s += " [invalid number of sources]" if length < 12 + 4 * nsrcs else f", {nsrcs} source(s)"
    return s + "]"


def _relts(secs: int) -> str:
    """util-print.c's unsigned_relts_print: seconds as years, weeks, days, hours, minutes and seconds."""
    if not secs:
        return "0s"
    out = ""
    for unit, n in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= n:
            out += f"{secs // n}{unit}"
            secs %= n
    return out
