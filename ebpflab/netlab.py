# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The lab network: network namespaces joined by veth pairs, safe by construction (lab 00).

Every lab sends its packets here and nowhere else:
- each host is a network namespace named ``ebl-<pid>_<start>-<n>-<host>`` (the process id and its
  start time let ``ebpflab cleanup`` tell leftovers of a dead process from a lab that is still
  running, even once the pid is reused);
- addresses come only from 198.18.0.0/15 (RFC 2544, reserved for test labs);
- no namespace has a default route, and nothing is added to the root namespace;
- IPv6 is off and neighbours are static, so the only packets on the wire are the ones a lab sends
  (exact counts in check cells depend on it).
"""

from __future__ import annotations

import atexit
import ctypes
import ipaddress
import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from . import system
from .errors import LabError
from .messages import _
from .system import LIBC, ljust, require_root

PREFIX = "ebl"
NAMESPACE = re.compile(rf"^{PREFIX}-(\d+(?:_\d+)?)-")  # ebl-<owner tag>-…: the tag is system.owner_tag()
HOST_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,14}")  # it ends up in namespace names: no spaces, no slashes
LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
CLONE_NEWNET = 0x40000000
_live: set[LabNet] = set()


def owner_of(ns: str) -> str | None:
    """The owner tag (``<pid>_<start>``) in the name of a namespace the kit made; None for any other name."""
    m = NAMESPACE.match(ns)
    return m.group(1) if m else None


def check_lab_address(addr: str) -> str:
    """Return ``addr`` if it lies in 198.18.0.0/15, else raise LabError (lab 00)."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        raise LabError(_("{addr!r} is not an IPv4 address", addr=addr)) from None
    if ip not in LAB_RANGE:
        raise LabError(
            _("{addr} is outside the lab range 198.18.0.0/15: lab traffic never uses other addresses", addr=addr)
        )
    return addr


def ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run one iproute2 command (in ``netns`` when given) and raise LabError with its message on failure."""
    cmd = ["ip"] + (["-n", netns] if netns else []) + list(args)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise LabError(_("`{command}` failed: {stderr}", command=" ".join(cmd), stderr=res.stderr.strip()))
    return res


def link_info(iface: str, netns: str | None = None) -> dict:
    """`ip -j -d link show` for one interface (its XDP programs included); LabError naming it when it does not exist."""
    if netns and not os.path.exists(f"/run/netns/{netns}"):
        raise LabError(_("network namespace {netns!r} does not exist", netns=netns))
    res = ip("-j", "-d", "link", "show", "dev", iface, netns=netns, check=False)
    if res.returncode != 0 or not res.stdout.strip():
        if netns:
            raise LabError(_("no interface named {iface!r} in namespace {netns}", iface=iface, netns=netns))
        raise LabError(_("no interface named {iface!r}", iface=iface))
    return json.loads(res.stdout)[0]


@contextmanager
def netns(name: str) -> Iterator[None]:
    """Run the body with this thread inside network namespace ``name`` (setns), then switch back."""
    path = f"/run/netns/{name}"
    if not os.path.exists(path):
        raise LabError(_("network namespace {name!r} does not exist (was the lab network closed?)", name=name))
    # setns only moves the calling thread, so other threads (and Jupyter) stay where they are.
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        if LIBC.setns(target, CLONE_NEWNET) != 0:
            raise LabError(
                _("cannot enter namespace {name}: {error}", name=name, error=os.strerror(ctypes.get_errno()))
            )
        try:
            yield
        finally:
            LIBC.setns(home, CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(home)


@dataclass(frozen=True)
class Host:
    """One lab host: a namespace with one interface ``eth0`` (lab 00)."""

    name: str
    netns: str
    ip: str
    mac: str
    iface: str = "eth0"

    @property
    def ifindex(self) -> int:
        """The interface index of ``eth0`` inside this host's namespace."""
        with netns(self.netns):
            return socket_if_nametoindex(self.iface)


def socket_if_nametoindex(name: str) -> int:
    """if_nametoindex in the current thread's namespace, with a LabError for a wrong name."""
    import socket

    try:
        return socket.if_nametoindex(name)
    except OSError:
        raise LabError(_("no interface named {name!r} here", name=name)) from None


class LabNet:
    """A lab network of namespaces joined by veth pairs; a context manager (lab 00).

    Two hosts are joined by one veth pair; three or more hang off a bridge in a switch namespace.
    ``with LabNet() as net:`` builds it; leaving the block (normally, by an exception or by
    Ctrl-C) kills what runs inside and deletes every namespace.
    """

    def __init__(self, hosts: Sequence[str] = ("client", "server"), subnet: str = "198.18.0.0/24") -> None:
        if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
            raise LabError(_("hosts is a list of host names, e.g. ['client', 'server'], not {hosts!r}", hosts=hosts))
        bad = [h for h in hosts if not isinstance(h, str) or not HOST_NAME.fullmatch(h)]
        if bad:
            raise LabError(
                _(
                    "host name {name!r} is not allowed: use 1 to 15 characters a-z, 0-9 and '-', "
                    "starting with a letter or digit",
                    name=bad[0],
                )
            )
        if not isinstance(subnet, str):
            raise LabError(
                _("subnet is an IPv4 prefix in 198.18.0.0/15 such as '198.18.0.0/24', not {subnet!r}", subnet=subnet)
            )
        try:
            net = ipaddress.ip_network(subnet)
        except ValueError:
            raise LabError(
                _(
                    "subnet {subnet!r} is not an IPv4 prefix such as '198.18.0.0/24' (host bits must be 0)",
                    subnet=subnet,
                )
            ) from None
        if not isinstance(net, ipaddress.IPv4Network) or not net.subnet_of(LAB_RANGE):
            raise LabError(_("subnet {subnet} is outside the lab range 198.18.0.0/15", subnet=subnet))
        if len(hosts) < 2 or len(set(hosts)) != len(hosts):
            raise LabError(_("a lab network needs two or more hosts with different names"))
        if len(hosts) > 2 and "sw" in hosts:
            raise LabError(_("host name 'sw' is taken by the switch of a network with three or more hosts"))
        if len(hosts) > min(net.num_addresses - 2, 250):
            raise LabError(_("subnet {subnet} is too small for {count} hosts", subnet=subnet, count=len(hosts)))
        self.subnet = net
        self.tag = f"{PREFIX}-{system.owner_tag()}-{next(_counter)}"
        addrs = list(net.hosts())
        self.hosts: dict[str, Host] = {
            h: Host(h, f"{self.tag}-{h}", str(addrs[i]), f"02:eb:00:00:00:{i + 1:02x}") for i, h in enumerate(hosts)
        }
        self.switch = f"{self.tag}-sw" if len(hosts) > 2 else None
        self._procs: list[subprocess.Popen] = []
        self._up = False

    # --- build and destroy -------------------------------------------------------------
    def __enter__(self) -> LabNet:
        require_root(_("building the lab network"))
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _build(self) -> None:
        self._up = True
        _live.add(self)
        for ns in self.namespaces:
            ip("netns", "add", ns)
            # No IPv6 (no router solicitations or MLD reports on the wire) and loopback up.
            self.run_ns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            ip("link", "set", "lo", "up", netns=ns)
        hosts = list(self.hosts.values())
        if self.switch is None:
            a, b = hosts
            ip(
                "link",
                "add",
                "eth0",
                "address",
                a.mac,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "address",
                b.mac,
                "netns",
                b.netns,
                netns=a.netns,
            )
        else:
            ip("link", "add", "br0", "type", "bridge", netns=self.switch)
            ip("link", "set", "br0", "up", netns=self.switch)
            for i, h in enumerate(hosts):
                port = f"p{i}"
                ip(
                    "link",
                    "add",
                    port,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "eth0",
                    "address",
                    h.mac,
                    "netns",
                    h.netns,
                    netns=self.switch,
                )
                ip("link", "set", port, "master", "br0", "up", netns=self.switch)
        for h in hosts:
            ip("addr", "add", f"{h.ip}/{self.subnet.prefixlen}", "dev", "eth0", netns=h.netns)
            ip("link", "set", "eth0", "up", netns=h.netns)
            for peer in hosts:  # static neighbours: no ARP on the wire unless a lab sends it
                if peer is not h:
                    ip(
                        "neigh",
                        "replace",
                        peer.ip,
                        "lladdr",
                        peer.mac,
                        "nud",
                        "permanent",
                        "dev",
                        "eth0",
                        netns=h.netns,
                    )
        self._wait_links_up()

    def _wait_links_up(self, limit: float = 10.0) -> None:
        """Wait (at most ``limit`` s) until every link reports UP: the kernel turns a veth's carrier on
        asynchronously, late on a busy machine, and a bridge drops what a port sends before that."""
        deadline = time.monotonic() + limit
        for ns in self.namespaces:
            while time.monotonic() < deadline:
                links = json.loads(ip("-j", "link", "show", netns=ns).stdout or "[]")
                if all(link.get("operstate") == "UP" for link in links if link.get("ifname") != "lo"):
                    break
                time.sleep(0.02)

    def close(self) -> None:
        """Stop what runs inside and delete every namespace; safe to call twice."""
        if not self._up:
            return
        old = _defer_sigint()
        try:
            for p in self._procs:
                stop_process(p)
            self._procs.clear()
            for ns in self.namespaces:
                kill_netns_pids(ns)
                ip("netns", "del", ns, check=False)
            self._up = False
            _live.discard(self)
        finally:
            _restore_sigint(old)

    # --- what is inside ---------------------------------------------------------------
    @property
    def namespaces(self) -> list[str]:
        """Every namespace of this lab network (hosts, then the switch if any)."""
        return [h.netns for h in self.hosts.values()] + ([self.switch] if self.switch else [])

    def __getitem__(self, name: str) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            raise LabError(
                _("no host named {name!r} in this lab network; hosts: {hosts}", name=name, hosts=", ".join(self.hosts))
            ) from None

    def describe(self) -> str:
        """A table of hosts, namespaces, interfaces and addresses."""
        rows = [
            " ".join(
                [
                    ljust(_("host"), 10),
                    ljust(_("namespace"), 24),
                    ljust(_("iface"), 6),
                    ljust(_("address"), 16),
                    _("mac"),
                ]
            )
        ]
        rows += [
            f"{h.name:<10} {h.netns:<24} {h.iface:<6} {h.ip + '/' + str(self.subnet.prefixlen):<16} {h.mac}"
            for h in self.hosts.values()
        ]
        if self.switch is None:
            links = _("links: one veth pair; no default route; IPv6 off; static neighbours")
        else:
            links = _(
                "links: veth pairs to bridge br0 in {switch}; no default route; IPv6 off; static neighbours",
                switch=self.switch,
            )
        return "\n".join(rows) + "\n" + links

    # --- running things inside -----------------------------------------------------------
    def run_ns(
        self, ns: str, *cmd: str, check: bool = True, timeout: float = 60, **kw: Any
    ) -> subprocess.CompletedProcess:
        """Run a command in namespace ``ns`` and wait (bounded by ``timeout`` seconds)."""
        res = subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, timeout=timeout, **kw)
        if check and res.returncode != 0:
            raise LabError(
                _(
                    "`{command}` in {ns} failed ({code}): {output}",
                    command=" ".join(cmd),
                    ns=ns,
                    code=res.returncode,
                    output=(res.stderr or res.stdout).strip(),
                )
            )
        return res

    def run(
        self, host: str, *cmd: str, check: bool = True, timeout: float = 60, **kw: Any
    ) -> subprocess.CompletedProcess:
        """Run a command on ``host`` and wait; raise LabError with its stderr if it fails."""
        return self.run_ns(self[host].netns, *cmd, check=check, timeout=timeout, **kw)

    def popen(self, host: str, *cmd: str, **kw: Any) -> subprocess.Popen:
        """Start a command on ``host`` in the background; it is stopped when the network closes."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        p = subprocess.Popen(["ip", "netns", "exec", self[host].netns, *cmd], **kw)
        self._procs.append(p)
        return p

    @contextmanager
    def inside(self, host: str) -> Iterator[Host]:
        """Run the body with this thread inside ``host``'s namespace (sockets made there stay there)."""
        h = self[host]
        with netns(h.netns):
            yield h

    def call(self, host: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Call ``fn`` in a worker thread inside ``host``'s namespace and return its result."""
        return call_in(self[host].netns, fn, *args, **kw)


def call_in(ns: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``fn`` in a fresh worker thread inside namespace ``ns``; its result or exception comes back."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            with netns(ns):
                out["value"] = fn(*args, **kw)
        except BaseException as exc:  # handed back to the caller's thread
            out["error"] = exc

    t = threading.Thread(target=work, name=f"ebpflab-{ns}")
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def kill_netns_pids(ns: str) -> None:
    """SIGKILL every process living in namespace ``ns``."""
    res = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    for pid in res.stdout.split():
        if int(pid) != os.getpid():
            with suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def stop_process(p: subprocess.Popen, grace: float = 2) -> None:
    """SIGTERM ``p``, and SIGKILL it if it has not ended within ``grace`` seconds."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _defer_sigint() -> Any:
    """Ignore Ctrl-C while tearing down, so a second Ctrl-C cannot leave half a network."""
    if threading.current_thread() is threading.main_thread():
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    return None


def _restore_sigint(old: Any) -> None:
    if old is not None:
        signal.signal(signal.SIGINT, old)


_counter = itertools.count(1)


@atexit.register
def _close_all() -> None:
    for net in list(_live):
        net.close()
