# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 01: the classic BPF interpreter agrees with the kernel (SO_ATTACH_FILTER on a lab host's packet socket)."""

from __future__ import annotations

import socket
import time

import pytest
from cbpf_corpus import EVERY_INSTRUCTION, EXPRESSIONS, SENTINEL, corpus  # noqa: F401 (corpus: a fixture)

from ebpflab import cbpf, traffic
from ebpflab.cbpf import Insn


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
                traffic.send(net, "client", [*corpus, SENTINEL])
                assert end.frames(timeout=5, limit=1) == [SENTINEL]
                got = [f for f in ps.frames(timeout=0.05) if f != SENTINEL]
            arrived = {index[f] for f in got}
            expected = {i for i, f in enumerate(seen) if cbpf.interpret(prog, f)}
            assert len(got) == len(arrived), f"{expr!r}: a frame arrived twice"
            assert arrived == expected, f"{expr!r}: kernel kept {sorted(arrived)}, interpreter {sorted(expected)}"
            total += len(arrived)
    assert total > len(EXPRESSIONS) * 5, "too few packets arrived for the agreement to mean much"
    assert time.monotonic() - start < 30


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
    assert got == [f[: cbpf.interpret(prog, f)] for f in plain]


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
