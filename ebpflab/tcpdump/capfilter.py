# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump filter expressions, moved into the kernel when they can be (lab 06).

libpcap is the one authority on what an expression means: ``pcap_compile`` turns it into classic
BPF (what ``tcpdump -d EXPR`` prints). For the common subset (``host``, ``src/dst host``, ``net``,
``port``, ``src/dst port``, ``tcp``, ``udp``, ``icmp``, ``ip``, ``ip6``, ``arp``, ``vlan``,
``and/or/not``, parentheses) that classic BPF is translated into C and compiled into
``bpf/xdp_capture.c``, so packets that do not match are never copied. Any other expression is
applied in user space by libpcap itself (``pcap_offline_filter``), after the copy. Either way the
packets kept are exactly those ``tcpdump -r FILE EXPR`` keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import cbpf
from ..cbpf import (
    A_SRC,
    ABS,
    ADD,
    ALU,
    AND,
    CLASS,
    DIV,
    IMM,
    IND,
    JA,
    JEQ,
    JGE,
    JGT,
    JMP,
    JSET,
    LD,
    LDX,
    LEN,
    LSH,
    MEM,
    MISC,
    MISCOP,
    MOD,
    MODE,
    MSH,
    MUL,
    NEG,
    OP,
    OR,
    RET,
    RSH,
    SIZE,
    SIZES,
    SRC,
    ST,
    STX,
    SUB,
    TAX,
    XOR,
)
from ..errors import LabError
from ..messages import _

KERNEL_WORDS = {
    "host",
    "src",
    "dst",
    "net",
    "port",
    "tcp",
    "udp",
    "icmp",
    "ip",
    "ip6",
    "arp",
    "vlan",
    "and",
    "or",
    "not",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "mask",
}
_TOKEN = re.compile(r"\s*(&&|\|\||!|\(|\)|[^\s()!]+)")


class FilterError(LabError):
    """A filter expression libpcap cannot parse."""


@dataclass
class Filter:
    """A compiled tcpdump expression: its classic BPF, and where it runs (``kernel`` or ``user``)."""

    expr: str
    insns: list[tuple[int, int, int, int]] = field(default_factory=list)
    where: str = "kernel"
    reason: str = ""
    snaplen: int = 262144
    _run: Callable[..., int] | None = None

    @property
    def empty(self) -> bool:
        """True when there is no expression (every packet is kept)."""
        return not self.expr.strip()

    def describe(self) -> str:
        """One sentence saying where the filter runs and why."""
        if self.empty:
            return _("no filter: every packet is copied")
        if self.where == "kernel":
            return _(
                "filter compiled into the XDP program ({count} classic BPF instructions turned into C)",
                count=len(self.insns),
            )
        return _("filter applied in user space by libpcap ({reason})", reason=self.reason)

    def matches(self, data: bytes, wire_len: int | None = None) -> bool:
        """Does libpcap's own filter keep this packet? (Used for the user-space fallback.)"""
        if self.empty:
            return True
        if self._run is None:
            self._run = cbpf.libpcap_filter(self.insns)
        return self._run(data, wire_len) != 0

    def c_code(self) -> str:
        """The filter as a C function ``capture_filter(data, data_end)`` for bpf/xdp_capture.c."""
        return to_c(self.insns)

    def dump(self) -> str:
        """The classic BPF program, one instruction a line (like ``tcpdump -d``, in numbers)."""
        return "\n".join(
            f"({i:03d}) code=0x{c:02x} jt={jt} jf={jf} k=0x{k:x}" for i, (c, jt, jf, k) in enumerate(self.insns)
        )


def in_kernel_subset(expr: str) -> str:
    """Return "" if every word of ``expr`` is in the in-kernel subset, else a sentence naming the first that is not."""
    for tok in _TOKEN.findall(expr):
        word = tok.lower()
        if word in KERNEL_WORDS or re.fullmatch(r"[0-9a-fA-F:.]+(/\d+)?|\d+", tok):
            continue
        return _("{word!r} is outside the in-kernel subset", word=tok)
    return ""


def compile_filter(expr: str, snaplen: int = 262144) -> Filter:
    """Compile a tcpdump expression with libpcap; FilterError with libpcap's message if it does not parse."""
    f = Filter(expr=expr.strip(), snaplen=snaplen)
    if f.empty:
        return f
    try:
        f.insns = [(c, jt, jf, k) for c, jt, jf, k in cbpf.compile(f.expr, snaplen=snaplen)]
    except cbpf.BadFilter as exc:
        msg = str(exc).split(": ", 1)[-1]
        raise FilterError(_("cannot compile filter expression {expr!r}: {reason}", expr=f.expr, reason=msg)) from None
    f.reason = in_kernel_subset(f.expr)
    if not f.reason and any(_ancillary(i) for i in f.insns):
        f.reason = _("it needs Linux ancillary data")
    f.where = "user" if f.reason else "kernel"
    return f


def _ancillary(insn: tuple[int, int, int, int]) -> bool:
    code, _, _, k = insn
    return code & CLASS in (LD, LDX) and code & MODE in (ABS, IND) and k >= 0xFFFFF000  # SKF_AD_OFF and above


# --- classic BPF -> C ------------------------------------------------------------------------
_ALU = {ADD: "+", SUB: "-", MUL: "*", DIV: "/", OR: "|", AND: "&", LSH: "<<", RSH: ">>", MOD: "%", XOR: "^"}
_JMP = {JEQ: "==", JGT: ">", JGE: ">=", JSET: "&"}


def _load(size: int, off: str, dest: str) -> str:
    # Like classic BPF, a load past the end of the packet rejects the packet outright.
    read = {
        4: "((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3]",
        2: "((u32)p[0] << 8) | p[1]",
        1: "p[0]",
    }[size]
    return (
        f"{{ u64 off = {off}; if (off > 0xffff) return 0; u8 *p = (u8 *)data + off;"
        f" if ((void *)(p + {size}) > data_end) return 0; {dest} = {read}; }}"
    )


def to_c(insns: list[tuple[int, int, int, int]]) -> str:
    """Translate classic BPF (forward jumps only, so no loops) into one C function the verifier accepts."""
    out = [
        "// Generated by ebpflab.tcpdump.capfilter from libpcap's classic BPF: one block per instruction.",
        "static __always_inline int capture_filter(void *data, void *data_end)",
        "{",
        "    u32 A = 0, X = 0, M[16] = {};",
        "    u32 len = (u32)(data_end - data);",
    ]
    for i, (code, jt, jf, k) in enumerate(insns):
        cls, size, mode, op, src = code & CLASS, code & SIZE, code & MODE, code & OP, code & SRC
        s = f"    L{i}: "
        if cls == LD:
            if mode == IMM:
                s += f"A = {k}u;"
            elif mode == ABS:
                s += _load(SIZES[size], f"{k}u", "A")
            elif mode == IND:
                s += _load(SIZES[size], f"(u64)X + {k}u", "A")
            elif mode == MEM:
                s += f"A = M[{k & 15}];"
            elif mode == LEN:
                s += "A = len;"
            else:
                raise LabError(_("cannot translate classic BPF instruction {code:#x}", code=code))
        elif cls == LDX:
            if mode == IMM:
                s += f"X = {k}u;"
            elif mode == MEM:
                s += f"X = M[{k & 15}];"
            elif mode == LEN:
                s += "X = len;"
            elif mode == MSH:  # the IPv4 header length
                s += _load(1, f"{k}u", "X") + " X = (X & 0xf) << 2;"
            else:
                raise LabError(_("cannot translate classic BPF instruction {code:#x}", code=code))
        elif cls == ST:
            s += f"M[{k & 15}] = A;"
        elif cls == STX:
            s += f"M[{k & 15}] = X;"
        elif cls == ALU:
            if op == NEG:
                s += "A = -A;"
            else:
                rhs = "X" if src else f"{k}u"
                if op in (DIV, MOD):
                    s += f"if ({rhs} == 0) return 0; " if src else ""
                s += f"A = A {_ALU[op]} {rhs};"
        elif cls == JMP:
            if op == JA:
                s += f"goto L{i + 1 + k};"
            else:
                rhs = "X" if src else f"{k}u"
                s += f"if (A {_JMP[op]} {rhs}) goto L{i + 1 + jt}; else goto L{i + 1 + jf};"
        elif cls == RET:
            s += "return A != 0;" if (code & SIZE) == A_SRC else f"return {int(k != 0)};"
        elif cls == MISC:
            s += "X = A;" if (code & MISCOP) == TAX else "A = X;"
        out.append(s)
    out += ["    return 0;", "}"]
    body = "\n".join(out)
    # Silence "unused" warnings for programs that never touch memory or the length.
    return body.replace("    u32 len", "    (void)M; u32 len", 1) + "\n"
