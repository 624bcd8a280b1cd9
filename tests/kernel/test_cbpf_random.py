# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 01, on the kernel: random programs are accepted by cbpf.validate exactly when the kernel's
bpf_check_classic accepts them (SO_ATTACH_FILTER), and cbpf.interpret(..., semantics="kernel") keeps
what a packet socket in the lab network keeps, byte for byte."""

from __future__ import annotations

import os
import random
import socket
import time

from cbpf_random import is_valid, random_frames, random_program

from ebpflab import cbpf, traffic

SEED, PROGRAMS, RUN_PROGRAMS = 20261202, 2500, 240
BROADCAST = b"\xff" * 6


def kernel_accepts(sock: socket.socket, prog) -> bool:
    """Our own check skipped: does the kernel take the program?"""
    arr = (cbpf._BpfInsn * len(prog))(*[cbpf._BpfInsn(*i) for i in prog])
    fprog = cbpf._SockFprog(len(prog), cbpf.ctypes.cast(arr, cbpf.ctypes.POINTER(cbpf._BpfInsn)))
    try:
        sock.setsockopt(socket.SOL_SOCKET, cbpf.SO_ATTACH_FILTER, bytes(fprog))
        return True
    except OSError:
        return False


def runs_in_kernel_semantics(prog, frames) -> bool:
    try:
        [cbpf.interpret(prog, f, semantics="kernel") for f in frames]
        return True
    except cbpf.LabError:  # an ancillary field: socket-buffer metadata the interpreter cannot know
        return False


def test_validate_accepts_exactly_what_the_kernel_accepts(net):
    rng = random.Random(SEED)
    sock = net.call("server", socket.socket, socket.AF_PACKET, socket.SOCK_RAW, 0)  # never bound: receives nothing
    valid = 0
    try:
        for _ in range(PROGRAMS):
            prog = random_program(rng)
            ours = is_valid(prog)
            assert ours == kernel_accepts(sock, prog), f"cbpf.validate says {ours}, the kernel the opposite: {prog}"
            valid += ours
    finally:
        sock.close()
    print(f"validate vs kernel: {PROGRAMS} programs, {valid} accepted by both, the rest refused by both")
    assert valid > PROGRAMS // 10


def test_random_programs_keep_what_the_kernel_keeps(net):
    rng = random.Random(SEED + 1)
    src, dst = bytes.fromhex(net["client"].mac.replace(":", "")), bytes.fromhex(net["server"].mac.replace(":", ""))
    frames = [f for f in cbpf.sample_packets().values() if cbpf.kernel_view(f) == f]
    frames = [dst + src + f[12:] for f in frames] + random_frames(rng, src, dst)
    # The sentinel goes to the broadcast address, so its first byte (0xff) tells it from a frame cut short.
    sentinel = BROADCAST + src + b"\x88\xb6" + b"sentinel"
    programs = []
    while len(programs) < RUN_PROGRAMS:
        prog = random_program(rng)
        if (
            is_valid(prog)
            and runs_in_kernel_semantics(prog, frames)
            and any(cbpf.interpret(prog, f, semantics="kernel") for f in frames)
        ):
            programs.append(prog)
    sender = net.call("client", traffic._raw_socket, "eth0")
    old_cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(old_cpus)})  # one CPU: frames are judged in the order they are sent
    start, compared, kept = time.monotonic(), 0, 0
    try:
        with cbpf.PacketSocket(net, "server", cbpf.compile("ether proto 0x88b6")) as end:
            for batch in range(0, len(programs), 80):
                progs = programs[batch : batch + 80]
                socks = [cbpf.PacketSocket(net, "server", p).__enter__() for p in progs]
                try:
                    for f in frames:
                        sender.send(f)
                        sender.send(sentinel)
                        assert end.frames(timeout=5, limit=1) == [sentinel]
                        for p, ps in zip(progs, socks):
                            got = [d for d in ps.frames(timeout=0) if d[:1] != b"\xff"]
                            want = min(cbpf.interpret(p, f, semantics="kernel"), len(f))
                            assert [len(d) for d in got] == ([want] if want else []), (
                                f"{p} on {f.hex()}: kernel kept {[len(d) for d in got]}, interpreter {want}"
                            )
                            assert all(d == f[: len(d)] for d in got)
                            compared += 1
                            kept += bool(want)
                finally:
                    for ps in socks:
                        ps.__exit__(None, None, None)
    finally:
        os.sched_setaffinity(0, old_cpus)
        sender.close()
    print(f"run vs kernel: {len(programs)} programs x {len(frames)} frames = {compared} runs ({kept} kept), all agree")
    assert time.monotonic() - start < 90
