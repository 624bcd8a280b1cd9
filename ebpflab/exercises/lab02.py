# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 02's exercises: XDP programs in C, a size limit and a port that is dropped and counted (lab 02)."""

from __future__ import annotations

import contextlib
import random

from .. import check, traffic
from ..errors import CheckFailed
from ..loader import Program
from ..messages import _
from ..netlab import LabNet

LAB = "02_first_xdp"
HEADERS = 14 + 20 + 8  # Ethernet, IPv4 and UDP headers in front of a datagram's payload


def _c_text(answer: object, name: str, func: str) -> str:
    """The learner's C program, or one sentence saying what is expected."""
    if not isinstance(answer, str):
        raise CheckFailed(
            _('{name} is the C program as text (r""" ... """), not {type}', name=name, type=type(answer).__name__)
        )
    if f"{func}(" not in answer:
        raise CheckFailed(_("{name} should define the function {func}() the check attaches", name=name, func=func))
    return answer


# Once every datagram a right answer passes has arrived, a wrong answer's extra ones are queued at the
# socket already (a veth delivers in order): its reader counts them within this time.
EXTRA = 0.3


@check.exercise(LAB, "size-limit")
def size_limit(answer: str) -> None:
    """Check xdp_size_limit with a random MAX_LEN: frames up to it, at it and past it, counted by a real UDP socket."""
    text = _c_text(answer, "SIZE_LIMIT_C", "xdp_size_limit")
    rng = random.Random()
    max_len = rng.choice([n for n in range(90, 400) if n != 100])  # 100: the old check's fixed value
    port = rng.randint(1024, 65535)
    lengths = [60, max_len - rng.randint(2, 30), max_len - 1, max_len, max_len + 1, max_len + rng.randint(2, 300)]
    with LabNet() as net, Program(text, defines={"MAX_LEN": max_len}) as prog:
        frames = [traffic.udp(net, "client", "server", dport=port, payload=b"x" * (n - HEADERS)) for n in lengths * 5]
        rng.shuffle(frames)
        passed = [len(f) for f in frames if len(f) <= max_len]
        with prog.xdp(net["server"], func="xdp_size_limit"), traffic.UdpSink(net, "server", port=port) as sink:
            traffic.send(net, "client", frames)
            check.until(lambda: sink.datagrams >= len(passed))
            sink.settle(EXTRA)
    want = (len(passed), sum(n - HEADERS for n in passed))
    check.that(
        (sink.datagrams, sink.bytes) == want,
        _(
            "MAX_LEN={max_len}: the server received the {count} datagrams of at most {max_len} bytes of frame, "
            "and none longer",
            max_len=max_len,
            count=want[0],
        ),
        _(
            "with MAX_LEN={max_len}, {sent} frames of {lengths} bytes were sent; the server received {datagrams} "
            "datagrams ({bytes} bytes of payload), it should receive the {count} frames of at most {max_len} bytes "
            "({payload} bytes of payload)",
            max_len=max_len,
            sent=len(frames),
            lengths=sorted(set(lengths)),
            datagrams=sink.datagrams,
            bytes=sink.bytes,
            count=want[0],
            payload=want[1],
        ),
    )


@check.exercise(LAB, "drop-port")
def drop_port(answer: str) -> None:
    """Check xdp_drop_port with a random PORT: UDP to it dropped and counted, other traffic passed, judged by sockets."""
    text = _c_text(answer, "DROP_PORT_C", "xdp_drop_port")
    rng = random.Random()
    port = rng.randint(1025, 65000)
    others = [port - 1, port + 1, rng.choice([p for p in range(1024, 65535) if abs(p - port) > 1])]
    with contextlib.ExitStack() as stack:
        net = stack.enter_context(LabNet())
        prog = stack.enter_context(Program(text, defines={"PORT": port}))
        frames = [
            traffic.udp(net, "client", "server", dport=port, sport=rng.randint(1024, 65535))
            for _ in range(rng.randint(10, 30))
        ]
        dropped = len(frames)
        sent = {p: rng.randint(5, 15) for p in others}
        for p, n in sent.items():  # to the last port from source port PORT: the destination is what counts
            sport = port if p == others[-1] else rng.randint(1024, 65535)
            frames += [traffic.udp(net, "client", "server", dport=p, sport=sport) for _ in range(n)]
        # TCP to PORT is not UDP: passed, and not counted (the server answers with a reset)
        frames += [traffic.tcp_syn(net, "client", "server", dport=port, sport=40000 + i) for i in range(3)]
        rng.shuffle(frames)
        stack.enter_context(prog.xdp(net["server"], func="xdp_drop_port"))
        target = stack.enter_context(traffic.UdpSink(net, "server", port=port))
        sinks = {p: stack.enter_context(traffic.UdpSink(net, "server", port=p)) for p in others}
        counts = prog["dropped"]
        traffic.send(net, "client", frames)
        check.until(lambda: counts[0].value >= dropped and all(sinks[p].datagrams >= n for p, n in sent.items()))
        target.settle(EXTRA)
        counted = counts[0].value
    received = {p: s.datagrams for p, s in sinks.items()}
    if received != sent:
        raise CheckFailed(
            _(
                "PORT={port}: the server's sockets on other ports received {received} datagrams of {sent} sent: "
                "pass everything that is not UDP to PORT",
                port=port,
                received=received,
                sent=sent,
            )
        )
    if target.datagrams:
        raise CheckFailed(
            _(
                "PORT={port}: the server's socket on port {port} received {received} of {dropped} datagrams: "
                "drop them (return XDP_DROP)",
                port=port,
                received=target.datagrams,
                dropped=dropped,
            )
        )
    check.that(
        counted == dropped,
        _(
            "PORT={port}: {dropped} datagrams dropped and counted in dropped[0], {others} to other ports "
            "and 3 TCP segments to the same port passed",
            port=port,
            dropped=dropped,
            others=sum(sent.values()),
        ),
        _(
            "PORT={port}: dropped[0] says {counted}, but {dropped} UDP datagrams to port {port} were sent: "
            "add 1 to slot 0 for each datagram you drop, and only for those",
            port=port,
            counted=counted,
            dropped=dropped,
        ),
    )
