# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 01, pure (no root, no kernel): random programs through cbpf agree with libpcap's own
bpf_validate and bpf_filter, and nothing a program can hold makes cbpf or libpcap fail."""

from __future__ import annotations

import random
import time

from cbpf_random import is_valid, random_frames, random_program

from ebpflab import cbpf

SEED, PROGRAMS = 20261201, 3000


def libpcap_accepts(prog) -> bool:
    lib = cbpf._libpcap()
    arr = (cbpf._BpfInsn * len(prog))(*[cbpf._BpfInsn(*i) for i in prog])
    return lib.bpf_validate(arr, len(prog)) == 1  # only reads the program: safe on any input


def test_random_programs_agree_with_libpcap():
    rng = random.Random(SEED)
    frames = [f for f in cbpf.sample_packets().values()] + random_frames(
        rng, b"\x02\xeb\0\0\0\x02", b"\x02\xeb\0\0\0\x01"
    )
    start = time.monotonic()
    valid = runs = 0
    for _ in range(PROGRAMS):
        prog = random_program(rng)
        ours = is_valid(prog)
        if ours:
            assert libpcap_accepts(prog), f"cbpf accepts what libpcap's bpf_validate refuses: {prog}"
            valid += 1
            for f in frames:
                assert cbpf.interpret(prog, f) == cbpf.libpcap_run(prog, f), f"{prog} on {f.hex()}"
                runs += 1
    print(f"cbpf vs libpcap: {PROGRAMS} programs, {valid} valid, {runs} runs, all agree")
    assert valid > PROGRAMS // 10, "too few valid programs for the agreement to mean much"
    assert time.monotonic() - start < 60


def test_the_program_that_aborted_libpcap_is_refused():
    # validate used to ignore bits 8-15 of LD/LDX opcodes; libpcap's bpf_filter then hit abort().
    prog = [(0x5501, 0, 0, 0), (6, 0, 0, 1)]
    for call in (cbpf.validate, lambda p: cbpf.libpcap_run(p, b"\0" * 20), lambda p: cbpf.interpret(p, b"\0" * 20)):
        try:
            call(prog)
        except cbpf.BadProgram as exc:
            assert "unknown opcode" in str(exc)
        else:
            raise AssertionError("a program with opcode 0x5501 must be refused")
    assert "unimp" in cbpf.disassemble(prog).splitlines()[0]


def test_where_libpcap_and_the_kernel_differ_run_follows_the_one_asked():
    frame = bytes(range(64))
    ind_wraps = [
        (cbpf.LDX | cbpf.IMM, 0, 0, 2),
        (cbpf.LD | cbpf.B | cbpf.IND, 0, 0, 0xFFFFFFFF),
        (cbpf.RET | cbpf.A_SRC, 0, 0, 0),
    ]
    assert cbpf.interpret(ind_wraps, frame) == 0 == cbpf.libpcap_run(ind_wraps, frame)  # X + k past 2**32 rejects
    assert cbpf.interpret(ind_wraps, frame, semantics="kernel") == 1  # 2 + (-1) = byte 1
    shift = [
        (cbpf.LDX | cbpf.IMM, 0, 0, 33),
        (cbpf.LD | cbpf.IMM, 0, 0, 1),
        (cbpf.ALU | cbpf.LSH | cbpf.X, 0, 0, 0),
        (cbpf.RET | cbpf.A_SRC, 0, 0, 0),
    ]
    assert cbpf.interpret(shift, frame) == 0 == cbpf.libpcap_run(shift, frame)
    assert cbpf.interpret(shift, frame, semantics="kernel") == 2
    net = [(cbpf.LD | cbpf.B | cbpf.ABS, 0, 0, cbpf.SKF_NET_OFF + 1), (cbpf.RET | cbpf.A_SRC, 0, 0, 0)]
    assert cbpf.interpret(net, frame) == 0 and cbpf.interpret(net, frame, semantics="kernel") == 15
    anc = [(cbpf.LD | cbpf.W | cbpf.ABS, 0, 0, cbpf.SKF_AD_OFF + 8), (cbpf.RET | cbpf.A_SRC, 0, 0, 0)]
    assert cbpf.interpret(anc, frame) == 0
    try:
        cbpf.interpret(anc, frame, semantics="kernel")
    except cbpf.LabError as exc:
        assert "ifindex" in str(exc)
    else:
        raise AssertionError("an ancillary load cannot be emulated: say so")


def test_what_the_kernel_refuses_is_refused():
    ret = (cbpf.RET | cbpf.K, 0, 0, 1)
    for prog, why in [
        ([(cbpf.LD | cbpf.W | cbpf.ABS, 0, 0, cbpf.SKF_AD_OFF + 64), ret], "ancillary"),
        ([(cbpf.LD | cbpf.W | cbpf.ABS, 0, 0, 0xFFFFFFFF), ret], "ancillary"),
        ([(cbpf.RET | cbpf.K, 0, 0, 0), (cbpf.LD | cbpf.MEM, 0, 0, 3), ret], "M[3]"),  # dead code after ret
        ([(cbpf.RET | cbpf.K | 0x100, 0, 0, 0)], "unknown opcode"),
        ([(cbpf.LD | cbpf.H | cbpf.IMM, 0, 0, 0), ret], "unknown opcode"),
    ]:
        try:
            cbpf.validate(prog)
        except cbpf.BadProgram as exc:
            assert why in str(exc), (prog, str(exc))
        else:
            raise AssertionError(f"{prog} must be refused ({why})")
