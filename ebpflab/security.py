# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Runtime security in miniature: process events, an in-kernel filter, a kill policy (lab 10).

``ProcessMonitor`` loads ``bpf/sec_events.c`` (exec, exit, openat, TCP connect), collects its ring buffer
and sets its maps: ``deny()`` writes a policy entry the kernel enforces with ``bpf_send_signal``,
``watch()`` sets the default in-kernel filter, ``counts()`` reads generated vs delivered. ``WebApp``
is the lab's vulnerable web server in the ``server`` namespace; ``tree()`` draws a process tree.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import BPF_DIR, LABS_DIR, btf, maps
from .errors import LabError
from .loader import Program
from .messages import N_, _
from .netlab import LabNet

KINDS = {"exec": 1, "open": 2, "connect": 3, "exit": 4}
KIND_NAMES = {v: k for k, v in KINDS.items()}
ACTIONS = {"log": 1, "kill": 2}
ACTION_NAMES = {0: "", 1: "logged", 2: "killed"}
# how tree() marks an exec the policy acted on, one sentence per action
ACTION_MARKS = {"logged": N_("✘ logged (rule {rule})"), "killed": N_("✘ killed (rule {rule})")}
POLICY_KINDS = ("exec", "open")
PATH_LEN = 128
STATS = ("generated", "delivered", "lost", "policy_hits")
# Where the C program reads what tracepoints do not carry, as struct.member paths for ebpflab.btf.
OFFSETS = {
    "OFF_REAL_PARENT": "task_struct.real_parent",
    "OFF_TGID": "task_struct.tgid",
    "OFF_NSPROXY": "task_struct.nsproxy",
    "OFF_NET_NS": "nsproxy.net_ns",
    "OFF_NS_INUM": "net.ns.inum",
}
KEEP_MARKER = "/* @KEEP@ : a keep() from Python replaces the default below */"


def kernel_offsets() -> dict[str, int]:
    """The task_struct/nsproxy/net offsets of the running kernel, as defines for the C program."""
    return {name: btf.offset(path) for name, path in OFFSETS.items()}


def lsm_defines() -> dict[str, int]:
    """The defines ``bpf/sec_lsm_exec.c`` needs (offsets into linux_binprm and the task)."""
    return {**kernel_offsets(), "OFF_BPRM_FILENAME": btf.offset("linux_binprm.filename"), "PATH_LEN": PATH_LEN}


@contextmanager
def lsm_denied(path: str, netns: Any = 0) -> Iterator[Program]:
    """Deny exec of ``path`` (exactly) with -EPERM through BPF LSM, for the block; where the doctor offers it."""
    raw = path.encode()
    if not path or len(raw) >= PATH_LEN:
        raise LabError(_("an exec path must be 1..{max} bytes", max=PATH_LEN - 1))
    with Program("sec_lsm_exec", lsm_defines()) as prog:
        key = prog["deny"].Key()
        key.netns = netns_inode(netns) if netns else 0
        _put(key, "path", raw)
        prog["deny"][key] = ctypes.c_uint(1)
        yield prog


def netns_inode(where: Any) -> int:
    """The network namespace inode of a lab host or a namespace name in /run/netns (an int is an inode already)."""
    if isinstance(where, int):
        return where
    name = getattr(where, "netns", where)
    for path in (Path("/run/netns") / str(name), Path(str(name))):
        try:
            return os.stat(path).st_ino
        except OSError:
            pass
    raise LabError(_("no network namespace {name!r} (not in /run/netns)", name=name))


@dataclass
class Event:
    """One event from the kernel, copied out of the ring buffer."""

    ns: int
    kind: str
    pid: int
    ppid: int
    uid: int
    comm: str
    path: str
    netns: int
    chain: list[int] = field(default_factory=list)
    ret: int = 0
    action: str = ""
    rule: int = 0

    def json(self) -> str:
        """The event as one JSON line (what ``ebpflab events`` prints)."""
        return json.dumps({k: v for k, v in asdict(self).items() if v not in ("", None) or k == "path"})


def event_of(raw: Any) -> Event:
    """Turn the C struct from the ring buffer into an Event (copy: the buffer is reused)."""
    kind = KIND_NAMES.get(raw.kind, str(raw.kind))
    path = raw.path.decode(errors="replace")
    if kind == "connect":
        path = f"{maps.ipv4_of(raw.daddr)}:{raw.dport}"
    chain = [p for p in raw.chain if p]
    return Event(
        raw.ns,
        kind,
        raw.pid,
        raw.ppid,
        raw.uid,
        raw.comm.decode(errors="replace"),
        path,
        raw.netns,
        chain,
        raw.ret,
        ACTION_NAMES.get(raw.action, str(raw.action)),
        raw.rule,
    )


@dataclass
class Rule:
    """A policy entry: processes in ``netns`` (0: any) may not ``kind`` the ``path`` (``*`` at the end: a prefix)."""

    kind: str
    path: str
    netns: int = 0
    action: str = "kill"
    id: int = 0


def rule_key(prog: Program, kind: str, path: str, netns: int = 0) -> Any:
    """The LPM-trie key of a rule: (kind, netns, path) and how many of its bits must match."""
    if kind not in POLICY_KINDS:
        raise LabError(
            _("unknown kind {kind!r} for a policy rule; use one of: {known}", kind=kind, known=", ".join(POLICY_KINDS))
        )
    if not isinstance(path, str) or not path.strip("*"):
        raise LabError(_("a policy rule needs a path, e.g. '/bin/sh' or '/etc/*' (empty paths match nothing)"))
    prefix = path.endswith("*")
    raw = path.rstrip("*").encode() + (b"" if prefix else b"\0")  # an exact rule includes the final zero byte
    if len(raw) > PATH_LEN:
        raise LabError(
            _(
                "path {path!r}… is {size} bytes; the policy map holds at most {max}",
                path=path[:40],
                size=len(raw),
                max=PATH_LEN - 1,
            )
        )
    key = prog["policy"].Key()
    key.prefixlen = 64 + 8 * len(raw)
    key.kind, key.netns = KINDS[kind], netns
    _put(key, "path", raw)
    return key


def _put(obj: Any, name: str, raw: bytes) -> None:
    """Copy bytes into a char-array member of a ctypes struct (reading the member gives a copy)."""
    ctypes.memmove(ctypes.addressof(obj) + getattr(type(obj), name).offset, raw, len(raw))


class ProcessMonitor:
    """``sec_events`` loaded and attached, its events collected; a context manager that detaches."""

    def __init__(
        self,
        keep: str | None = None,
        *,
        on_event: Callable[[Event], Any] | None = None,
        keep_events: bool = True,
        watch: dict[str, Any] | None = None,
        defines: dict[str, Any] | None = None,
    ) -> None:
        text = (BPF_DIR / "sec_events.c").read_text()
        defines = {**(defines or {}), **kernel_offsets(), "PATH_LEN": PATH_LEN}
        if keep is not None:  # the learner's filter takes the place of the default one
            text = text.replace(KEEP_MARKER, keep)
            defines["CUSTOM_KEEP"] = 1
        self.prog = Program(text if keep is not None else "sec_events", defines)
        self.on_event = on_event
        self.keep_events = keep_events
        self.events: list[Event] = []
        self.rules: dict[int, Rule] = {}
        self._ring: Any = None
        self._watch = {} if watch is None else watch
        if keep is None:
            _check_watch(**self._watch)
        self._ids = iter(range(1, 1 << 30))

    def __enter__(self) -> ProcessMonitor:
        self.prog.__enter__()  # BCC attaches every TRACEPOINT_PROBE as it builds
        try:
            if "CUSTOM_KEEP" not in self.prog.defines:
                self.watch(**self._watch)  # until here the default filter delivers nothing
            self._ring = self.prog.ring_buffer("events", self._got)
            self._ring.__enter__()
        except BaseException:
            self.prog.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._ring is not None:
                self._ring.__exit__(None, None, None)
        finally:
            self.prog.close()

    def _got(self, record: bytes) -> None:
        ev = event_of(self.prog["events"].event(record))
        if self.keep_events:
            self.events.append(ev)
        if self.on_event is not None:
            self.on_event(ev)

    # --- policy --------------------------------------------------------------------------
    def deny(self, kind: str, path: str, netns: Any = 0, action: str = "kill") -> Rule:
        """Add a policy entry: the kernel acts (``kill`` or ``log``) when a process does ``kind`` on ``path``."""
        if action not in ACTIONS:
            raise LabError(_("unknown action {action!r}; use one of: {known}", action=action, known=", ".join(ACTIONS)))
        ns = netns_inode(netns) if netns else 0
        key = rule_key(self.prog, kind, path, ns)
        rule = Rule(kind, path, ns, action, next(self._ids))
        value = self.prog["policy"].Leaf()
        value.action, value.id, value.hits = ACTIONS[action], rule.id, 0
        self.prog["policy"][key] = value
        self.rules[rule.id] = rule
        return rule

    def remove(self, rule: Rule) -> None:
        """Take a policy entry out of the kernel's map."""
        with suppress(KeyError):
            del self.prog["policy"][rule_key(self.prog, rule.kind, rule.path, rule.netns)]
        self.rules.pop(rule.id, None)

    def hits(self, rule: Rule) -> int:
        """How many times the kernel matched ``rule``."""
        try:
            return self.prog["policy"][rule_key(self.prog, rule.kind, rule.path, rule.netns)].hits
        except KeyError:
            return 0

    # --- the default in-kernel filter and its counters -----------------------------------------
    def watch(self, netns: Any = 0, comm: str = "", kinds: Iterable[str] = (), prefix: str = "") -> None:
        """Set the default in-kernel filter (empty: everything); only matching events reach user space."""
        _check_watch(netns, comm, kinds, prefix)
        w = self.prog["watch"].Leaf()
        w.on = 1
        w.netns = netns_inode(netns) if netns else 0
        w.kinds = sum(1 << KINDS[k] for k in set(kinds))
        w.comm_len, w.prefix_len = len(comm.encode()), len(prefix.encode())
        _put(w, "comm", comm.encode())
        _put(w, "prefix", prefix.encode())
        self.prog["watch"][0] = w

    def counts(self) -> dict[str, int]:
        """Events generated at the hooks, delivered to user space, lost (buffer full), and policy hits."""
        st = self.prog["stats"]
        return {name: int(sum(st[i])) for i, name in enumerate(STATS)}

    def wait_for(self, done: Callable[[list[Event]], bool], timeout: float = 10) -> bool:
        """Wait (at most ``timeout`` s) until ``done(events)`` holds: the poller may lag on a busy machine."""
        deadline = time.monotonic() + timeout
        while not done(self.events):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def _check_watch(netns: Any = 0, comm: str = "", kinds: Iterable[str] = (), prefix: str = "") -> None:
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise LabError(_("unknown kind {kind!r}; use any of: {known}", kind=bad[0], known=", ".join(KINDS)))
    if len(comm.encode()) > 15 or len(prefix.encode()) > 64:
        raise LabError(_("comm is at most 15 bytes and a path prefix at most 64"))
    if netns:
        netns_inode(netns)


# --- the scenario: a web app with a command-injection bug --------------------------------------
class WebApp:
    """``labs/targets/webapp.py`` on the lab's ``server`` host: a calculator whose ``/calc`` passes input to eval()."""

    def __init__(self, net: LabNet, host: str = "server", port: int = 8080) -> None:
        self.net, self.host, self.port = net, host, port
        self.proc: Any = None

    def __enter__(self) -> WebApp:
        script = LABS_DIR / "targets" / "webapp.py"
        self.proc = self.net.popen(self.host, "/usr/bin/python3", str(script), self.net[self.host].ip, str(self.port))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.get("/health")
                return self
            except LabError:
                if self.proc.poll() is not None:
                    raise LabError(
                        _("the web app stopped: {error}", error=self.proc.stderr.read().decode().strip())
                    ) from None
                time.sleep(0.1)
        self.__exit__()
        raise LabError(_("the web app did not answer within 10 s"))

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int:
        """The server's process id (``ip netns exec`` execs into it: same pid)."""
        return self.proc.pid

    def get(self, path: str, client: str = "client", timeout: float = 5) -> tuple[int, str]:
        """One HTTP GET from ``client``: (status, body)."""

        def request() -> tuple[int, str]:
            c = http.client.HTTPConnection(self.net[self.host].ip, self.port, timeout=timeout)
            try:
                c.request("GET", path)
                r = c.getresponse()
                return r.status, r.read().decode(errors="replace")
            finally:
                c.close()

        try:
            return self.net.call(client, request)
        except (OSError, http.client.HTTPException) as exc:
            raise LabError(_("GET {path} failed: {error}", path=path, error=exc)) from None

    def calc(self, expr: str) -> tuple[int, str]:
        """A request to the buggy endpoint: ``/calc?expr=...``."""
        return self.get("/calc?expr=" + urllib.parse.quote(expr))


def attack_payload(marker: str | Path) -> str:
    """The attacker's expression: it makes the app start /bin/sh, which writes ``marker``."""
    return f"__import__('os').system('echo owned > {marker}')"


def tree(events: Iterable[Event], root: int | None = None) -> str:
    """The exec events drawn as a process tree (pid, comm, program; killed ones marked)."""
    execs = [e for e in events if e.kind == "exec"]
    by_pid: dict[int, Event] = {}
    for e in execs:
        by_pid.setdefault(e.pid, e)
    children: dict[int, list[Event]] = {}
    for e in by_pid.values():
        children.setdefault(e.ppid, []).append(e)
    tops = [root] if root is not None else sorted(p for p in children if p not in by_pid)
    lines: list[str] = []

    def walk(pid: int, depth: int) -> None:
        for e in sorted(children.get(pid, []), key=lambda e: e.ns):
            mark = ""
            if e.action:
                said = ACTION_MARKS.get(e.action)
                mark = "   " + (
                    _(said, rule=e.rule) if said else _("✘ {action} (rule {rule})", action=e.action, rule=e.rule)
                )
            lines.append(f"{'   ' * depth}└─ {e.pid} {e.comm:<10} {e.path}{mark}")
            if depth < 8:
                walk(e.pid, depth + 1)

    for top in tops:
        lines.append(f"{top}")
        walk(top, 1)
    return "\n".join(lines)


def table(events: Iterable[Event], limit: int = 20) -> str:
    """The events as a text table, oldest first (at most ``limit`` rows)."""
    evs = list(events)
    t0 = evs[0].ns if evs else 0
    rows = [f"{'ms':>8} {'kind':<7} {'pid':>7} {'ppid':>7} {'uid':>5} {'comm':<15} {'netns':>10}  path / action"]
    for e in evs[:limit]:
        rows.append(
            f"{(e.ns - t0) / 1e6:8.2f} {e.kind:<7} {e.pid:>7} {e.ppid:>7} {e.uid:>5} {e.comm:<15} "
            f"{e.netns:>10}  {e.path}{'  ← ' + e.action if e.action else ''}"
        )
    if len(evs) > limit:
        rows.append(_("… {count} more", count=len(evs) - limit))
    return "\n".join(rows)


def kill_times(events: Iterable[Event]) -> list[float]:
    """Milliseconds from each killed exec to the end of its process (both stamped in the kernel)."""
    evs = list(events)
    killed = {e.pid: e.ns for e in evs if e.kind == "exec" and e.action == "killed"}
    return [(e.ns - killed[e.pid]) / 1e6 for e in evs if e.kind == "exit" and e.pid in killed]


# --- `ebpflab events` --------------------------------------------------------------------------
def add_arguments(p: Any) -> None:
    """Options of ``ebpflab events``."""
    p.add_argument("--netns", default="", help=_("only this network namespace (a name in /run/netns, or its inode)"))
    p.add_argument("--comm", default="", help=_("only processes whose name starts with this"))
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        help=_("only these kinds ({kinds}); repeat or comma-separate", kinds=", ".join(KINDS)),
    )
    p.add_argument("--path", default="", help=_("only events whose file or program starts with this (up to 64 bytes)"))
    from .cmdline import bounded_int

    p.add_argument(
        "--count",
        type=bounded_int(_("event count"), 0, 2**31 - 1),
        default=0,
        help=_("stop after this many events (default: until Ctrl-C)"),
    )


def main(args: Any) -> int:
    """``ebpflab events``: print process events as JSON lines, filtered in the kernel, until Ctrl-C."""
    import signal
    import sys

    from .cmdline import quiet_stdout

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    kinds = [k for arg in args.kind for k in arg.split(",") if k]
    netns = int(args.netns) if str(args.netns).isdigit() else args.netns
    if args.count < 0:
        raise LabError(_("--count must be 0 (no limit) or more"))
    done = threading.Event()
    printed, piped = [0], threading.Event()

    def show(ev: Event) -> None:
        if done.is_set():
            return
        try:
            print(ev.json(), flush=True)
        except BrokenPipeError:  # `| head`: raised in BCC's callback it would be a traceback, not an end
            piped.set()
            done.set()
            return
        printed[0] += 1
        if args.count and printed[0] >= args.count:
            done.set()

    mon = ProcessMonitor(
        on_event=show, keep_events=False, watch={"netns": netns, "comm": args.comm, "kinds": kinds, "prefix": args.path}
    )
    with mon:
        print(_("ebpflab events: watching (Ctrl-C stops)"), file=sys.stderr, flush=True)
        try:
            while not done.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        c = mon.counts()
    if piped.is_set():
        quiet_stdout()  # what Python flushes at exit would meet the closed pipe again
        return 0
    print(
        _(
            "ebpflab events: {generated} generated, {delivered} delivered",
            generated=c["generated"],
            delivered=c["delivered"],
        ),
        file=sys.stderr,
    )
    return 0
