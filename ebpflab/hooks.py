# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Hook points beyond XDP: tracefs formats, a traced target program, TCP connections (lab 08).

The doctor's hook table (``ebpflab.doctor.hooks()``) decides what lab 08 runs: ``offered()``
answers for one hook and says in one sentence why a part is skipped. ``Target`` starts the lab's
own user-space program (``labs/targets/shop.c``) and stops it; ``tcp_connections()`` makes real
TCP connections inside the lab network for the socket-level hooks to see. Attaching is
``Program``'s job (``prog.tc()``, ``prog.uprobe()``, ``prog.perf_event()``, ``prog.tracepoint()``).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import LABS_DIR, doctor
from .errors import LabError
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
    "kprobe": "this kernel has no kprobes (CONFIG_KPROBES is off), so this part is skipped and the lab goes on",
    "fentry": "this kernel cannot attach fentry programs (BTF trampolines), so this part is skipped and the lab goes on",
}


def offered(hook: str, table: Mapping[str, bool] | None = None) -> bool:
    """True if the kernel offers ``hook`` (per the doctor); otherwise print why the part is skipped."""
    table = doctor.hooks() if table is None else table
    if hook not in table:
        raise LabError(f"unknown hook {hook!r}; the doctor knows: {', '.join(table)}")
    if not table[hook]:
        print(
            f"– {hook}: " + SKIPPED.get(hook, "not offered by this kernel, so this part is skipped and the lab goes on")
        )
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
        raise LabError(f"no tracepoint {category}:{event} on this kernel (no {path})") from None
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
        raise LabError(f"no target program {src}")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise LabError("no C compiler to build the lab's target program: run `make lab` (it installs gcc)")
    BUILD_DIR.mkdir(exist_ok=True)
    out = BUILD_DIR / name
    if out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
        return out
    tmp = out.with_suffix(f".{time.monotonic_ns()}")
    res = subprocess.run(
        [cc, "-O1", "-g", "-fno-omit-frame-pointer", "-o", str(tmp), str(src)], capture_output=True, text=True
    )
    if res.returncode != 0:
        raise LabError(f"{src.name} did not compile:\n{res.stderr.strip()}")
    tmp.replace(out)  # atomic: a parallel run never executes a half-written binary
    return out


class Target:
    """The lab's program, started paused: probes attach, then ``go()``; a context manager that stops it."""

    def __init__(self, mode: str, n: int, name: str = "shop") -> None:
        if mode not in ("syscalls", "calls", "busy"):
            raise LabError(f"unknown mode {mode!r}: use syscalls, calls or busy")
        if not 0 <= int(n) <= 10_000_000:
            raise LabError("n must be between 0 and 10,000,000")
        self.mode, self.n = mode, int(n)
        self.path = build_target(name)
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """The target's process id."""
        assert self.proc is not None, "use `with Target(...) as t:`"
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
            raise LabError(f"the target did not finish within {timeout} s") from None
        if self.proc.returncode != 0:
            raise LabError(f"the target failed ({self.proc.returncode}): {err.strip()}")
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
        raise LabError("port must be 1..65535 and count 0..100")
    with net.inside(server):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tuples = []
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((net[server].ip, port))
        listener.listen(count or 1)
        listener.settimeout(timeout)
        for _ in range(count):
            with net.inside(client):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            with c:
                c.settimeout(timeout)
                c.connect((net[server].ip, port))
                conn, _ = listener.accept()
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
        raise LabError(f"TCP connection {client}→{server}:{port} failed: {exc.strerror or exc}") from None
    finally:
        listener.close()
    return tuples
