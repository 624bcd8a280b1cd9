# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Bounded traffic inside the lab network: scapy builds the packets, a raw socket sends them (lab 00).

Every sender here stops by itself: it is bounded both in packets (``count``) and in time
(``duration``, at most ``MAX_SECONDS``). Packets leave through an AF_PACKET socket made inside a
lab namespace, so they can only reach the lab's own veth; IPv4 addresses are checked against
198.18.0.0/15 before anything is sent.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import LabError
from .frames import l3
from .messages import _
from .netlab import LabNet, check_lab_address

MAX_SECONDS = 60.0
MAX_PACKETS = 10_000_000


@dataclass
class Sent:
    """What a sender did: packets, bytes and seconds."""

    packets: int = 0
    bytes: int = 0
    seconds: float = 0.0
    per_frame: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Packets per second actually achieved."""
        return self.packets / self.seconds if self.seconds > 0 else 0.0


def _bytes(frame: object) -> bytes:
    if frame is None or isinstance(frame, (str, int, float)):
        raise LabError(
            _(
                "a frame is bytes or a scapy packet (e.g. traffic.udp(net, 'client', 'server')), not {frame!r:.40}",
                frame=frame,
            )
        )
    try:
        data = bytes(frame)  # type: ignore[call-overload]  # scapy packets and raw bytes alike
    except (TypeError, ValueError):
        raise LabError(_("a frame is bytes or a scapy packet, not {type}", type=type(frame).__name__)) from None
    if not 14 <= len(data) <= 65535:
        raise LabError(_("a frame is 14 to 65535 bytes long (an Ethernet header at least), not {size}", size=len(data)))
    _check_addresses(data)
    return data


def _is_number(value: object, lo: float, hi: float) -> bool:
    """Whether ``value`` is a real number with lo < value <= hi (NaN never is)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and lo < value <= hi


def _check_addresses(data: bytes) -> None:
    """Refuse an IPv4 packet whose addresses are outside the lab range (malformed frames pass)."""
    ethertype, off = l3(data)
    if ethertype == 0x0800 and len(data) >= off + 20:
        for a in (data[off + 12 : off + 16], data[off + 16 : off + 20]):
            check_lab_address(socket.inet_ntoa(a))


def ether(net: LabNet, src: str, dst: str) -> Any:
    """An Ethernet header from host ``src`` to host ``dst`` (scapy)."""
    from scapy.layers.l2 import Ether

    return Ether(src=net[src].mac, dst=net[dst].mac)


def _port(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise LabError(
            _("{name} must be a port number, an integer from 0 to 65535, not {value!r}", name=name, value=value)
        )
    return value


def udp(
    net: LabNet,
    src: str,
    dst: str,
    dport: int = 9,
    sport: int = 40000,
    payload: bytes = b"x" * 18,
    src_ip: str | None = None,
) -> Any:
    """A UDP datagram between two lab hosts (``src_ip`` may spoof another lab address)."""
    from scapy.layers.inet import IP, UDP

    _port("dport", dport), _port("sport", sport)
    if not isinstance(payload, (bytes, bytearray)):
        raise LabError(_("payload must be bytes, e.g. b'hello', not {type}", type=type(payload).__name__))
    return (
        ether(net, src, dst)
        / IP(src=check_lab_address(src_ip or net[src].ip), dst=net[dst].ip)
        / UDP(sport=sport, dport=dport)
        / payload
    )


def tcp_syn(net: LabNet, src: str, dst: str, dport: int = 80, sport: int = 40000, src_ip: str | None = None) -> Any:
    """A TCP SYN between two lab hosts."""
    from scapy.layers.inet import IP, TCP

    _port("dport", dport), _port("sport", sport)
    return (
        ether(net, src, dst)
        / IP(src=check_lab_address(src_ip or net[src].ip), dst=net[dst].ip)
        / TCP(sport=sport, dport=dport, flags="S", seq=1000)
    )


def icmp_echo(net: LabNet, src: str, dst: str, seq: int = 1) -> Any:
    """An ICMP echo request between two lab hosts."""
    from scapy.layers.inet import ICMP, IP

    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 65535:
        raise LabError(_("seq must be an integer from 0 to 65535, not {seq!r}", seq=seq))
    return ether(net, src, dst) / IP(src=net[src].ip, dst=net[dst].ip) / ICMP(id=0xEB, seq=seq) / (b"\0" * 32)


def send(
    net: LabNet,
    host: str,
    frames: object | Sequence[object],
    *,
    count: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    progress: bool | None = None,
    stop: threading.Event | None = None,
) -> Sent:
    """Send ``frames`` (cycled) from ``host``'s eth0: ``count`` packets at most ``rate``/s, within ``duration`` s."""
    if not isinstance(frames, (list, tuple)):
        frames = [frames]
    if not frames:
        raise LabError(_("nothing to send: the frame list is empty"))
    data = [_bytes(f) for f in frames]
    if count is None and duration is None:
        count = len(data)
    count = MAX_PACKETS if count is None else count
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_PACKETS:
        raise LabError(
            _("count must be a whole number of packets from 0 to {max}, not {count!r}", max=MAX_PACKETS, count=count)
        )
    if duration is not None and not _is_number(duration, -1e-300, float("inf")):  # NaN must not slip past the bound
        raise LabError(
            _(
                "duration must be a number of seconds, 0 or more (at most {max:g} are used), not {value!r}",
                max=MAX_SECONDS,
                value=duration,
            )
        )
    limit = min(duration if duration is not None else MAX_SECONDS, MAX_SECONDS)
    if rate is not None and not _is_number(rate, 0, 1e9):
        raise LabError(
            _(
                "rate must be a positive number of packets per second (or None: as fast as possible), not {value!r}",
                value=rate,
            )
        )
    sock = net.call(host, _raw_socket, net[host].iface)
    show = _Progress(limit) if (progress or (progress is None and (duration or 0) > 3)) else None
    try:
        return _send_loop(sock, data, count, rate, limit, show, stop)
    finally:
        sock.close()
        if show:
            show.done()


def _raw_socket(iface: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    try:
        s.bind((iface, 0))
    except OSError as exc:
        s.close()
        raise LabError(_("cannot send on {iface!r}: {error}", iface=iface, error=exc.strerror)) from None
    return s


def _send_loop(
    sock: socket.socket,
    data: list[bytes],
    count: int,
    rate: float | None,
    limit: float,
    show: _Progress | None,
    stop: threading.Event | None = None,
) -> Sent:
    sent = Sent(per_frame=[0] * len(data))
    start = time.perf_counter()
    deadline = start + limit
    n = len(data)
    batch = 1 if rate is None else max(1, int(rate / 1000))  # check the clock about every millisecond
    i = 0
    while i < count:
        now = time.perf_counter()
        if now >= deadline or (stop is not None and stop.is_set()):
            break
        if rate is not None:
            due = start + i / rate
            if due > now:
                pause = min(due - now, deadline - now)
                if stop is not None:
                    stop.wait(pause)  # a stop (Ctrl-C in the caller) ends the pause at once
                else:
                    time.sleep(pause)
                continue
        for _frame in range(min(batch, count - i)):
            frame = data[i % n]
            try:
                sock.send(frame)
            except OSError as exc:
                if exc.errno == 105:  # ENOBUFS: the queue is full, retry shortly
                    time.sleep(0.0005)
                    break
                raise LabError(_("sending failed: {error}", error=exc.strerror)) from None
            sent.per_frame[i % n] += 1
            sent.bytes += len(frame)
            i += 1
        if show and i % 4096 == 0:
            show.update(time.perf_counter() - start, i)
    sent.packets = i
    sent.seconds = time.perf_counter() - start
    return sent


class Flow:
    """Traffic running in a background thread; a context manager that waits for it to end (lab 02).

    Leaving the block by an exception (Ctrl-C included) stops the sender at once instead.
    """

    def __init__(self, net: LabNet, host: str, frames: object, *, cpu: int | None = None, **kw: object) -> None:
        self.result: Sent | None = None
        self.error: BaseException | None = None
        self.cpu = cpu  # run the sender on this CPU only (lab 03: per-CPU maps); None lets the scheduler pick
        self._stop = threading.Event()
        kw.setdefault("progress", False)
        kw["stop"] = self._stop
        self._thread = threading.Thread(
            target=self._run, args=(net, host, frames), kwargs=kw, name="ebpflab-traffic", daemon=True
        )

    def _run(self, *args: object, **kw: object) -> None:
        try:
            if self.cpu is not None:  # a veth delivers on the sending CPU, so XDP runs there too
                os.sched_setaffinity(0, {self.cpu % (os.cpu_count() or 1)})  # 0: this thread only
            self.result = send(*args, **kw)  # type: ignore[arg-type]
        except BaseException as exc:
            self.error = exc

    @property
    def running(self) -> bool:
        """True while packets are still being sent."""
        return self._thread.is_alive()

    def wait(self) -> Sent:
        """Wait for the sender to finish and return what it sent."""
        self._thread.join()
        if self.error:
            raise self.error
        assert self.result is not None
        return self.result

    def __enter__(self) -> Flow:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sending now and wait for the sender thread (it ends within a millisecond or so)."""
        self._stop.set()
        self._thread.join()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:  # Ctrl-C or an error in the block: do not wait for the traffic to end
            self.stop()
            return
        try:
            while self._thread.is_alive():  # bounded: every sender stops within its duration
                self._thread.join(0.1)
        except KeyboardInterrupt:  # Ctrl-C while waiting
            self.stop()
            raise


@contextmanager
def background(net: LabNet, host: str, frames: object, **kw: Any) -> Iterator[Flow]:
    """Send in the background for the block (``with background(...) as flow:``)."""
    with Flow(net, host, frames, **kw) as flow:
        yield flow


class UdpSink:
    """A UDP socket on a lab host that counts the datagrams the stack delivers; a context manager (lab 02).

    What XDP dropped never reaches it, so it measures what a real application would receive.
    """

    def __init__(self, net: LabNet, host: str, port: int = 9) -> None:
        self.net, self.host, self.port = net, host, port
        self.datagrams = 0
        self.bytes = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> UdpSink:
        def make() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", self.port))
            s.settimeout(0.05)
            return s

        self._sock = self.net.call(self.host, make)
        self._thread = threading.Thread(target=self._loop, name="ebpflab-udp-sink", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        sock = self._sock
        assert sock is not None  # made before the thread starts
        while not self._stop.is_set():
            try:
                data = sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams += 1
            self.bytes += len(data)

    def settle(self, seconds: float = 0.2) -> UdpSink:
        """Wait briefly so datagrams still in flight are counted."""
        time.sleep(seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self._sock:
            self._sock.close()


def ping(net: LabNet, src: str, dst: str, count: int = 3, interval: float = 0.2, timeout: float = 1) -> int:
    """Ping ``dst`` from ``src`` with the real ping; return how many replies came back."""
    res = net.run(
        src,
        "ping",
        "-n",
        "-q",
        "-c",
        str(count),
        "-i",
        str(interval),
        "-W",
        str(timeout),
        net[dst].ip,
        check=False,
        timeout=count * (interval + timeout) + 5,
    )
    for line in res.stdout.splitlines():
        if "received" in line:
            return int(line.split(",")[1].split()[0])
    raise LabError(_("ping did not run: {output}", output=res.stderr.strip() or res.stdout.strip()))


class _Progress:
    """One line in the notebook (or terminal) that says how far a long sender got."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.handle = None
        self.last = 0.0
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                self.handle = display(_("sending…"), display_id=True)
        except ImportError:
            pass

    def update(self, elapsed: float, packets: int) -> None:
        if elapsed - self.last < 0.5:
            return
        self.last = elapsed
        text = _(
            "sending… {packets} packets in {elapsed:.1f} s (stops by {limit:.0f} s)",
            packets=packets,
            elapsed=elapsed,
            limit=self.limit,
        )
        if self.handle is not None:
            self.handle.update(text)

    def done(self) -> None:
        if self.handle is not None:
            self.handle.update(_("sending: done"))


def frames_from(packets: Iterable[object]) -> list[bytes]:
    """Turn scapy packets into bytes, checking addresses once (for reuse in a loop)."""
    return [_bytes(p) for p in packets]
