# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""A fast, bounded packet source for the benchmarks: sendmmsg() on an AF_PACKET socket (issue 10).

One Python ``send()`` per packet costs ~2.5 µs of the sender's CPU, which hides the receiver's
cost; ``sendmmsg`` hands the kernel a batch of frames per system call, so the sender's own
overhead drops to what the kernel needs to build and transmit each frame. Run it inside a lab
namespace (``ip netns exec``); it prints one JSON line: packets, seconds, and its own CPU time.

    python -m bench.flood --iface eth0 --frame HEX --seconds 2 [--rate PPS] [--count N]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import socket
import sys
import time

from ebpflab.system import LIBC
from ebpflab.traffic import _check_addresses

SOL_PACKET, PACKET_QDISC_BYPASS = 263, 20
MAX_SECONDS = 30.0


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_void_p),
        ("namelen", ctypes.c_uint32),
        ("iov", ctypes.POINTER(IOVec)),
        ("iovlen", ctypes.c_size_t),
        ("control", ctypes.c_void_p),
        ("controllen", ctypes.c_size_t),
        ("flags", ctypes.c_int),
    ]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


def flood(
    iface: str, frame: bytes, seconds: float, rate: float | None = None, count: int | None = None, batch: int = 256
) -> dict:
    """Send ``frame`` on ``iface`` for ``seconds`` (at most ``rate``/s, at most ``count`` packets)."""
    _check_addresses(frame)
    seconds = min(seconds, MAX_SECONDS)
    count = count or 10**12
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)  # straight to the driver, like pktgen
    buf = ctypes.create_string_buffer(frame, len(frame))
    iov = IOVec(ctypes.addressof(buf), len(frame))
    msgs = (MMsgHdr * batch)()
    for m in msgs:
        m.hdr.iov = ctypes.pointer(iov)
        m.hdr.iovlen = 1
    if rate:  # small batches keep a paced flow smooth
        batch = max(1, min(batch, int(rate / 2000)))
    sent, errors = 0, 0
    t0 = time.perf_counter()
    c0 = os.times()
    deadline = t0 + seconds
    while sent < count:
        now = time.perf_counter()
        if now >= deadline:
            break
        if rate and sent > rate * (now - t0):
            time.sleep(min(batch / rate, deadline - now))
            continue
        n = LIBC.sendmmsg(sock.fileno(), msgs, min(batch, count - sent), 0)
        if n < 0:
            errors += 1  # ENOBUFS under pressure: back off a little
            time.sleep(0.0002)
            continue
        sent += n
    elapsed = time.perf_counter() - t0
    c1 = os.times()
    sock.close()
    return {
        "packets": sent,
        "seconds": elapsed,
        "user": c1.user - c0.user,
        "system": c1.system - c0.system,
        "errors": errors,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iface", default="eth0")
    p.add_argument("--frame", required=True, help="the frame as hex")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--rate", type=float)
    p.add_argument("--count", type=int)
    a = p.parse_args()
    print(json.dumps(flood(a.iface, bytes.fromhex(a.frame), a.seconds, a.rate, a.count)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
