# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Hook points beyond XDP: tracefs formats, a traced target program, TCP connections, trace_pipe (lab 08).

The doctor's hook table (``ebpflab.doctor.hooks()``) decides what lab 08 runs: ``offered()``
answers for one hook and says in one sentence why a part is skipped. ``Target`` starts the lab's
own user-space program (``labs/targets/shop.c``) and stops it; ``tcp_connections()`` makes real
TCP connections inside the lab network for the socket-level hooks to see. Attaching is
``Program``'s job (``prog.tc()``, ``prog.uprobe()``, ``prog.perf_event()``, ``prog.tracepoint()``).
``btf_prototype()`` reads a kernel function's arguments from BTF where no debug info is installed;
``TracePipe`` reads back the lines a program prints with ``bpf_trace_printk``.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import LABS_DIR, doctor, system
from .errors import LabError
from .messages import N_, _
from .netlab import LabNet

TRACING = Path("/sys/kernel/tracing")
TARGETS = LABS_DIR / "targets"
BUILD_DIR = Path("/tmp/ebpflab-targets")
TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "NEW_SYN_RECV",
}
SKIPPED = {
    "kprobe": N_("this kernel has no kprobes (CONFIG_KPROBES is off), so this part is skipped and the lab goes on"),
    "fentry": N_(
        "this kernel cannot attach fentry programs (BTF trampolines), so this part is skipped and the lab goes on"
    ),
}


def offered(hook: str, table: Mapping[str, bool] | None = None) -> bool:
    """True if the kernel offers ``hook`` (per the doctor); otherwise print why the part is skipped."""
    table = doctor.hooks() if table is None else table
    if hook not in table:
        raise LabError(_("unknown hook {hook!r}; the doctor knows: {known}", hook=hook, known=", ".join(table)))
    if not table[hook]:
        why = SKIPPED.get(hook, N_("not offered by this kernel, so this part is skipped and the lab goes on"))
        print(_("– {hook}: {why}", hook=hook, why=_(why)))
    return bool(table[hook])


# --- tracefs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One field of a tracepoint's record, as the kernel's format file describes it."""

    type: str
    name: str
    offset: int
    size: int
    common: bool  # common_* fields are in every event's header


def tracepoint_format(category: str, event: str) -> list[Field]:
    """The fields of tracepoint ``category:event``, read from tracefs (what BCC's ``args`` offers)."""
    path = TRACING / "events" / category / event / "format"
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise LabError(
            _("no tracepoint {category}:{event} on this kernel (no {path})", category=category, event=event, path=path)
        ) from None
    fields = []
    for m in re.finditer(r"field:(.+?);\s*offset:(\d+);\s*size:(\d+);", text):
        decl = m.group(1).strip()
        name = re.sub(r"\[.*\]", "", decl.split()[-1]).lstrip("*")
        ctype = decl[: decl.rfind(decl.split()[-1])].strip() + ("[]" if "[" in decl.split()[-1] else "")
        fields.append(Field(ctype, name, int(m.group(2)), int(m.group(3)), name.startswith("common_")))
    return fields


def format_table(fields: list[Field]) -> str:
    """A tracepoint's fields as a small text table (offset, size, type, name)."""
    rows = [f"{'offset':>6} {'size':>4}  {'type':<20} name"]
    rows += [f"{f.offset:>6} {f.size:>4}  {f.type:<20} {f.name}" for f in fields]
    return "\n".join(rows)


# --- the lab's own user-space program ---------------------------------------------------------
def build_target(name: str = "shop") -> Path:
    """Compile ``labs/targets/<name>.c`` (with symbols and frame pointers) and return the binary."""
    src = TARGETS / f"{name}.c"
    if not src.exists():
        raise LabError(_("no target program {path}", path=src))
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise LabError(_("no C compiler to build the lab's target program: run `make lab` (it installs gcc)"))
    BUILD_DIR.mkdir(exist_ok=True)
    out = BUILD_DIR / name
    if out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
        return out
    tmp = out.with_suffix(f".{time.monotonic_ns()}")
    res = subprocess.run(
        [cc, "-O1", "-g", "-fno-omit-frame-pointer", "-o", str(tmp), str(src)], capture_output=True, text=True
    )
    if res.returncode != 0:
        raise LabError(_("{file} did not compile:", file=src.name) + "\n" + res.stderr.strip())
    tmp.replace(out)  # atomic: a parallel run never executes a half-written binary
    return out


class Target:
    """The lab's program, started paused: probes attach, then ``go()``; a context manager that stops it."""

    def __init__(self, mode: str, n: int, name: str = "shop") -> None:
        if mode not in ("syscalls", "calls", "busy"):
            raise LabError(_("unknown mode {mode!r}: use syscalls, calls or busy", mode=mode))
        if not 0 <= int(n) <= 10_000_000:
            raise LabError(_("n must be between 0 and 10,000,000"))
        self.mode, self.n = mode, int(n)
        self.path = build_target(name)
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """The target's process id."""
        assert self.proc is not None, _("use `with Target(...) as t:`")
        return self.proc.pid

    def __enter__(self) -> Target:
        self.proc = subprocess.Popen(
            [str(self.path), self.mode, str(self.n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return self

    def go(self) -> None:
        """Let the target start its work (after the probes are attached)."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float = 40) -> str:
        """Wait for the target to finish its work and return what it printed."""
        assert self.proc is not None
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LabError(_("the target did not finish within {timeout} s", timeout=timeout)) from None
        if self.proc.returncode != 0:
            raise LabError(_("the target failed ({code}): {error}", code=self.proc.returncode, error=err.strip()))
        return out.strip()

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --- TCP connections in the lab network ---------------------------------------------------------
def tcp_connections(
    net: LabNet,
    client: str,
    server: str,
    port: int,
    count: int = 3,
    payload: bytes = b"hello, hooks\n",
    timeout: float = 2.0,
) -> list[tuple[str, int, str, int]]:
    """Open ``count`` TCP connections client→server:port, send ``payload`` on each, close; return the 4-tuples."""
    if not 1 <= port <= 65535 or not 0 <= count <= 100:
        raise LabError(_("port must be 1..65535 and count 0..100"))
    with net.inside(server):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tuples = []
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((net[server].ip, port))
        listener.listen(count or 1)
        listener.settimeout(timeout)
        for _conn in range(count):
            with net.inside(client):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            with c:
                c.settimeout(timeout)
                c.connect((net[server].ip, port))
                conn, _peer = listener.accept()
                with conn:
                    conn.settimeout(timeout)
                    c.sendall(payload)
                    got = b""
                    while len(got) < len(payload):
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                    tuples.append((*c.getsockname(), *c.getpeername()))
                    c.shutdown(socket.SHUT_WR)  # the client closes first (it goes through TIME_WAIT)
                    conn.recv(1)
    except OSError as exc:
        raise LabError(
            _(
                "TCP connection {client}→{server}:{port} failed: {error}",
                client=client,
                server=server,
                port=port,
                error=exc.strerror or exc,
            )
        ) from None
    finally:
        listener.close()
    return tuples


# --- what BTF says of a kernel function (where no debug info is installed) ------------------------
@functools.lru_cache(maxsize=1)
def _btf_dump() -> tuple[str, list[int]]:
    """``bpftool btf dump`` of the kernel, and where each type's entry starts (type ids count from 1, in order)."""
    exe = shutil.which("bpftool")
    if exe is None or not Path("/sys/kernel/btf/vmlinux").exists():
        raise LabError(_("reading BTF needs bpftool and /sys/kernel/btf/vmlinux (a kernel built with BTF)"))
    out = subprocess.run([exe, "btf", "dump", "file", "/sys/kernel/btf/vmlinux"], capture_output=True, text=True)
    if out.returncode != 0:
        raise LabError(_("bpftool could not dump the kernel's BTF: {error}", error=out.stderr.strip()))
    return out.stdout, [m.start() for m in re.finditer(r"^\[\d+\] ", out.stdout, flags=re.M)]


def _btf_type(tid: int) -> tuple[str, str, dict[str, str], list[tuple[str, int]]]:
    """Type ``tid``: its kind, name, attributes, and members or parameters as (name, type id)."""
    text, starts = _btf_dump()
    entry = text[starts[tid - 1] : starts[tid] if tid < len(starts) else len(text)]
    head, _sep, rest = entry.partition("\n")
    m = re.match(rf"\[{tid}\] (\w+) '([^']*)'(.*)", head)
    if m is None:
        raise LabError(_("cannot read BTF type {tid}: {head!r}", tid=tid, head=head))
    members = [(n, int(t)) for n, t in re.findall(r"^\s+'([^']*)' type_id=(\d+)", rest, flags=re.M)]
    return m.group(1), m.group(2), dict(re.findall(r"(\w+)=(\S+)", m.group(3))), members


def _btf_type_name(tid: int, depth: int = 0) -> str:
    """A BTF type as C spells it: ``struct sock *``, ``const char *``, ``u32``."""
    if tid == 0 or depth > 10:
        return "void"
    kind, name, attrs, _members = _btf_type(tid)
    inner = int(attrs.get("type_id", 0))
    if kind == "PTR":
        return _btf_type_name(inner, depth + 1) + " *"
    if kind in ("CONST", "VOLATILE"):
        return f"{kind.lower()} {_btf_type_name(inner, depth + 1)}"
    if kind in ("STRUCT", "UNION", "ENUM", "ENUM64"):
        return f"{kind.lower().removesuffix('64')} {name}"
    if kind in ("TYPE_TAG", "RESTRICT"):
        return _btf_type_name(inner, depth + 1)
    return name or kind.lower()


def btf_prototype(function: str) -> str:
    """Kernel function ``function``'s C prototype as the kernel's BTF describes it (what ``bpftrace -lv`` shows)."""
    m = re.search(rf"^\[\d+\] FUNC '{re.escape(function)}' type_id=(\d+)", _btf_dump()[0], flags=re.M)
    if m is None:
        raise LabError(
            _(
                "the kernel's BTF describes no function {function!r} (inlined, static, or not in this kernel)",
                function=function,
            )
        )
    _kind, _name, attrs, params = _btf_type(int(m.group(1)))
    args = ", ".join(f"{_btf_type_name(t)} {n}".replace("* ", "*") for n, t in params) or "void"
    return f"{_btf_type_name(int(attrs.get('ret_type_id', 0)))} {function}({args})".replace("* ", "*")


# --- bpf_trace_printk's lines, read back from trace_pipe ------------------------------------------
TRACE_LINE = re.compile(r"^\s*(.*?)-(\d+)\s+\[\d+\].*?: (?:bpf_trace_printk|tracing_mark_write): (.*)$")


@dataclass(frozen=True)
class TraceLine:
    """One line a program printed: the process that was running, and the message."""

    comm: str
    pid: int
    message: str


def marker() -> str:
    """A random tag for a program's lines: trace_pipe is one for the whole machine, shared by every lab."""
    return f"ebl{secrets.token_hex(4)}"


class TracePipe:
    """Lines tagged ``tag`` from trace_pipe, read in the background while the block runs; a context manager.

    trace_pipe is global and *consumed* by whoever reads it: a line another reader takes is gone. So one
    reader at a time in the kit (the kernel refuses a second open on recent kernels, a lock does it on older
    ones), and a program that prints is loaded inside the block, so no other lab's reader takes its lines.
    """

    def __init__(self, tag: str, wait_for_pipe: float = 60.0) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]{4,32}", tag):
            raise LabError(
                _("a trace_pipe tag is 4 to 32 letters, digits or _ (see hooks.marker()), not {tag!r}", tag=tag)
            )
        self.tag, self.wait_for_pipe = tag, wait_for_pipe
        self.lines: list[TraceLine] = []
        self._marks: set[str] = set()
        self._fd = -1
        self._stop = threading.Event()
        self._seen = threading.Condition()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> TracePipe:
        system.require_root(_("reading trace_pipe"))
        system.mount_pseudo_filesystems()  # tracefs, where no init system mounted it
        deadline = time.monotonic() + self.wait_for_pipe
        while True:
            try:
                self._fd = os.open(TRACING / "trace_pipe", os.O_RDONLY | os.O_NONBLOCK)
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if self._fd >= 0:
                    os.close(self._fd)
                    self._fd = -1
                if exc.errno not in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
                    raise LabError(
                        _("cannot read {path}: {error}", path=TRACING / "trace_pipe", error=exc.strerror)
                    ) from None
                if time.monotonic() > deadline:
                    raise LabError(
                        _(
                            "{path} stayed busy for {seconds:.0f} s: another program "
                            "reads it (a `cat trace_pipe` in a terminal?); stop it and run the cell again",
                            path=TRACING / "trace_pipe",
                            seconds=self.wait_for_pipe,
                        )
                    ) from None
                time.sleep(0.05)
        self._thread = threading.Thread(target=self._read, name="ebpflab-trace_pipe", daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        rest = b""
        while not self._stop.is_set():
            if not select.select([self._fd], [], [], 0.05)[0]:
                continue
            try:
                rest += os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                return
            *whole, rest = rest.split(b"\n")
            found = [
                TraceLine(m.group(1).strip(), int(m.group(2)), m.group(3))
                for m in map(TRACE_LINE.match, (ln.decode(errors="replace") for ln in whole))
                if m and self.tag in m.group(3)
            ]
            if found:
                with self._seen:
                    self.lines.extend(found)
                    self._seen.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[TraceLine]:
        """The tagged lines once ``count`` have arrived, or all there are after ``timeout`` seconds."""
        with self._seen:
            self._seen.wait_for(lambda: len(self.printed) >= count, timeout)
        return self.printed

    def sync(self, timeout: float = 5.0) -> list[TraceLine]:
        """Every tagged line printed so far: write a mark into the trace and wait until it is read back."""
        mark = f"{self.tag} sync {secrets.token_hex(4)}"
        self._marks.add(mark)
        with open(TRACING / "trace_marker", "w") as f:
            f.write(mark + "\n")
        with self._seen:
            if not self._seen.wait_for(lambda: any(ln.message == mark for ln in self.lines), timeout):
                raise LabError(_("trace_pipe did not deliver a mark within {timeout:.0f} s", timeout=timeout))
        return self.printed

    @property
    def printed(self) -> list[TraceLine]:
        """The tagged lines the programs printed (the marks ``sync`` writes left out)."""
        return [ln for ln in list(self.lines) if ln.message not in self._marks]

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
