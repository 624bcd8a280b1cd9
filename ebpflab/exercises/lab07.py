# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 07's exercises: a port rule, a source prefix, a per-source rate limit and an ICMP echo
responder, the last two in C (lab 07)."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from typing import Any

from .. import check, traffic
from ..errors import CheckFailed
from ..firewall import Firewall, Rule
from ..loader import Program
from ..messages import _
from ..netlab import LabNet

LAB = "07_firewall"
MAX_RULES = 16
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; root may go past rmem_max (Python has no name for it)
WAIT = 5.0  # seconds a check waits for packets it sent to be counted or answered (a busy machine is slow)


def _firewall_batch(fw: Firewall, net: LabNet, frame: Any, count: int) -> tuple[int, int]:
    """Send ``count`` copies of ``frame`` through the firewall; (dropped, passed) by it, once all are counted."""

    def counted() -> tuple[int, int]:
        return sum(fw.hits().values()), fw.passed()

    dropped0, passed0 = counted()
    traffic.send(net, "client", frame, count=count)
    deadline = time.monotonic() + WAIT
    while sum(counted()) - dropped0 - passed0 < count and time.monotonic() < deadline:
        time.sleep(0.01)
    dropped, passed = counted()
    return dropped - dropped0, passed - passed0


@check.exercise(LAB, "web")
def web(answer: Callable[[Firewall], Any]) -> None:
    """Check ``close_web(fw)`` on a fresh firewall: SYNs to TCP 80 dropped, UDP 80, TCP 8080 and DNS passed."""
    rng = random.Random()
    with LabNet() as net, Program("xdp_firewall", defines={"MAX_RULES": MAX_RULES}) as prog, prog.xdp(net["server"]):
        fw = Firewall(prog)
        rule = answer(fw)
        if rule is None:
            raise CheckFailed(
                _("close_web(fw) returned None: it is not filled in yet, or it forgets to return the rule")
            )
        if not isinstance(rule, Rule) or rule not in fw.rules:
            raise CheckFailed(
                _("close_web(fw) returned {rule!r:.60}; it should return the rule fw.block_port() added", rule=rule)
            )
        kinds = {
            _("TCP SYNs to port 80"): (traffic.tcp_syn(net, "client", "server", dport=80), True),
            _("UDP datagrams to port 80"): (traffic.udp(net, "client", "server", dport=80), False),
            _("TCP SYNs to port 8080"): (traffic.tcp_syn(net, "client", "server", dport=8080), False),
            _("DNS datagrams (UDP 53)"): (traffic.udp(net, "client", "server", dport=53), False),
        }
        for what, (frame, drop) in rng.sample(list(kinds.items()), len(kinds)):
            count = rng.randint(20, 60)
            dropped, passed = _firewall_batch(fw, net, frame, count)
            want = (count, 0) if drop else (0, count)
            if (dropped, passed) != want:
                fields = {"count": count, "what": what, "dropped": dropped, "passed": passed}
                raise CheckFailed(
                    _(
                        "of {count} {what}, the firewall dropped {dropped} and passed {passed}; it should drop them all",
                        **fields,
                    )
                    if drop
                    else _(
                        "of {count} {what}, the firewall dropped {dropped} and passed {passed}; it should pass them all",
                        **fields,
                    )
                )
        syns = fw.hits()[str(rule)]
    check.ok(_("the rule '{rule}' dropped the {syns} SYNs to TCP port 80 and nothing else", rule=rule, syns=syns))


@check.exercise(LAB, "prefix")
def prefix(answer: str) -> None:
    """Check ``bad_block``: a source rule with it drops 198.18.0.64 to .127 and passes every address around them."""
    if not isinstance(answer, str):
        raise CheckFailed(
            _("bad_block should be a string such as '198.18.0.0/24', not {type}", type=type(answer).__name__)
        )
    rng = random.Random()
    inside = ["198.18.0.64", "198.18.0.127", *(f"198.18.0.{n}" for n in rng.sample(range(65, 127), 4))]
    outside = ["198.18.0.1", "198.18.0.63", "198.18.0.128", "198.18.1.64", "198.19.0.100"]
    outside += [f"198.18.0.{n}" for n in rng.sample([*range(2, 63), *range(129, 255)], 4)]
    with LabNet() as net, Program("xdp_firewall", defines={"MAX_RULES": MAX_RULES}) as prog, prog.xdp(net["server"]):
        fw = Firewall(prog)
        fw.block_source(answer)  # a malformed prefix is a LabError: its sentence becomes the check's
        dropped = {
            addr
            for addr in rng.sample(inside + outside, len(inside) + len(outside))
            if _firewall_batch(fw, net, traffic.udp(net, "client", "server", src_ip=addr), 1)[0]
        }
    missed, extra = sorted(set(inside) - dropped), sorted(dropped - set(inside))
    fields = {"answer": answer, "missed": ", ".join(missed), "extra": ", ".join(extra)}
    check.that(
        not missed and not extra,
        _("{answer} drops 198.18.0.64 to 198.18.0.127 and passes the addresses around them", answer=answer),
        _(
            "a source rule for {answer!r} let through {missed} and dropped {extra}, which are not in 198.18.0.64-127",
            **fields,
        )
        if missed and extra
        else _("a source rule for {answer!r} let through {missed}", **fields)
        if missed
        else _("a source rule for {answer!r} dropped {extra}, which are not in 198.18.0.64-127", **fields),
    )


# --- C exercises: a per-source rate limit, an ICMP echo responder --------------------------------
class _UdpCounter:
    """A UDP socket on the server that holds every datagram the stack delivered, read after the traffic."""

    def __init__(self, net: LabNet) -> None:
        def make() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)  # all of it waits: nothing lost here
            s.bind(("0.0.0.0", 0))
            return s

        self.sock = net.call("server", make)
        self.port = self.sock.getsockname()[1]
        self.received: dict[str, int] = {}

    def until(self, source: str, seconds: float = WAIT) -> bool:
        """Read datagrams, counting each by its source address, until one from ``source`` arrives (or time is up)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                _, (addr, _) = self.sock.recvfrom(2048)
            except TimeoutError:
                break
            self.received[addr] = self.received.get(addr, 0) + 1
            if addr == source:
                return True
        return False

    def close(self) -> None:
        self.sock.close()


def _send_pinned(net: LabNet, frames: list[Any]) -> None:
    """Send each frame once, in order, from one CPU: a veth delivers on the sending CPU, so order is kept."""
    with traffic.background(net, "client", frames, count=len(frames), cpu=0) as flow:
        pass
    flow.wait()


@check.exercise(LAB, "ratelimit")
def ratelimit(answer: str) -> None:
    """Check ``xdp_ratelimit`` in ``answer`` (C text): each source passes LIMIT packets per window, then drops.

    Three spoofed sources send interleaved: one exactly LIMIT (loses nothing), two 2x and 5x over. An
    over-limit source passes at least LIMIT and at most LIMIT * (1 + D / window), D the measured time from
    the first packet sent to the last one counted (windows begun by a source's first packet and token buckets
    both fit), or LIMIT per window boundary crossed for windows aligned to multiples of WINDOW_MS since boot.
    After a whole window of silence the cut source passes LIMIT again.
    """
    if not isinstance(answer, str):
        raise CheckFailed(_("the answer is the C program as a string, not {type}", type=type(answer).__name__))
    rng = random.Random()
    limit, window_ms = rng.randint(12, 40), 1000
    hosts = rng.sample(range(100, 240), 5)
    ok_src, heavy, heavier, end1, end2 = (f"198.18.0.{n}" for n in hosts)
    with (
        LabNet() as net,
        Program(answer, defines={"LIMIT": limit, "WINDOW_MS": window_ms}) as prog,
        prog.xdp(net["server"], "xdp_ratelimit"),
    ):
        sink = _UdpCounter(net)
        try:

            def frame(src: str) -> bytes:
                return bytes(traffic.udp(net, "client", "server", dport=sink.port, src_ip=src))  # built once

            sent = {ok_src: limit, heavy: 2 * limit, heavier: 5 * limit}
            made = {src: frame(src) for src in sent}
            order = [src for src, n in sent.items() for _ in range(n)]
            rng.shuffle(order)
            first = [made[src] for src in order] + [frame(end1)]
            start = time.monotonic()
            _send_pinned(net, first)
            if not sink.until(end1):
                raise CheckFailed(
                    _(
                        "the server did not receive the first packet of a fresh source sent after the others: "
                        "does your program drop what it should pass?"
                    )
                )
            seconds = time.monotonic() - start
            got = {src: sink.received.get(src, 0) for src in sent}
            if got[ok_src] != limit:
                raise CheckFailed(
                    _(
                        "a source that sent exactly LIMIT={limit} packets got {got} through: "
                        "a source within its limit should lose nothing (is the limit per source address?)",
                        limit=limit,
                        got=got[ok_src],
                    )
                )
            window = window_ms / 1000
            # windows begun by a source's first packet fit in 1 + D/window, as does a token bucket's refill;
            # windows aligned to multiples of the window since boot (bpf_ktime_get_ns() is CLOCK_MONOTONIC, as
            # time.monotonic() is) may also be cut by each boundary the sending crossed
            crossed = int((start + seconds) // window) - int(start // window)
            high = max(int(limit * (1 + seconds / window)), limit * (1 + crossed))
            for src in (heavy, heavier):
                if not limit <= got[src] <= high:
                    raise CheckFailed(
                        _(
                            "a source that sent {sent} packets within {seconds:.2f} s got {got} through; "
                            "with LIMIT={limit} per {window_ms} ms it should get {limit} to {high}",
                            sent=sent[src],
                            seconds=seconds,
                            got=got[src],
                            limit=limit,
                            window_ms=window_ms,
                            high=high,
                        )
                    )
            time.sleep(window * 1.1)  # a whole window with no packet from anyone: every source may send again
            sink.received.clear()
            _send_pinned(net, [made[heavy]] * limit + [frame(end2)])
            if not sink.until(end2) or sink.received.get(heavy, 0) != limit:
                raise CheckFailed(
                    _(
                        "after a whole window of silence, a source cut earlier sent LIMIT={limit} packets and "
                        "{got} got through: its count should start again in a new window",
                        limit=limit,
                        got=sink.received.get(heavy, 0),
                    )
                )
        finally:
            sink.close()
    check.ok(
        _(
            "with LIMIT={limit} per {window_ms} ms: the source within its limit lost nothing, those over it got "
            "{heavy} and {heavier} through, and a new window let LIMIT through again",
            limit=limit,
            window_ms=window_ms,
            heavy=got[heavy],
            heavier=got[heavier],
        )
    )


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``: 0 when a header that carries its checksum is intact."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _capture(net: LabNet) -> socket.socket:
    """An AF_PACKET socket on the client's eth0 that sees every frame arriving there."""

    def make() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
        s.bind((net["client"].iface, 0))
        return s

    return net.call("client", make)


def _reply_fault(frame: bytes, request: dict[str, Any], net: LabNet) -> str | None:
    """What is wrong with ``frame`` as the echo reply to ``request``, or None if it is right."""
    client, server = net["client"], net["server"]
    if frame[0:6] != bytes.fromhex(client.mac.replace(":", "")) or frame[6:12] != bytes.fromhex(
        server.mac.replace(":", "")
    ):
        return _("its Ethernet addresses are not swapped (it should go from the server's MAC to the client's)")
    ip = frame[14 : 14 + (frame[14] & 0x0F) * 4]
    if socket.inet_ntoa(ip[12:16]) != server.ip or socket.inet_ntoa(ip[16:20]) != client.ip:
        return _("its IP addresses are not swapped (it should go from the server to the client)")
    if _checksum(ip):
        return _("its IP header checksum is wrong")
    icmp = frame[14 + len(ip) : 14 + int.from_bytes(ip[2:4], "big")]
    if icmp[0:2] != b"\0\0":
        return _("its ICMP type and code are {type} and {code}, not 0 and 0 (echo reply)", type=icmp[0], code=icmp[1])
    if _checksum(icmp):
        return _("its ICMP checksum is wrong (update it for the changed type)")
    if icmp[4:8] != request["ident"] or icmp[8:] != request["payload"]:
        return _("its identifier, sequence number or payload differ from the request's")
    return None


@check.exercise(LAB, "pong")
def pong(answer: str) -> None:
    """Check ``xdp_pong`` in ``answer`` (C text): echo requests of random sizes come back as valid echo replies.

    The server's kernel ignores echo requests (net.ipv4.icmp_echo_ignore_all=1), so only XDP can answer;
    UDP datagrams sent alongside must not come back.
    """
    if not isinstance(answer, str):
        raise CheckFailed(_("the answer is the C program as a string, not {type}", type=type(answer).__name__))
    from scapy.layers.inet import ICMP, IP

    rng = random.Random()
    with LabNet() as net, Program(answer) as prog, prog.xdp(net["server"], "xdp_pong"):
        net.run("server", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
        client, server = net["client"], net["server"]
        ident = rng.randint(1, 0xFFFF)
        requests = []
        for seq in range(1, 9):
            payload = rng.randbytes(rng.choice([0, 1, 7, 32, 33, 56, 101, 1000]))
            req = traffic.ether(net, "client", "server") / IP(src=client.ip, dst=server.ip)
            req /= ICMP(type=8, code=0, id=ident, seq=seq) / payload
            requests.append({"frame": bytes(req), "ident": bytes(req[ICMP])[4:8], "payload": payload})
        udp = traffic.udp(net, "client", "server", dport=rng.randint(20000, 30000))
        cap = _capture(net)
        try:
            # a UDP datagram before each request, from one CPU: one sent back arrives before the last reply
            _send_pinned(net, [f for r in requests for f in (udp, r["frame"])])
            answered: dict[bytes, str | None] = {}
            deadline = time.monotonic() + WAIT
            while len(answered) < len(requests) and (left := deadline - time.monotonic()) > 0:
                cap.settimeout(left)
                try:
                    frame, addr = cap.recvfrom(4096)
                except TimeoutError:
                    break
                if addr[2] == socket.PACKET_OUTGOING or frame[12:14] != b"\x08\x00":
                    continue
                proto, ihl = frame[23], (frame[14] & 0x0F) * 4
                if proto == 17:  # UDP back from the server: something other than an echo request was sent back
                    raise CheckFailed(_("a UDP datagram sent to the server came back: answer ICMP echo requests only"))
                if proto != 1 or len(frame) < 14 + ihl + 8 or frame[14 + ihl] == 3:  # type 3: port unreachable
                    continue
                key = frame[14 + ihl + 4 : 14 + ihl + 8]
                request = next((r for r in requests if r["ident"] == key), None)
                if request is not None and key not in answered:
                    answered[key] = _reply_fault(frame, request, net)
        finally:
            cap.close()
    if not answered:
        raise CheckFailed(_("none of {count} echo requests was answered: return XDP_TX for them", count=len(requests)))
    faults = [f for f in answered.values() if f]
    if faults:
        raise CheckFailed(
            _(
                "{wrong} of {count} replies are wrong: the first one: {fault}",
                wrong=len(faults),
                count=len(answered),
                fault=faults[0],
            )
        )
    check.that(
        len(answered) == len(requests),
        _(
            "all {count} echo requests (payloads of 0 to 1000 bytes) came back as valid echo replies",
            count=len(requests),
        ),
        _(
            "{missing} of {count} echo requests got no reply",
            missing=len(requests) - len(answered),
            count=len(requests),
        ),
    )
