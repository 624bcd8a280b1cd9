# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Seeded random classic BPF programs and frames for the differential tests of ebpflab.cbpf (lab 01)."""

from __future__ import annotations

import random

from ebpflab import cbpf
from ebpflab.cbpf import Insn

CODES = sorted(cbpf.CODES)
# Offsets where the machines may differ: the packet's edges, 2**31 and up, the kernel's special areas.
SPECIAL_K = [
    0,
    1,
    2,
    3,
    12,
    13,
    14,
    23,
    31,
    32,
    33,
    59,
    60,
    63,
    64,
    99,
    100,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    0xFFFFFFFE,
    0xFFFFFFFC,
    cbpf.SKF_NET_OFF,
    cbpf.SKF_LL_OFF,
    cbpf.SKF_AD_OFF - 1,
]


def random_k(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.35:
        return rng.randrange(0, 80)
    if r < 0.6:
        return rng.choice(SPECIAL_K)
    if r < 0.7:
        return cbpf.SKF_AD_OFF + rng.randrange(0, 72)  # ancillary fields, and a few it does not know
    if r < 0.8:
        return rng.choice([cbpf.SKF_NET_OFF, cbpf.SKF_LL_OFF]) + rng.randrange(0, 48)
    if r < 0.9:
        return (1 << 32) - rng.randrange(1, 80)  # small negative numbers: with X they wrap around
    return rng.randrange(0, 1 << 32)


def random_program(rng: random.Random) -> list[Insn]:
    """A short program: mostly opcodes the kernel knows, with k at the edges; sometimes malformed."""
    n = rng.randint(1, 10)
    prog = []
    for pc in range(n):
        r = rng.random()
        if r < 0.9:
            code = rng.choice(CODES)
        elif r < 0.95:
            code = rng.choice(CODES) | (1 << rng.randrange(3, 16))  # one stray bit
        else:
            code = rng.randrange(0, 1 << 16)
        k = random_k(rng)
        if code & 0x07 in (cbpf.ST, cbpf.STX) or code & 0xE0 == cbpf.MEM:
            k = rng.randrange(0, 17)
        elif code in (cbpf.ALU | cbpf.LSH, cbpf.ALU | cbpf.RSH):
            k = rng.randrange(0, 34)
        elif code == cbpf.JMP | cbpf.JA:
            k = rng.randrange(0, n - pc + 1)
        jt, jf = rng.randrange(0, n - pc + 1), rng.randrange(0, n - pc + 1)
        prog.append(Insn(code, jt, jf, k))
    if rng.random() < 0.95:  # usually end with a ret
        ret = rng.choice(
            [Insn(cbpf.RET | cbpf.A_SRC, 0, 0, 0), Insn(cbpf.RET | cbpf.K, 0, 0, rng.choice([0, 1, 9, 64, 0xFFFFFFFF]))]
        )
        prog[-1] = ret
    return prog


def random_frames(rng: random.Random, src_mac: bytes, dst_mac: bytes, count: int = 6) -> list[bytes]:
    """Frames of a local experimental EtherType (0x88b5) with random bytes, 14 to 120 bytes long."""
    lengths = [14, 15, 18, 34, 60, 120][:count]
    return [dst_mac + src_mac + b"\x88\xb5" + rng.randbytes(n - 14) for n in lengths]


def is_valid(prog: list[Insn]) -> bool:
    try:
        cbpf.validate(prog)
        return True
    except cbpf.BadProgram:
        return False
