# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Classic BPF, the 1993 BSD Packet Filter machine: compile, check, run, trace, disassemble (lab 01).

The machine has an accumulator ``A``, an index register ``X``, 16 scratch words ``M[0..15]`` and
read-only access to the packet; every jump goes forward, so every program ends. A program is a
list of ``Insn(code, jt, jf, k)``, exactly what libpcap hands to the kernel::

    prog = cbpf.compile("tcp port 80")      # libpcap's compiler, as tcpdump uses it
    print(cbpf.disassemble(prog))           # tcpdump -d style
    cbpf.interpret(prog, bytes(pkt))           # 0 rejects, otherwise the snapshot length
    cbpf.trace(prog, bytes(pkt))            # the registers after each instruction

The interpreter here is written for reading; the tests hold it to libpcap's ``bpf_filter`` (via
tcpdump) and to the kernel's (via ``SO_ATTACH_FILTER`` on a packet socket in the lab network).

``validate`` accepts exactly what Linux's ``bpf_check_classic`` accepts (net/core/filter.c): the
opcodes of its ``chk_code_allowed`` table (every bit of the 16-bit code counts), no constant
division by 0 or shift by 32 or more, scratch words M[0..15] stored before any path reads them
(dead code after a ``ret`` included, as the kernel checks it), jumps inside the program, a ``ret``
last, and loads at the kernel's ancillary offsets (``SKF_AD_OFF`` = -4096 and up) only for the
fields it knows. That set is inside what libpcap's ``bpf_validate`` accepts, and libpcap's own
interpreter is never handed a program that both have not accepted (``bpf_validate`` alone lets
opcodes through that make ``bpf_filter`` abort the process).

Where the two machines differ, ``interpret(..., semantics=...)`` follows the one asked for ("libpcap",
the default: the BSD machine, what ``tcpdump -r`` runs; or "kernel", a Linux socket filter):

- indexed loads ``[x + k]``: libpcap rejects the packet when X + k passes 2**32; the kernel adds
  in 32 bits, so the sum wraps (and may land inside the packet);
- offsets of 2**31 and up: libpcap rejects the packet; the kernel reads them as negative offsets:
  ``SKF_NET_OFF`` (-0x100000) + n is byte n of the network header, ``SKF_LL_OFF`` (-0x200000) + n
  byte n of the link header, anything else rejects; the ancillary fields (protocol, ifindex,
  mark...) are socket-buffer metadata this interpreter cannot know, so it refuses to guess;
- shifts by X of 32 or more: libpcap sets A to 0; the kernel shifts by X mod 32.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import operator
import re
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from .errors import LabError
from .messages import _

# Instruction classes, sizes, modes, operations and sources, as in <linux/filter.h> / <pcap/bpf.h>.
LD, LDX, ST, STX, ALU, JMP, RET, MISC = range(8)
W, H, B = 0x00, 0x08, 0x10
IMM, ABS, IND, MEM, LEN, MSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xA0
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR = (
    0x00,
    0x10,
    0x20,
    0x30,
    0x40,
    0x50,
    0x60,
    0x70,
    0x80,
    0x90,
    0xA0,
)
JA, JEQ, JGT, JGE, JSET = 0x00, 0x10, 0x20, 0x30, 0x40
K, X = 0x00, 0x08
_SRC_X = X  # the interpreter names its index register X too
A_SRC = 0x10  # RET | A
TAX, TXA = 0x00, 0x80
CLASS, SIZE, MODE, OP, SRC, MISCOP = 0x07, 0x18, 0xE0, 0xF0, 0x08, 0xF8  # masks of the opcode's fields
SIZES = {W: 4, H: 2, B: 1}
MEMWORDS = 16
MAXINSNS = 4096
DLT_EN10MB = 1
SNAPLEN = 262144  # tcpdump's default snapshot length: what "accept" returns
MASK = 0xFFFFFFFF
SO_ATTACH_FILTER = 26
SKF_AD_OFF, SKF_NET_OFF, SKF_LL_OFF = 0xFFFFF000, 0xFFF00000, 0xFFE00000  # -0x1000, -0x100000, -0x200000
# The kernel's ancillary loads (bpf_anc_helper): SKF_AD_OFF + n reads this field of the socket buffer.
ANCILLARY = {
    0: "protocol",
    4: "pkttype",
    8: "ifindex",
    12: "nlattr",
    16: "nlattr_nest",
    20: "mark",
    24: "queue",
    28: "hatype",
    32: "rxhash",
    36: "cpu",
    40: "alu_xor_x",
    44: "vlan_tag",
    48: "vlan_tag_present",
    52: "pay_offset",
    56: "random",
    60: "vlan_tpid",
}
SEMANTICS = ("libpcap", "kernel")

_SIZES = SIZES
_ALU_NAMES = {
    ADD: "add",
    SUB: "sub",
    MUL: "mul",
    DIV: "div",
    OR: "or",
    AND: "and",
    LSH: "lsh",
    RSH: "rsh",
    NEG: "neg",
    MOD: "mod",
    XOR: "xor",
}
_JMP_NAMES = {JA: "ja", JEQ: "jeq", JGT: "jgt", JGE: "jge", JSET: "jset"}
# The kernel's chk_code_allowed table: the only opcodes a socket filter may hold. It is also exactly
# the set of cases libpcap's bpf_filter has (any other code reaches its `abort()`).
CODES = frozenset(
    [ALU | op | src for op in (ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH) for src in (K, X)]
    + [ALU | NEG]
    + [LD | size | mode for size in (W, H, B) for mode in (ABS, IND)]
    + [
        LD | W | LEN,
        LD | IMM,
        LD | MEM,
        LDX | W | LEN,
        LDX | B | MSH,
        LDX | IMM,
        LDX | MEM,
        ST,
        STX,
        MISC | TAX,
        MISC | TXA,
        RET | K,
        RET | A_SRC,
        JMP | JA,
    ]
    + [JMP | op | src for op in (JEQ, JGE, JGT, JSET) for src in (K, X)]
)


class Insn(NamedTuple):
    """One classic BPF instruction: 16-bit opcode, jump offsets if true / if false, 32-bit constant."""

    code: int
    jt: int
    jf: int
    k: int


class BadProgram(LabError, ValueError):
    """A classic BPF program that the kernel would refuse (checked before it runs)."""


class BadFilter(LabError, ValueError):
    """A filter expression that libpcap cannot compile; the message is libpcap's."""


# --- compiling with libpcap -------------------------------------------------------------------
class _BpfInsn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _BpfProgram(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_BpfInsn))]


_pcap_lock = threading.Lock()  # libpcap's compiler keeps global state in older versions
_pcap: ctypes.CDLL | None = None


def _libpcap() -> ctypes.CDLL:
    global _pcap
    if _pcap is None:
        name = ctypes.util.find_library("pcap") or "libpcap.so.0.8"
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            raise LabError(_("libpcap is not installed (Debian: libpcap0.8); run `make lab` to install it")) from None
        lib.pcap_open_dead.restype = ctypes.c_void_p
        lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.pcap_compile.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(_BpfProgram),
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_uint32,
        ]
        lib.pcap_geterr.restype = ctypes.c_char_p
        lib.pcap_geterr.argtypes = [ctypes.c_void_p]
        lib.pcap_freecode.argtypes = [ctypes.POINTER(_BpfProgram)]
        lib.pcap_close.argtypes = [ctypes.c_void_p]
        lib.bpf_image.restype = ctypes.c_char_p
        lib.bpf_image.argtypes = [ctypes.POINTER(_BpfInsn), ctypes.c_int]
        lib.bpf_filter.restype = ctypes.c_uint
        lib.bpf_filter.argtypes = [ctypes.POINTER(_BpfInsn), ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint]
        lib.bpf_validate.restype = ctypes.c_int
        lib.bpf_validate.argtypes = [ctypes.POINTER(_BpfInsn), ctypes.c_int]
        _pcap = lib
    return _pcap


def compile(expr: str, optimize: bool = True, snaplen: int = SNAPLEN) -> list[Insn]:  # the builtin's name, on purpose
    """Compile a tcpdump filter expression for Ethernet with libpcap, as tcpdump does."""
    if not isinstance(expr, str):
        raise BadFilter(_("a filter expression is a string, not {type}", type=type(expr).__name__))
    if "\0" in expr:  # C would stop reading there and silently compile the part before it
        raise BadFilter(_("the filter expression {expr!r} contains a NUL character", expr=expr))
    try:
        raw = expr.encode()
    except UnicodeEncodeError:
        raise BadFilter(
            _("the filter expression {expr!r} is not valid text (it holds an unpaired surrogate)", expr=expr)
        ) from None
    if not isinstance(snaplen, int) or not 1 <= snaplen <= SNAPLEN:
        raise BadFilter(
            _("snaplen must be an integer from 1 to {largest}, not {snaplen!r}", largest=SNAPLEN, snaplen=snaplen)
        )
    lib = _libpcap()
    with _pcap_lock:
        p = lib.pcap_open_dead(DLT_EN10MB, snaplen)
        prog = _BpfProgram()
        try:
            if lib.pcap_compile(p, ctypes.byref(prog), raw, int(bool(optimize)), 0xFFFFFFFF) != 0:
                raise BadFilter(
                    _("tcpdump cannot compile {expr!r}: {error}", expr=expr, error=lib.pcap_geterr(p).decode())
                )
            out = [Insn(i.code, i.jt, i.jf, i.k) for i in prog.bf_insns[: prog.bf_len]]
            lib.pcap_freecode(ctypes.byref(prog))
            return out
        finally:
            lib.pcap_close(p)


def libpcap_image(program: Sequence[Insn]) -> str:
    """libpcap's own listing of ``program`` (its bpf_image), to hold ``disassemble`` to."""
    program = _insns(program)
    lib = _libpcap()
    arr = (_BpfInsn * len(program))(*[_BpfInsn(*i) for i in program])
    return "\n".join(lib.bpf_image(ctypes.byref(arr[n]), n).decode() for n in range(len(program)))


def libpcap_filter(program: Sequence[Sequence[int]]) -> Callable[..., int]:
    """libpcap's own interpreter (its bpf_filter, the one tcpdump -r uses) bound to a program checked once."""
    prog = validate(program)
    arr = (_BpfInsn * len(prog))(*[_BpfInsn(*i) for i in prog])
    lib = _libpcap()
    # bpf_filter trusts its program (an unknown opcode aborts the process): libpcap's check too.
    if lib.bpf_validate(arr, len(prog)) != 1:
        raise BadProgram(_("libpcap's bpf_validate refuses the program"))

    def run(packet: bytes, wire_len: int | None = None) -> int:
        data = bytes(packet)
        return lib.bpf_filter(arr, data, wire_len or len(data), len(data))

    return run


def libpcap_run(program: Sequence[Sequence[int]], packet: bytes) -> int:
    """libpcap's own interpreter on one packet."""
    return libpcap_filter(program)(packet)


# --- checking, as the kernel does before it accepts a program -----------------------------------
def _insns(program: object) -> list[Insn]:
    """The program as Insns of plain integers, or BadProgram (a shape check only)."""
    if isinstance(program, (str, bytes)) or program is None:
        raise BadProgram(
            _("a program is a list of (code, jt, jf, k) tuples of integers, not {type}", type=type(program).__name__)
        )
    try:
        prog = [Insn(*(operator.index(v) for v in i)) for i in program]  # type: ignore[attr-defined]  # checked by the except
    except (TypeError, ValueError):
        raise BadProgram(_("a program is a list of (code, jt, jf, k) tuples of integers")) from None
    for pc, (code, jt, jf, k) in enumerate(prog):
        if not (0 <= code <= 0xFFFF and 0 <= jt <= 255 and 0 <= jf <= 255 and 0 <= k <= MASK):
            raise BadProgram(
                _("instruction {pc}: a field is out of range (code 16 bits, jt/jf 8 bits, k 32 bits unsigned)", pc=pc)
            )
    return prog


def validate(program: Iterable[Sequence[int]]) -> list[Insn]:
    """Return the program as Insns, or raise BadProgram saying why the kernel would refuse it."""
    prog = _insns(program)
    if not prog:
        raise BadProgram(_("the program is empty: it needs at least a `ret`"))
    if len(prog) > MAXINSNS:
        raise BadProgram(
            _("the program has {count} instructions; classic BPF allows at most {most}", count=len(prog), most=MAXINSNS)
        )
    for pc, (code, jt, jf, k) in enumerate(prog):
        if code not in CODES:
            raise BadProgram(
                _(
                    "instruction {pc} ({code:#06x}): unknown opcode (not one the kernel's classic BPF accepts)",
                    pc=pc,
                    code=code,
                )
            )
        cls = code & 0x07
        if code in (LD | MEM, LDX | MEM, ST, STX) and k >= MEMWORDS:
            raise BadProgram(
                _(
                    "instruction {pc} ({code:#06x}): scratch memory M[{k}] does not exist (M[0]..M[15])",
                    pc=pc,
                    code=code,
                    k=k,
                )
            )
        if code in (ALU | DIV | K, ALU | MOD | K) and k == 0:
            raise BadProgram(_("instruction {pc} ({code:#06x}): division by the constant 0", pc=pc, code=code))
        if code in (ALU | LSH | K, ALU | RSH | K) and k >= 32:
            raise BadProgram(_("instruction {pc} ({code:#06x}): shift by {k} (at most 31)", pc=pc, code=code, k=k))
        if cls == LD and code & 0xE0 == ABS and k >= SKF_AD_OFF and (k - SKF_AD_OFF) not in ANCILLARY:
            raise BadProgram(
                _(
                    "instruction {pc} ({code:#06x}): offset {offset} is in the kernel's ancillary area "
                    "(SKF_AD_OFF + 0..{last}) but names no field it knows",
                    pc=pc,
                    code=code,
                    offset=k - (1 << 32),
                    last=max(ANCILLARY),
                )
            )
        if code == JMP | JA:
            if k >= len(prog) - pc - 1:
                raise BadProgram(
                    _(
                        "instruction {pc} ({code:#06x}): `ja` jumps to {target}, past the end of the program",
                        pc=pc,
                        code=code,
                        target=pc + 1 + k,
                    )
                )
        elif cls == JMP and pc + 1 + max(jt, jf) >= len(prog):
            raise BadProgram(
                _(
                    "instruction {pc} ({code:#06x}): a conditional jump goes to {target}, past the end "
                    "of the program ({count} instructions)",
                    pc=pc,
                    code=code,
                    target=pc + 1 + max(jt, jf),
                    count=len(prog),
                )
            )
    if prog[-1].code not in (RET | K, RET | A_SRC):
        raise BadProgram(
            _("the last instruction ({pc}) is not a `ret`: the machine could run off the end", pc=len(prog) - 1)
        )
    _check_scratch_memory(prog)
    return prog


def _check_scratch_memory(prog: list[Insn]) -> None:
    """Refuse a read of M[k] that may come before any store to it: the kernel's check_load_and_stores.

    Like the kernel, the words known stored flow on in program order past a `ret` (so a read in
    dead code right after one is refused) and are reset after a jump to what its targets receive.
    """
    masks = [0xFFFF] * len(prog)
    valid = 0
    for pc, (code, jt, jf, k) in enumerate(prog):
        valid &= masks[pc]
        if code in (ST, STX):
            valid |= 1 << k
        elif code in (LD | MEM, LDX | MEM) and not valid >> k & 1:
            raise BadProgram(_("instruction {pc} reads M[{k}], which may not have been stored yet", pc=pc, k=k))
        elif code == JMP | JA:
            masks[pc + 1 + k] &= valid
            valid = 0xFFFF
        elif code & 0x07 == JMP:
            masks[pc + 1 + jt] &= valid
            masks[pc + 1 + jf] &= valid
            valid = 0xFFFF


# --- running ------------------------------------------------------------------------------------
@dataclass
class Step:
    """The machine after one instruction: where it was, what it ran, the registers it left."""

    pc: int
    insn: Insn
    text: str
    A: int
    X: int
    M: tuple[int, ...]
    result: int | None = None  # set on the final `ret` (or an out-of-bounds load, which rejects)

    def __str__(self) -> str:
        used = ", ".join(f"M[{i}]={v:#x}" for i, v in enumerate(self.M) if v)
        end = "" if self.result is None else f"  -> return {self.result}"
        return f"{self.text:<44} A={self.A:#010x} X={self.X:#010x}{'  ' + used if used else ''}{end}"


def interpret(
    program: Sequence[Sequence[int]],
    packet: bytes,
    *,
    wirelen: int | None = None,
    byteorder: str = "big",
    semantics: str = "libpcap",
) -> int:
    """Run the program on a packet: 0 rejects it, otherwise it is the number of bytes to keep."""
    return _execute(
        validate(program), _packet(packet), _wirelen(wirelen), _byteorder(byteorder), _semantics(semantics), None
    )


def trace(
    program: Sequence[Sequence[int]],
    packet: bytes,
    *,
    wirelen: int | None = None,
    byteorder: str = "big",
    semantics: str = "libpcap",
) -> list[Step]:
    """Run the program and return every step (registers after each instruction)."""
    steps: list[Step] = []
    _execute(validate(program), _packet(packet), _wirelen(wirelen), _byteorder(byteorder), _semantics(semantics), steps)
    return steps


def _packet(packet: object) -> bytes:
    if isinstance(packet, (str, int)) or packet is None:
        raise LabError(_("a packet is bytes or a scapy packet, not {type}", type=type(packet).__name__))
    try:
        return bytes(packet)  # type: ignore[call-overload]
    except (TypeError, ValueError):  # ValueError: a list holding a number that is not a byte
        raise LabError(
            _("a packet is bytes (or a list of numbers 0..255) or a scapy packet, not {packet!r:.60}", packet=packet)
        ) from None


def _wirelen(wirelen: object) -> int | None:
    if wirelen is not None and (isinstance(wirelen, bool) or not isinstance(wirelen, int) or not 0 <= wirelen <= MASK):
        raise LabError(
            _(
                "wirelen is the packet's length on the wire, an integer from 0 to {largest}, not {wirelen!r}",
                largest=MASK,
                wirelen=wirelen,
            )
        )
    return wirelen


def _byteorder(byteorder: object) -> Literal["big", "little"]:
    if byteorder not in ("big", "little"):
        raise LabError(_("byteorder is 'big' or 'little', not {byteorder!r}", byteorder=byteorder))
    return byteorder


def _semantics(semantics: object) -> str:
    if semantics not in SEMANTICS:
        raise LabError(
            _(
                "semantics is 'libpcap' or 'kernel' (whose machine to follow where they differ), not {semantics!r}",
                semantics=semantics,
            )
        )
    return semantics


_NET_HEADER = 14  # where a socket filter's SKF_NET_OFF points: after the Ethernet header (tags already removed)


def _execute(
    prog: list[Insn],
    pkt: bytes,
    wirelen: int | None,
    byteorder: Literal["big", "little"],
    semantics: str,
    steps: list[Step] | None,
) -> int:
    A = X = 0
    M = [0] * MEMWORDS
    n = len(pkt)
    length = n if wirelen is None else wirelen
    kernel = semantics == "kernel"
    pc = 0

    def load(off: int, size: int) -> int | None:
        # The rule that keeps the filter safe: a load past the end of the packet rejects it.
        if kernel and off & 0x80000000:  # a negative 32-bit offset: the kernel's special areas
            off -= 1 << 32
            if off >= SKF_NET_OFF - (1 << 32):
                off = _NET_HEADER + off - (SKF_NET_OFF - (1 << 32))
            elif off >= SKF_LL_OFF - (1 << 32):
                off = off - (SKF_LL_OFF - (1 << 32))
            else:
                return None
        if off < 0 or off + size > n:
            return None
        return int.from_bytes(pkt[off : off + size], byteorder)

    while True:
        ins = prog[pc]
        code, jt, jf, k = ins
        cls = code & 0x07
        nxt = pc + 1
        result = None
        if cls in (LD, LDX):
            mode, size = code & 0xE0, _SIZES.get(code & 0x18, 4)
            v: int | None
            if mode == IMM:
                v = k
            elif mode == LEN:
                v = length
            elif mode == MEM:
                v = M[k]
            elif mode == ABS:
                if kernel and k >= SKF_AD_OFF:
                    raise LabError(
                        _(
                            "instruction {pc} reads the kernel's ancillary field {field!r} "
                            "(socket-buffer metadata): only the kernel knows it; run it with semantics='libpcap' "
                            "(which rejects the packet there) or attach the program to a socket",
                            pc=pc,
                            field=ANCILLARY[k - SKF_AD_OFF],
                        )
                    )
                v = load(k, size)
            elif mode == IND:
                v = load((X + k) & MASK if kernel else X + k, size)  # the kernel adds in 32 bits
            else:  # MSH: X = 4 * (P[k] & 0xf), the IPv4 header length
                b = load(k, 1)
                v = None if b is None else (b & 0x0F) << 2
            if v is None:
                result = 0
            elif cls == LD:
                A = v
            else:
                X = v
        elif cls == ST:
            M[k] = A
        elif cls == STX:
            M[k] = X
        elif cls == ALU:
            op, src = code & 0xF0, (X if code & _SRC_X else k)
            if op == NEG:
                A = -A & MASK
            elif op in (DIV, MOD) and src == 0:
                result = 0  # division by X == 0 rejects the packet, as in libpcap and Linux
            elif op in (LSH, RSH) and src >= 32 and not kernel:
                A = 0  # libpcap: a shift by 32 or more empties A (the kernel shifts by src mod 32)
            else:
                A = _alu(op, A, src)
        elif cls == JMP:
            op, src = code & 0xF0, (X if code & _SRC_X else k)
            if op == JA:
                nxt = pc + 1 + k
            else:
                taken = {JEQ: src == A, JGT: src < A, JGE: src <= A, JSET: bool(A & src)}[op]
                nxt = pc + 1 + (jt if taken else jf)
        elif cls == RET:
            result = A if code & 0x18 == A_SRC else k
        else:  # MISC
            if code & 0xF8 == TXA:
                A = X
            else:
                X = A
        if steps is not None:
            steps.append(Step(pc, ins, _text(ins, pc), A, X, tuple(M), result))
        if result is not None:
            return result
        pc = nxt


def _alu(op: int, a: int, b: int) -> int:
    if op == ADD:
        r = a + b
    elif op == SUB:
        r = a - b
    elif op == MUL:
        r = a * b
    elif op == DIV:
        r = a // b
    elif op == MOD:
        r = a % b
    elif op == OR:
        r = a | b
    elif op == AND:
        r = a & b
    elif op == XOR:
        r = a ^ b
    elif op == LSH:
        r = a << (b & 31)  # the kernel masks the shift count like x86 does
    else:
        r = a >> (b & 31)
    return r & MASK


# --- reading programs ---------------------------------------------------------------------------
def _name(ins: Insn) -> tuple[str, str] | None:
    """(mnemonic, operand) of one instruction, in libpcap's bpf_image spelling; None if unknown."""
    code, _, _, k = ins
    if code not in CODES:  # e.g. high bits set: the kernel refuses it, so no name
        return None
    cls = code & 0x07
    sk = k - (1 << 32) if k & 0x80000000 else k  # bpf_image prints k with %d
    if cls in (LD, LDX):
        mode, size = code & 0xE0, code & 0x18
        suffix = {W: "", H: "h", B: "b"}.get(size)
        if cls == LD:
            if mode == ABS and suffix is not None:
                return "ld" + suffix, f"[{sk}]"
            if mode == IND and suffix is not None:
                return "ld" + suffix, f"[x + {sk}]"
            if size != W:
                return None
            return {IMM: ("ld", f"#0x{k:x}"), LEN: ("ld", "#pktlen"), MEM: ("ld", f"M[{sk}]")}.get(mode)
        if code == LDX | B | MSH:
            return "ldxb", f"4*([{sk}]&0xf)"
        if size != W:
            return None
        return {IMM: ("ldx", f"#0x{k:x}"), LEN: ("ldx", "#pktlen"), MEM: ("ldx", f"M[{sk}]")}.get(mode)
    if code in (ST, STX):
        return ("st" if cls == ST else "stx"), f"M[{sk}]"
    if cls == ALU:
        op = code & 0xF0
        if op not in _ALU_NAMES or code & ~0xF8 != ALU:
            return None
        if op == NEG:
            return ("neg", "") if code == ALU | NEG else None
        if code & X:
            return _ALU_NAMES[op], "x"
        return _ALU_NAMES[op], (f"#0x{k:x}" if op in (AND, OR, XOR) else f"#{sk}")
    if cls == JMP:
        op = code & 0xF0
        if op not in _JMP_NAMES or code & ~0xF8 != JMP:
            return None
        if op == JA:
            return ("ja", "") if code == JMP | JA else None
        return _JMP_NAMES[op], ("x" if code & X else f"#0x{k:x}")
    if cls == RET:
        return {RET | K: ("ret", f"#{sk}"), RET | A_SRC: ("ret", "")}.get(code)
    if code == MISC | TAX:
        return "tax", ""
    if code == MISC | TXA:
        return "txa", ""
    return None


def _text(ins: Insn, pc: int) -> str:
    named = _name(ins)
    if named is None:
        return f"({pc:03d}) {'unimp':<8} 0x{ins.code:x}"
    op, operand = named
    if ins.code & 0x07 == JMP and ins.code & 0xF0 != JA:
        return f"({pc:03d}) {op:<8} {operand:<16} jt {pc + 1 + ins.jt}\tjf {pc + 1 + ins.jf}"
    if ins.code == JMP | JA:
        return f"({pc:03d}) {op:<8} {pc + 1 + ins.k}"
    return f"({pc:03d}) {op:<8} {operand}"


def disassemble(program: Sequence[Sequence[int]]) -> str:
    """The program as tcpdump -d prints it: one instruction a line, jump targets as line numbers."""
    prog = _insns(program)
    return "\n".join(_text(ins, pc) for pc, ins in enumerate(prog))


def dump(program: Sequence[Sequence[int]]) -> str:
    """The program as tcpdump -ddd prints it (the length, then "code jt jf k" lines)."""
    program = _insns(program)
    return "\n".join([str(len(program))] + [f"{c} {jt} {jf} {k}" for c, jt, jf, k in program])


_LINE = re.compile(r"^\s*(?:\((\d+)\))?\s*([a-z]+)\s*(.*?)\s*$")


def assemble(text: str) -> list[Insn]:
    """Turn a listing in tcpdump -d style (line numbers optional) back into a program."""
    if not isinstance(text, str):
        raise BadProgram(
            _("a listing to assemble is a string in tcpdump -d style, not {type}", type=type(text).__name__)
        )
    prog: list[Insn] = []
    lines = [ln.split(";")[0] for ln in text.splitlines()]
    for ln in (ln for ln in lines if ln.strip()):
        pc = len(prog)
        m = _LINE.match(ln)
        if not m:
            raise BadProgram(_("line {pc}: cannot read {line!r}", pc=pc, line=ln.strip()))
        op, rest = m.group(2), m.group(3)
        jumps = re.search(r"\s*jt\s+(\d+)\s+jf\s+(\d+)$", rest)
        jt = jf = 0
        if jumps:
            jt, jf = int(jumps.group(1)) - pc - 1, int(jumps.group(2)) - pc - 1
            rest = rest[: jumps.start()].strip()
            if min(jt, jf) < 0 or max(jt, jf) > 255:
                raise BadProgram(_("line {pc}: jumps go forward only, at most 256 instructions ahead", pc=pc))
        prog.append(_assemble_one(pc, op, rest, jt, jf, ln.strip()))
    return prog


def _assemble_one(pc: int, op: str, arg: str, jt: int, jf: int, line: str) -> Insn:
    def num(s: str) -> int:
        try:
            return int(s, 0) & MASK
        except ValueError:
            raise BadProgram(_("line {pc}: {word!r} is not a number in {line!r}", pc=pc, word=s, line=line)) from None

    def bad() -> BadProgram:
        return BadProgram(_("line {pc}: cannot assemble {line!r}", pc=pc, line=line))

    def word_operand(cls: int) -> Insn | None:
        """The packet length, a scratch word or a constant, loaded into A (LD) or X (LDX)."""
        if arg in ("#pktlen", "#len", "len"):
            return Insn(cls | W | LEN, 0, 0, 0)
        if m := re.fullmatch(r"M\[(\d+)\]", arg):
            return Insn(cls | W | MEM, 0, 0, num(m.group(1)))
        if arg.startswith("#"):
            return Insn(cls | W | IMM, 0, 0, num(arg[1:]))
        return None

    sizes = {"ld": W, "ldh": H, "ldb": B}
    if op in sizes:
        size = sizes[op]
        if m := re.fullmatch(r"\[\s*x\s*\+\s*(\S+)\s*\]", arg):
            return Insn(LD | size | IND, 0, 0, num(m.group(1)))
        if m := re.fullmatch(r"\[\s*(\S+)\s*\]", arg):
            return Insn(LD | size | ABS, 0, 0, num(m.group(1)))
        if op == "ld" and (insn := word_operand(LD)):
            return insn
        raise bad()
    if op == "ldx":
        if insn := word_operand(LDX):
            return insn
        raise bad()
    if op == "ldxb":
        if m := re.fullmatch(r"4\s*\*\s*\(\s*\[\s*(\S+?)\s*\]\s*&\s*0xf\s*\)", arg):
            return Insn(LDX | B | MSH, 0, 0, num(m.group(1)))
        raise bad()
    if op in ("st", "stx"):
        if m := re.fullmatch(r"M\[(\d+)\]", arg):
            return Insn(ST if op == "st" else STX, 0, 0, num(m.group(1)))
        raise bad()
    alu = {v: k for k, v in _ALU_NAMES.items()}
    if op in alu:
        if op == "neg":
            return Insn(ALU | NEG, 0, 0, 0)
        if arg == "x":
            return Insn(ALU | alu[op] | X, 0, 0, 0)
        if arg.startswith("#"):
            return Insn(ALU | alu[op] | K, 0, 0, num(arg[1:]))
        raise bad()
    if op == "ja":
        target = num(arg)
        if target <= pc:
            raise BadProgram(
                _("line {pc}: `ja {target}` jumps backwards; classic BPF only jumps forward", pc=pc, target=target)
            )
        return Insn(JMP | JA, 0, 0, target - pc - 1)
    jmp = {v: k for k, v in _JMP_NAMES.items()}
    if op in jmp:
        if arg == "x":
            return Insn(JMP | jmp[op] | X, jt, jf, 0)
        if arg.startswith("#"):
            return Insn(JMP | jmp[op] | K, jt, jf, num(arg[1:]))
        raise bad()
    if op == "ret":
        if arg in ("", "a", "A"):
            return Insn(RET | A_SRC, 0, 0, 0)
        if arg.startswith("#"):
            return Insn(RET | K, 0, 0, num(arg[1:]))
        raise bad()
    if op in ("tax", "txa"):
        return Insn(MISC | (TAX if op == "tax" else TXA), 0, 0, 0)
    raise BadProgram(_("line {pc}: unknown instruction {op!r} in {line!r}", pc=pc, op=op, line=line))


# --- packets to try programs on -----------------------------------------------------------------
def sample_packets() -> dict[str, bytes]:
    """A dozen named Ethernet frames between the lab's client and server (lab addresses only)."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP, Dot1Q, Ether

    c, s, bcast = "02:eb:00:00:00:01", "02:eb:00:00:00:02", "ff:ff:ff:ff:ff:ff"
    e, ip = Ether(src=c, dst=s), IP(src="198.18.0.1", dst="198.18.0.2")
    frames = {
        "udp dns query": e / ip / UDP(sport=40000, dport=53) / b"\x12\x34\x01\x00",
        "udp dns answer": Ether(src=s, dst=c) / IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=53, dport=40000),
        "udp 9 (discard)": e / ip / UDP(sport=40000, dport=9) / (b"x" * 18),
        "tcp syn :80": e / ip / TCP(sport=40001, dport=80, flags="S"),
        "tcp syn-ack :80": Ether(src=s, dst=c)
        / IP(src="198.18.0.2", dst="198.18.0.1")
        / TCP(sport=80, dport=40001, flags="SA"),
        "tcp data :80": e / ip / TCP(sport=40001, dport=80, flags="PA") / b"GET / HTTP/1.0\r\n\r\n",
        "tcp syn :22": e / ip / TCP(sport=40002, dport=22, flags="S"),
        "icmp echo": e / ip / ICMP(type=8) / (b"\0" * 32),
        "ip fragment": e / IP(src="198.18.0.1", dst="198.18.0.2", flags="MF", frag=8, proto=17) / (b"f" * 32),
        "arp who-has": Ether(src=c, dst=bcast) / ARP(op=1, hwsrc=c, psrc="198.18.0.1", pdst="198.18.0.2"),
        "vlan 100 udp": e / Dot1Q(vlan=100) / ip / UDP(sport=40000, dport=53),
        "ipv6 tcp syn :443": e / IPv6(src="2001:2::1", dst="2001:2::2") / TCP(sport=40003, dport=443, flags="S"),
    }
    return {name: bytes(f) for name, f in frames.items()}


def kernel_view(frame: bytes) -> bytes:
    """The frame as a Linux socket filter sees it: the receive path has already removed the outer VLAN tag."""
    if frame[12:14] in (b"\x81\x00", b"\x88\xa8") and len(frame) >= 18:
        return frame[:12] + frame[16:]
    return frame


def verdicts(program: Sequence[Sequence[int]], packets: dict[str, bytes]) -> dict[str, int]:
    """Run the program on each named packet: {name: return value}."""
    prog = validate(program)
    if not isinstance(packets, dict):
        raise LabError(
            _(
                "packets is a dict of name -> frame (like cbpf.sample_packets()), not {type}",
                type=type(packets).__name__,
            )
        )
    return {name: interpret(prog, data) for name, data in packets.items()}


def verdict_table(program: Sequence[Sequence[int]], packets: dict[str, bytes]) -> str:
    """The verdicts as a small text table (accept/reject, bytes kept)."""
    rows = [_("packet               bytes  verdict")]  # one line: the translation aligns its own wide characters
    for name, value in verdicts(program, packets).items():
        verdict = _("accept (keep up to {value} bytes)", value=value) if value else _("reject")
        rows.append(f"{name:<20} {len(packets[name]):>5}  {verdict}")
    return "\n".join(rows)


# --- the kernel's classic BPF: Linux socket filters (1997) ----------------------------------------
class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_BpfInsn))]  # struct sock_filter == struct bpf_insn


def attach(sock: socket.socket, program: Sequence[Sequence[int]]) -> None:
    """Attach a classic program to a socket with SO_ATTACH_FILTER (the kernel checks it again)."""
    prog = validate(program)
    arr = (_BpfInsn * len(prog))(*[_BpfInsn(*i) for i in prog])
    fprog = _SockFprog(len(prog), ctypes.cast(arr, ctypes.POINTER(_BpfInsn)))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(fprog))
    except OSError as exc:
        raise BadProgram(_("the kernel refused the program: {reason}", reason=exc.strerror)) from None


class PacketSocket:
    """A packet socket on a lab host's eth0 with a classic program attached; a context manager (lab 01).

    ``frames()`` returns what the kernel let through: incoming frames only (replies the host sends
    pass the same tap and are skipped).
    """

    def __init__(self, net: Any, host: str, program: Sequence[Sequence[int]]) -> None:
        self.net, self.host, self.program = net, host, validate(program)
        self.sock: socket.socket | None = None

    def __enter__(self) -> PacketSocket:
        self.sock = self.net.call(self.host, self._open)
        return self

    def _open(self) -> socket.socket:
        # Protocol 0 receives nothing until bind(), and the filter is attached before that,
        # so no packet ever gets in unfiltered.
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            attach(s, self.program)
            s.bind((self.net[self.host].iface, 0x0003))  # ETH_P_ALL
        except BaseException:
            s.close()
            raise
        return s

    def frames(self, timeout: float = 0.2, limit: int = 100_000) -> list[bytes]:
        """Every frame received so far, waiting up to ``timeout`` seconds for the next one."""
        assert self.sock is not None, _("use `with PacketSocket(...) as ps:`")
        self.sock.settimeout(timeout)
        out: list[bytes] = []
        while len(out) < limit:
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, BlockingIOError):
                break
            if addr[2] != socket.PACKET_OUTGOING:
                out.append(data)
        return out

    def __exit__(self, *exc: object) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
