"""Hook points beyond XDP: tracefs formats, tc attachment, a traced target program (lab 08).

The doctor's hook table (``ebpflab.doctor.hooks()``) decides what lab 08 runs: ``offered()``
answers for one hook and says in one sentence why a part is skipped. ``tc()`` attaches BPF
programs on a lab host's tc ingress/egress hook and always detaches; ``Target`` starts the lab's
own user-space program (``labs/targets/shop.c``) and stops it; ``tcp_connections()`` makes real
TCP connections inside the lab network for the socket-level hooks to see.
"""
from __future__ import annotations

import errno
import re
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from . import LABS_DIR, doctor
from .errors import LabError
from .netlab import Host, LabNet, call_in

TRACING = Path("/sys/kernel/tracing")
TARGETS = LABS_DIR / "targets"
BUILD_DIR = Path("/tmp/ebpflab-targets")
TC_PARENTS = {"ingress": "ffff:fff2", "egress": "ffff:fff3"}
TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
              7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV"}
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
        print(f"– {hook}: " + SKIPPED.get(hook, "not offered by this kernel, so this part is skipped and the lab goes on"))
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


# --- tc (cls_bpf) ---------------------------------------------------------------------------
@contextmanager
def tc(prog: Any, host: Host, *, ingress: str | None = None, egress: str | None = None) -> Iterator[None]:
    """Attach ``prog``'s functions on ``host``'s tc ingress and/or egress hook; detach on exit."""
    from pyroute2.netlink.exceptions import NetlinkError

    wanted = {d: f for d, f in (("ingress", ingress), ("egress", egress)) if f}
    if not wanted:
        raise LabError("say which function goes on ingress and/or egress, e.g. tc(prog, host, egress='tc_count_egress')")
    fns = {d: prog.load(f, "tc") for d, f in wanted.items()}

    def attach(ipr: Any, idx: int) -> None:
        try:
            ipr.tc("add", "clsact", idx)
        except NetlinkError as exc:
            if exc.code == errno.EEXIST:
                raise LabError(f"{host.name}:{host.iface} already has a clsact qdisc (another lab attached tc programs)") from None
            raise LabError(f"could not add the clsact qdisc on {host.name}:{host.iface}: {exc}") from None
        try:
            for direction, fn in fns.items():
                ipr.tc("add-filter", "bpf", idx, ":1", fd=fn.fd, name=fn.name, parent=TC_PARENTS[direction],
                       classid=1, direct_action=True)
        except NetlinkError as exc:
            ipr.tc("del", "clsact", idx)
            raise LabError(f"could not attach a tc program on {host.name}:{host.iface}: {exc}") from None

    def detach(ipr: Any, idx: int) -> None:
        ipr.tc("del", "clsact", idx)  # removes the filters with it

    _netlink(host, attach)
    try:
        yield
    finally:
        try:
            _netlink(host, detach)
        except (LabError, NetlinkError, IndexError):
            pass  # the interface went away with its namespace: nothing left to detach


def _netlink(host: Host, fn: Callable[[Any, int], Any]) -> Any:
    """Call ``fn(ipr, ifindex)`` with a pyroute2 IPRoute made in ``host``'s namespace, in a worker thread.

    pyroute2 0.9 drives an asyncio loop of its own, which cannot run inside Jupyter's running loop;
    a fresh thread has none. The netlink socket belongs to the namespace it was made in.
    """
    from pyroute2 import IPRoute

    def work() -> Any:
        with IPRoute() as ipr:
            return fn(ipr, ipr.link_lookup(ifname=host.iface)[0])

    return call_in(host.netns, work)


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
    res = subprocess.run([cc, "-O1", "-g", "-fno-omit-frame-pointer", "-o", str(tmp), str(src)],
                         capture_output=True, text=True)
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

    def __enter__(self) -> "Target":
        self.proc = subprocess.Popen([str(self.path), self.mode, str(self.n)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


# --- uprobes and perf events ------------------------------------------------------------------
def attach_uprobe(prog: Any, target: "Target", sym: str, fn_name: str, *, ret: bool = False) -> None:
    """Run ``fn_name`` when ``target`` enters (or, with ``ret``, returns from) function ``sym``; detached with ``prog``."""
    prog.load(fn_name, "kprobe")  # uprobes are kprobe-type programs: the verifier's log reaches the notebook
    attach = prog.bpf.attach_uretprobe if ret else prog.bpf.attach_uprobe
    _attach(lambda: attach(name=str(target.path), sym=sym, fn_name=fn_name, pid=target.pid),
            f"could not attach {fn_name} to {sym}() in {target.path.name}")


def attach_cpu_clock(prog: Any, fn_name: str, sample_hz: int = 99) -> None:
    """Run ``fn_name`` ``sample_hz`` times a second on every CPU (software cpu-clock event); detached with ``prog``."""
    if not 1 <= sample_hz <= 10_000:
        raise LabError("sample_hz must be between 1 and 10000")
    from .system import import_bcc

    bcc = import_bcc()
    prog.load(fn_name, "perf_event")
    _attach(lambda: prog.bpf.attach_perf_event(ev_type=bcc.PerfType.SOFTWARE, ev_config=bcc.PerfSWConfig.CPU_CLOCK,
                                               fn_name=fn_name, sample_freq=sample_hz),
            f"could not attach {fn_name} to the cpu-clock perf event")


def _attach(do: Callable[[], Any], what: str) -> None:
    from .loader import capture_stderr

    with capture_stderr() as cap:
        try:
            do()
            err = None
        except Exception as exc:  # BCC raises bare Exceptions
            err = exc
    if err is not None:
        detail = (cap.text.strip().splitlines() or [str(err)])[-1]
        raise LabError(f"{what}: {detail}")


# --- TCP connections in the lab network ---------------------------------------------------------
def tcp_connections(net: LabNet, client: str, server: str, port: int, count: int = 3,
                    payload: bytes = b"hello, hooks\n", timeout: float = 2.0) -> list[tuple[str, int, str, int]]:
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
