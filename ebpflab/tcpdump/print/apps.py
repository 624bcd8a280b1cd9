# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text for what applications send (lab 06): DNS and HTTP over the transports, OSPF straight over IP.

print-domain.c's one-line summary, print-http.c's first line, print-ospf.c and print-ospf6.c without -v.
"""

from __future__ import annotations

from .base import Context, Cut, ip6addr, ipaddr, need

HTTP_METHODS = {
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
}  # tcpdump's print-http.c


def _token(b: bytes, i: int, wire: int) -> tuple[str, int]:
    """tcpdump's fetch_token: a word and where the next one starts; ("", 0) when there is none."""
    start = i
    while i < wire:
        if i >= len(b):
            return "", 0  # cut by the snap length
        c = b[i]
        if c in b" \t\r\n":
            break
        if not 0x20 <= c <= 0x7E:
            return "", 0
        i += 1
    word = b[start:i].decode()
    if not word:
        return "", 0
    while i < min(wire, len(b)):
        c = b[i]
        if c in b"\r\n":
            break
        if not 0x20 <= c <= 0x7E:
            return "", 0
        if c not in b" \t":
            break
        i += 1
    return word, i


def http(b: bytes, wire: int, version: tuple[int, ...] = (4, 99, 5)) -> str:
    """What tcpdump adds after a TCP segment to or from port 80 or 8080: the first line of a request or reply."""
    word, nxt = _token(b, 0, wire)
    show = word.upper() in HTTP_METHODS
    if nxt:
        code, _ = _token(b, nxt, wire)
        show = show or (len(code) == 3 and code.isdigit())
    if not show:
        return ": HTTP"
    for i in range(min(wire, len(b))):
        c = b[i]
        if c == 0x0A or (c == 0x0D and i + 1 < len(b) and b[i + 1] == 0x0A):
            return ": HTTP: " + b[:i].decode()
        if c == 0x0D:
            return ": HTTP"
        if not 0x20 <= c <= 0x7E and c != 0x09:
            return ": HTTP"
    # no end of line: 4.99.3 marks the line as cut; 4.99.5 (Debian 13) prints it as it is
    return ": HTTP: " + b[: min(wire, len(b))].decode() + (" [|http]" if version < (4, 99, 5) else "")


DNS_TYPES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    41: "OPT",
    255: "ANY",
}
DNS_CLASSES = {1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}
DNS_OPS = [
    "",
    " inv_q",
    " stat",
    " op3",
    " notify",
    " update",
    " op6",
    " op7",
    " op8",
    " updateA",
    " updateD",
    " updateDA",
    " updateM",
    " updateMA",
    " zoneInit",
    " zoneRef",
]
DNS_RCODES = [
    "",
    " FormErr",
    " ServFail",
    " NXDomain",
    " NotImp",
    " Refused",
    " YXDomain",
    " YXRRSet",
    " NXRRSet",
    " NotAuth",
    " NotZone",
    " Resp11",
    " Resp12",
    " Resp13",
    " Resp14",
    " NoChange",
]


def _name(b: bytes, i: int) -> tuple[str, int]:
    """A domain name as tcpdump prints it (labels and dots, "." for the root) and where it ends."""
    labels: list[str] = []
    end: int | None = None
    hops = 0
    while True:
        n = b[i]
        if n & 0xC0 == 0xC0:  # compression: the rest of the name is elsewhere
            end = i + 2 if end is None else end
            i = ((n & 0x3F) << 8) | b[i + 1]
            hops += 1
            if hops > 64:
                raise ValueError("a loop of name pointers")
            continue
        if n == 0:
            return ("".join(label + "." for label in labels) or "."), (i + 1 if end is None else end)
        labels.append(b[i + 1 : i + 1 + n].decode("latin-1"))
        if len(b) < i + 1 + n:
            raise IndexError
        i += 1 + n


def _skip_name(b: bytes, i: int) -> int:
    return _name(b, i)[1]


def _answer(b: bytes, i: int) -> tuple[str, int]:
    i = _skip_name(b, i)
    typ, cls, _, rdlen = (
        int.from_bytes(b[i : i + 2], "big"),
        int.from_bytes(b[i + 2 : i + 4], "big"),
        0,
        int.from_bytes(b[i + 8 : i + 10], "big"),
    )
    if len(b) < i + 10:
        raise IndexError
    out = f" {DNS_TYPES.get(typ, f'Type{typ}')}" + ("" if cls == 1 else f" {DNS_CLASSES.get(cls, f'(Class {cls})')}")
    r = i + 10
    if typ == 1:
        out += f" {ipaddr(b[r : r + 4])}"
    elif typ == 28:
        out += f" {ip6addr(b[r : r + 16])}"
    elif typ in (2, 5, 12):
        out += " " + _name(b, r)[0]
    elif typ == 15:
        out += " " + _name(b, r + 2)[0] + f" {int.from_bytes(b[r : r + 2], 'big')}"
    if len(b) < r + rdlen:
        raise IndexError
    return out, r + rdlen


def dns(b: bytes, length: int) -> str:
    """tcpdump's one-line DNS summary (without -v): the question of a query, the answers of a reply."""
    out = ""
    if length < 12:
        return f"domain [length {length} < 12] (invalid)"
    try:
        if len(b) < 12:
            raise IndexError
        ident, flags = int.from_bytes(b[0:2], "big"), int.from_bytes(b[2:4], "big")
        qd, an, ns, ar = (int.from_bytes(b[k : k + 2], "big") for k in (4, 6, 8, 10))
        op = DNS_OPS[(flags >> 11) & 0xF]
        i = 12
        if flags & 0x8000:  # a reply
            out = (
                f"{ident}{op}{DNS_RCODES[flags & 0xF]}{'*' if flags & 0x0400 else ''}"
                f"{'' if flags & 0x0080 else '-'}{'|' if flags & 0x0200 else ''}"
            )
            if qd != 1:
                out += f" [{qd}q]"
            for _ in range(qd):
                i = _skip_name(b, i) + 4
            out += f" {an}/{ns}/{ar}"
            for k in range(an):
                if k and i >= len(b):
                    raise IndexError
                text, i = _answer(b, i)
                out += ("," if k else "") + text
        else:
            out = f"{ident}{op}{'+' if flags & 0x0100 else ''}{'%' if flags & 0x0010 else ''}"
            if flags & 0x6CF:
                out += f" [b2&3=0x{flags:x}]"
            if (flags >> 11) & 0xF == 1:
                out += (f" [{qd}q]" if qd else "") + (f" [{an}a]" if an != 1 else "")
            else:
                out += (f" [{an}a]" if an else "") + (f" [{qd}q]" if qd != 1 else "")
            out += (f" [{ns}n]" if ns else "") + (f" [{ar}au]" if ar else "")
            for k in range(qd):
                if k and i >= len(b):
                    raise IndexError
                name, i = _name(b, i)
                typ, cls = int.from_bytes(b[i : i + 2], "big"), int.from_bytes(b[i + 2 : i + 4], "big")
                if len(b) < i + 4:
                    raise IndexError
                out += (
                    f" {DNS_TYPES.get(typ, f'Type{typ}')}"
                    + ("" if cls == 1 else f" {DNS_CLASSES.get(cls, f'(Class {cls})')}")
                    + f"? {name}"
                )
                i += 4
    except (IndexError, ValueError):
        return out + " [|domain]"
    return out + f" ({length})"


OSPF_TYPES = {1: "Hello", 2: "Database Description", 3: "LS-Request", 4: "LS-Update", 5: "LS-Ack"}


def ospf(ctx: Context, p: bytes, length: int, v6: bool) -> str:
    """print-ospf.c (over IPv4) and print-ospf6.c (over IPv6) without -v: version, packet type, length."""
    try:
        if not v6 and int.from_bytes(need(p, 16)[14:16], "big") == 2:  # an MD5 trailer does not count
            length, p = (length - 16) & 0xFFFFFFFF, p[: len(p) - 16]
        t = need(p, 2)[1]
    except Cut:
        ctx.whole = True
        return f" [|ospf{3 if v6 else 2}]"
    unknown = f"unknown packet type ({t})" if v6 else f"unknown LS-type {t}"
    return f"OSPFv{p[0]}, {OSPF_TYPES.get(t, unknown)}, length {length}"
