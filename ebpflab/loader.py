"""Compile a ``bpf/*.c`` program with BCC, load it, attach it, and always detach (lab 02).

One order for every program: build (compile), load (the verifier runs), attach, detach, destroy.
``Program`` is the build/destroy context manager; ``Program.xdp()`` is the attach/detach one::

    with Program("xdp_count") as prog, prog.xdp(net["server"]):
        ...                      # traffic; read prog["counts"]

Clang's errors and the verifier's log are written by libbcc to the process's C-level stderr,
which a notebook never shows; they are captured at the file-descriptor level and carried by
``CompileError`` / ``VerifierError`` so that they reach the notebook.
"""
from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from . import BPF_DIR, system
from .errors import CompileError, LabError, VerifierError
from .netlab import Host, link_info, netns
from .system import headers, import_bcc, require_root

XDP_MODES = {"generic": 1 << 1, "native": 1 << 2, "offload": 1 << 3}
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_MARKS = Path("/run/ebpflab/xdp")  # one XdpMark per attachment, for `ebpflab cleanup`
PROG_TYPES = {"xdp": "XDP", "tc": "SCHED_CLS", "sched_cls": "SCHED_CLS", "socket": "SOCKET_FILTER",
              "kprobe": "KPROBE", "tracepoint": "TRACEPOINT", "perf_event": "PERF_EVENT",
              "raw_tracepoint": "RAW_TRACEPOINT", "cgroup_skb": "CGROUP_SKB"}
_stderr_lock = threading.Lock()
_libc = ctypes.CDLL(None)


class Captured:
    """Text written to fd 2 while a ``capture_stderr()`` block ran."""

    text: str = ""


@contextmanager
def capture_stderr() -> Iterator[Captured]:
    """Capture everything written to file descriptor 2 (C code included) during the block."""
    cap = Captured()
    with _stderr_lock, tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stderr.flush()
        _libc.fflush(None)
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield cap
        finally:
            _libc.fflush(None)
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            cap.text = tmp.read().decode(errors="replace")


def resolve_source(source: str | Path) -> tuple[str, str, Path | None]:
    """Return (name, C text, path) for a program name in ``bpf/``, a path, or C text itself."""
    if isinstance(source, Path) or ("\n" not in str(source) and "{" not in str(source)):
        path = Path(source)
        candidates = [path, BPF_DIR / path, BPF_DIR / f"{path}.c"] if not path.is_absolute() else [path]
        for c in candidates:
            if c.is_file():
                return c.stem, inline_c_includes(c.read_text(), c.parent), c
        known = ", ".join(sorted(p.stem for p in BPF_DIR.glob("*.c")))
        raise LabError(f"no BPF program {str(source)!r}; programs in bpf/: {known}")
    return "<text>", str(source), None


def inline_c_includes(text: str, folder: Path, seen: frozenset[str] = frozenset()) -> str:
    """Paste ``#include "other.c"`` in place: BCC rewrites map calls only in the text it compiles."""
    def paste(m: re.Match) -> str:
        name = m.group(1)
        if name in seen:
            return ""
        return inline_c_includes((folder / name).read_text(), folder, seen | {name})

    return re.sub(r'^#include "([\w./-]+\.c)"[ \t]*$', paste, text, flags=re.M)


def defines_to_cflags(defines: Mapping[str, Any] | None) -> list[str]:
    """Turn the knobs a learner turns (Python values) into ``-DNAME=value`` flags."""
    flags = []
    for name, value in (defines or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise LabError(f"{name!r} is not a valid C macro name")
        if isinstance(value, bool):
            value = int(value)
        flags.append(f"-D{name}={value}")
    return flags


class Program:
    """A BPF C program compiled by BCC; a context manager that frees it on exit (lab 02)."""

    def __init__(self, source: str | Path, defines: Mapping[str, Any] | None = None, *,
                 cflags: list[str] | None = None, debug: int = 0) -> None:
        self.name, self.text, self.path = resolve_source(source)
        self.defines = dict(defines or {})
        self.cflags = [f"-I{BPF_DIR}", *defines_to_cflags(self.defines), *(cflags or [])]
        self.debug = debug
        self.bpf: Any = None
        self.warnings = ""
        self.log = ""

    # --- build / destroy ----------------------------------------------------------------
    def __enter__(self) -> "Program":
        self.build()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def build(self) -> "Program":
        """Compile the C program to eBPF bytecode (no kernel involved yet)."""
        require_root("compiling and loading eBPF programs")
        bcc = import_bcc()
        where = str(self.path.relative_to(BPF_DIR.parent)) if self.path and self.path.is_relative_to(BPF_DIR.parent) else self.name
        if self.path is None:  # C text from a cell: the learner may be breaking things on purpose
            _survives_compiling(self.text, self.cflags)
        res = call_bcc(bcc.BPF, text=self.text.encode(), cflags=self.cflags, debug=self.debug)
        if res.error is not None:
            refused = re.search(r"could not open bpf map: (\S+?), error: (.+)", res.log)
            if refused:  # clang was done: the kernel would not make a map of the size asked for
                sizes = ", ".join(f"{k}={v}" for k, v in self.defines.items() if isinstance(v, int)) or "its defaults"
                raise LabError(f"{where} compiled, but the kernel refused to create its map {refused.group(1)!r} "
                               f"({refused.group(2).strip()}) with the sizes asked for ({sizes}).") from None
            if "Failed to compile" not in str(res.error):
                # BCC attaches kprobe__/tracepoint__-named functions itself while building.
                raise LabError(f"{where} compiled, but BCC could not attach it: {res.error}") from None
            if headers()[0] is None:  # BCC compiles against this kernel's headers (lab 11 shows CO-RE does not)
                raise CompileError(f"BCC cannot compile {where}: {headers()[1]}.", "") from None
            out = _clean_clang(res.log) or str(res.error)
            raise CompileError(f"{where} did not compile{_stack_hint(out)}:", out) from None
        self.bpf, self.warnings = res.value, res.log
        return self

    def close(self) -> None:
        """Free the program, its maps and any attachment BCC still holds."""
        if self.bpf is not None:
            with capture_stderr():
                self.bpf.cleanup()
            self.bpf = None

    # --- load ---------------------------------------------------------------------------
    def load(self, func: str | None = None, prog_type: str = "xdp") -> Any:
        """Hand one function to the kernel; the verifier's rejection becomes a VerifierError."""
        if self.bpf is None:
            self.build()
        bcc = import_bcc()
        func = func or self.name
        kind = PROG_TYPES.get(prog_type.lower())
        if kind is None:
            raise LabError(f"unknown program type {prog_type!r}; known: {', '.join(PROG_TYPES)}")
        res = call_bcc(self.bpf.load_func, func.encode(), getattr(bcc.BPF, kind))
        self.log = res.log
        if res.error is not None:
            if "Unknown program" in str(res.error):
                raise LabError(f"{self.name} has no function {func!r}") from None
            raise VerifierError(f"the verifier rejected {func}() from {self.name}: {res.error}{_why(res.log, self.text)}",
                                res.log, program=self.name, func=func) from None
        return res.value

    # --- attach / detach ----------------------------------------------------------------
    @contextmanager
    def xdp(self, where: Host | str, func: str | None = None, mode: str = "generic", *,
            netns: str | None = None) -> Iterator[Any]:
        """Attach ``func`` at XDP on a lab host's eth0 (or on interface ``where`` in ``netns``) for the block, then detach."""
        if isinstance(where, Host):
            iface, ns, label = where.iface, where.netns, f"{where.name}:{where.iface}"
        else:
            iface, ns, label = where, netns, where + (f" in {netns}" if netns else "")
        fn = self.load(func, "xdp")
        with xdp_attached(fn, iface, ns, mode, label=label):
            yield fn

    @contextmanager
    def ring_buffer(self, name: str, callback: Callable[[Any, Any, int], Any], *,
                    interval: float = 0.05) -> Iterator[None]:
        """Poll ring buffer ``name`` in a background thread, calling ``callback(ctx, data, size)``."""
        self[name].open_ring_buffer(callback)
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                self.bpf.ring_buffer_poll(int(interval * 1000))

        t = threading.Thread(target=poll, name=f"ebpflab-ring-{name}", daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()
            self.bpf.ring_buffer_consume()  # what arrived after the last poll

    # --- maps ---------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        if self.bpf is None:
            raise LabError(f"{self.name} is not built yet: use `with Program(...) as prog:`")
        try:
            return self.bpf[name.encode()]
        except KeyError:
            raise LabError(f"{self.name} has no map named {name!r}") from None

    def disassemble(self, func: str | None = None, prog_type: str = "xdp") -> str:
        """The eBPF bytecode of ``func`` as text (what the kernel will verify)."""
        if self.bpf is None:
            self.build()
        try:
            return self.bpf.disassemble_func((func or self.name).encode())
        except ValueError:
            # BCC 0.26's disassembler fails on map references: ask the kernel for its copy instead.
            return self.xlated(func, prog_type)

    def xlated(self, func: str | None = None, prog_type: str = "xdp") -> str:
        """The bytecode as the kernel holds it after verification (``bpftool prog dump xlated``)."""
        fn = self.load(func, prog_type)
        with open(f"/proc/self/fdinfo/{fn.fd}") as f:
            prog_id = next(line.split()[1] for line in f if line.startswith("prog_id:"))
        res = subprocess.run(["bpftool", "prog", "dump", "xlated", "id", prog_id], capture_output=True, text=True)
        if res.returncode != 0:
            raise LabError(f"bpftool could not dump program {prog_id}: {res.stderr.strip() or 'is bpftool installed?'}")
        return res.stdout


@contextmanager
def xdp_attached(fn: Any, iface: str, ns: str | None = None, mode: str = "generic", *,
                 label: str | None = None) -> Iterator[Any]:
    """Attach loaded XDP function ``fn`` to ``iface`` (in namespace ``ns``, or this one) for the block, then detach.

    A mark naming the program is written *before* attaching, so that ``ebpflab cleanup`` can detach
    it should this process be SIGKILLed at any point while it is attached.
    """
    if mode not in XDP_MODES:
        raise LabError(f"unknown XDP mode {mode!r}; use one of {', '.join(XDP_MODES)}")
    label = label or iface
    bcc = import_bcc()
    mark = XdpMark(system.owner_tag(), iface, ns, prog_id(fn)).write()
    try:
        flags = XDP_MODES[mode] | XDP_FLAGS_UPDATE_IF_NOEXIST  # never replace another program silently
        with netns(ns) if ns else nullcontext():
            res = call_bcc(bcc.BPF.attach_xdp, iface.encode(), fn, flags)
        if res.error is not None:
            busy = [p.get("name") or f"id {p.get('id')}" for p in xdp_programs(iface, ns)]
            if busy:
                raise LabError(f"{label} already runs the XDP program {busy[0]!r}: XDP allows one program per "
                               "interface, so detach it first (leave the other `with` block)") from None
            raise LabError(f"could not attach {fn.name.decode()} to {label} in {mode} mode: {res.error} {res.log.strip()}".strip())
        try:
            yield fn
        finally:
            detach_xdp(iface, ns, mode)
    finally:
        if mark:
            mark.unlink(missing_ok=True)


def detach_xdp(iface: str, ns: str | None = None, mode: str = "generic") -> None:
    """Remove whatever XDP program is attached to ``iface`` (quietly if its namespace is gone)."""
    if ns and not os.path.exists(f"/run/netns/{ns}"):
        return
    bcc = import_bcc()
    with netns(ns) if ns else nullcontext():
        call_bcc(bcc.BPF.remove_xdp, iface.encode(), XDP_MODES[mode])  # an error: the interface went away


def xdp_programs(iface: str, ns: str | None = None) -> list[dict]:
    """The XDP programs attached to ``iface`` as ``ip -j -d link`` lists them (id, name, ...); none if it is gone."""
    try:
        xdp = link_info(iface, ns).get("xdp", {})
    except LabError:
        return []
    progs = [xdp["prog"]] if "prog" in xdp else []
    return progs + [a["prog"] for a in xdp.get("attached", []) if "prog" in a and a["prog"] not in progs]


def prog_id(fn: Any) -> int:
    """The kernel's id of a loaded program, given as a BCC function or an fd (what ``bpftool prog`` shows)."""
    with open(f"/proc/self/fdinfo/{fn if isinstance(fn, int) else fn.fd}") as f:
        return int(next(line.split()[1] for line in f if line.startswith("prog_id:")))


@dataclass(frozen=True)
class XdpMark:
    """``<owner> <iface> <netns or -> <program id>`` in XDP_MARKS: an XDP attachment ``ebpflab cleanup`` can undo.

    ``owner`` is ``system.owner_tag()`` (pid and start time), so a reused pid does not keep the mark alive.
    """

    owner: str
    iface: str
    netns: str | None
    prog_id: int

    def write(self) -> Path | None:
        """Leave the mark (None when /run is not writable: then only a clean exit detaches)."""
        try:
            XDP_MARKS.mkdir(parents=True, exist_ok=True)
            path = XDP_MARKS / f"{self.owner}-{self.netns or 'root'}-{self.iface}"
            path.write_text(f"{self.owner} {self.iface} {self.netns or '-'} {self.prog_id}\n")
            return path
        except OSError:
            return None

    @classmethod
    def read(cls, path: Path) -> "XdpMark | None":
        """The mark in ``path``, or None if it is gone or unreadable."""
        try:
            owner, iface, ns, pid_of_prog = path.read_text().split()
            return cls(owner, iface, None if ns == "-" else ns, int(pid_of_prog))
        except (OSError, ValueError):
            return None


@dataclass
class BccCall:
    """What a call into BCC returned, the exception it raised instead (if any), and what its C code printed."""

    value: Any
    error: Exception | None
    log: str


def call_bcc(fn: Callable[..., Any], *args: Any, **kw: Any) -> BccCall:
    """Call into BCC with its C-level stderr captured; BCC raises bare ``Exception`` for everything, so catch that."""
    value, error = None, None
    with capture_stderr() as cap:
        try:
            value = fn(*args, **kw)
        except Exception as exc:
            error = exc
    return BccCall(value, error, cap.text)


def _why(log: str, source: str) -> str:
    """The verifier rule behind a rejection in one sentence (lab 05), or nothing if it cannot tell."""
    try:
        from .verifier import explain  # lazy: the loader must work even if lab 05's helper breaks

        exp = explain(log, source)
        return "" if exp.category in ("unknown", "accepted") else f"\n{exp.rule}"
    except Exception:
        return ""


def _survives_compiling(text: str, cflags: list[str]) -> None:
    """Compile C text in a child process first: some LLVM errors (a stack over 512 bytes) end the process."""
    code = ("import sys; from ebpflab.system import import_bcc; "
            "import_bcc().BPF(text=sys.stdin.read().encode(), cflags=sys.argv[1:])")
    try:
        run = subprocess.run([sys.executable, "-c", code, *cflags], input=text, capture_output=True, text=True,
                             timeout=120, cwd=str(BPF_DIR.parent))
    except subprocess.TimeoutExpired:
        raise CompileError("clang did not finish compiling this program within 120 seconds.", "") from None
    if run.returncode != 0 and "Traceback" not in run.stderr:  # a Python error is left to build() to report
        out = run.stderr.strip()[-2000:]
        raise CompileError("clang stopped the whole process while compiling this program (it would have taken "
                           f"the notebook's kernel with it){_stack_hint(out)}:", out)


# clang 14 says "the BPF stack limit of 512 bytes is exceeded", clang 19 "the BPF stack limit is exceeded".
STACK_LIMIT = re.compile(r"BPF stack limit (of \d+ bytes )?is exceeded")


def _stack_hint(output: str) -> str:
    """Name the 512-byte stack limit whichever clang worded it, or nothing for other errors."""
    return "; a BPF program has at most 512 bytes of stack" if STACK_LIMIT.search(output) else ""


def _clean_clang(text: str) -> str:
    """Drop BCC's preamble noise from clang's output, keeping the errors and their context."""
    keep = [line for line in text.splitlines() if not line.startswith(("In file included from <built-in>", "<built-in>"))]
    return "\n".join(keep).strip()
