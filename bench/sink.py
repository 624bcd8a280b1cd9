# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The user-space drop of the drop benchmark: read UDP datagrams and throw them away (issue 10).

Run inside the server's namespace, pinned to the receiving core; prints one JSON line with the
datagrams it read and its own CPU time when ``--seconds`` have passed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time


def sink(port: int, seconds: float) -> dict:
    """Read and discard datagrams on ``port`` for ``seconds``; return how many and the CPU it took."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.1)
    buf = bytearray(2048)
    n = 0
    print("ready", flush=True)
    c0 = os.times()
    deadline = time.monotonic() + min(seconds, 30)
    while time.monotonic() < deadline:
        try:
            for _ in range(1000):  # check the clock every thousand datagrams
                s.recv_into(buf)
                n += 1
        except TimeoutError:
            pass
    c1 = os.times()
    return {"packets": n, "user": c1.user - c0.user, "system": c1.system - c0.system}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=9)
    p.add_argument("--seconds", type=float, default=3)
    a = p.parse_args()
    print(json.dumps(sink(a.port, a.seconds)), flush=True)
    sys.exit(0)
