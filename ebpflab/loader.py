# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Compile a ``bpf/*.c`` program with BCC, load it, attach it, and always detach (lab 01).

One order for every program: build (compile), load (the verifier runs), attach, detach, destroy.
``Program`` is the build/destroy context manager; its attach methods are the attach/detach ones,
one per kind of hook: ``xdp()``, ``tc()``, ``tracepoint()``, ``uprobe()``, ``perf_event()``::

    with Program("xdp_count") as prog, prog.xdp(net["server"]):
        ...                      # traffic; read prog["counts"]

Lab 11's ``libbpf.CoreProgram`` has the same shape where both engines do the same thing: ``load()``
returns the program, ``fd(func)`` is a method, ``xdp(host)`` or ``xdp("eth0", netns=…)`` attaches
(through ``ebpflab.xdp``, the mark included), ``ring_buffer(name, on_record)`` hands each record over
as ``bytes``, and ``timing.measure(prog, packet)`` takes either program.

(BCC itself attaches functions named ``kprobe__…`` and ``TRACEPOINT_PROBE``'s while building,
as lab 08 shows; ``prog.tracepoint()`` attaches any other function and detaches.)

Clang's errors and the verifier's log are written by libbcc to the process's C-level stderr,
which a notebook never shows; they are captured at the file-descriptor level and carried by
``CompileError`` / ``VerifierError`` so that they reach the notebook.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from . import BPF_DIR, attach, rings, xdp
from .errors import CompileError, LabError, VerifierError
from .messages import _
from .netlab import Host
from .system import call_bcc, headers, import_bcc, require_root
from .verifierlog import explain

PROG_TYPES = {
    "xdp": "XDP",
    "tc": "SCHED_CLS",
    "sched_cls": "SCHED_CLS",
    "socket": "SOCKET_FILTER",
    "kprobe": "KPROBE",
    "tracepoint": "TRACEPOINT",
    "perf_event": "PERF_EVENT",
    "raw_tracepoint": "RAW_TRACEPOINT",
    "cgroup_skb": "CGROUP_SKB",
}


def resolve_source(source: str | Path) -> tuple[str, str, Path | None]:
    """Return (name, C text, path) for a program name in ``bpf/``, a path, or C text itself."""
    if isinstance(source, Path) or ("\n" not in str(source) and "{" not in str(source)):
        path = Path(source)
        candidates = [path, BPF_DIR / path, BPF_DIR / f"{path}.c"] if not path.is_absolute() else [path]
        for c in candidates:
            if c.is_file():
                return c.stem, inline_c_includes(c.read_text(), c.parent), c
        known = ", ".join(sorted(p.stem for p in BPF_DIR.glob("*.c")))
        raise LabError(_("no BPF program {name!r}; programs in bpf/: {known}", name=str(source), known=known))
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
            raise LabError(_("{name!r} is not a valid C macro name", name=name))
        if isinstance(value, bool):
            value = int(value)
        flags.append(f"-D{name}={value}")
    return flags


class Program:
    """A BPF C program compiled by BCC; a context manager that frees it on exit (lab 02)."""

    def __init__(
        self,
        source: str | Path,
        defines: Mapping[str, Any] | None = None,
        *,
        cflags: list[str] | None = None,
        debug: int = 0,
    ) -> None:
        self.name, self.text, self.path = resolve_source(source)
        self.defines = dict(defines or {})
        self.cflags = [f"-I{BPF_DIR}", *defines_to_cflags(self.defines), *(cflags or [])]
        self.debug = debug
        self.bpf: Any = None
        self.warnings = ""
        self.log = ""

    # --- build / destroy ----------------------------------------------------------------
    def __enter__(self) -> Program:
        self.build()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def build(self) -> Program:
        """Compile the C program to eBPF bytecode (no kernel involved yet)."""
        require_root(_("compiling and loading eBPF programs"))
        bcc = import_bcc()
        where = (
            str(self.path.relative_to(BPF_DIR.parent))
            if self.path and self.path.is_relative_to(BPF_DIR.parent)
            else self.name
        )
        if self.path is None:  # C text from a cell: the learner may be breaking things on purpose
            _survives_compiling(self.text, self.cflags)
        res = call_bcc(bcc.BPF, text=self.text.encode(), cflags=self.cflags, debug=self.debug)
        if res.error is not None:
            refused = re.search(r"could not open bpf map: (\S+?), error: (.+)", res.log)
            if refused:  # clang was done: the kernel would not make a map of the size asked for
                sizes = ", ".join(f"{k}={v}" for k, v in self.defines.items() if isinstance(v, int)) or _(
                    "its defaults"
                )
                raise LabError(
                    _(
                        "{where} compiled, but the kernel refused to create its map {map!r} "
                        "({error}) with the sizes asked for ({sizes}).",
                        where=where,
                        map=refused.group(1),
                        error=refused.group(2).strip(),
                        sizes=sizes,
                    )
                ) from None
            if "Failed to compile" not in str(res.error):
                # BCC attaches kprobe__/tracepoint__-named functions itself while building.
                raise LabError(
                    _("{where} compiled, but BCC could not attach it: {error}", where=where, error=res.error)
                ) from None
            if headers()[0] is None:  # BCC compiles against this kernel's headers (lab 11 shows CO-RE does not)
                raise CompileError(_("BCC cannot compile {where}: {why}.", where=where, why=headers()[1]), "") from None
            out = _clean_clang(res.log) or str(res.error)
            if _stack_hint(out):
                raise CompileError(
                    _("{where} did not compile; a BPF program has at most 512 bytes of stack:", where=where), out
                ) from None
            raise CompileError(_("{where} did not compile:", where=where), out) from None
        self.bpf, self.warnings = res.value, res.log
        return self

    def close(self) -> None:
        """Free the program, its maps and any attachment BCC still holds."""
        if self.bpf is not None:
            call_bcc(self.bpf.cleanup)
            self.bpf = None

    # --- load ---------------------------------------------------------------------------
    def load(self, func: str | None = None, prog_type: str = "xdp") -> Program:
        """Hand one function to the kernel (BCC loads function by function); a rejection is a VerifierError."""
        self._function(func, prog_type)
        return self

    def fd(self, func: str | None = None, prog_type: str = "xdp") -> int:
        """The file descriptor of a loaded function, loading it first (for BPF_PROG_TEST_RUN, bpftool …)."""
        return self._function(func, prog_type).fd

    def _function(self, func: str | None, prog_type: str) -> Any:
        """The BCC function object of ``func``, loaded (BCC keeps it: a second call is free)."""
        if self.bpf is None:
            self.build()
        bcc = import_bcc()
        func = func or self.name
        kind = PROG_TYPES.get(prog_type.lower())
        if kind is None:
            raise LabError(
                _(
                    "unknown program type {prog_type!r}; known: {known}",
                    prog_type=prog_type,
                    known=", ".join(PROG_TYPES),
                )
            )
        res = call_bcc(self.bpf.load_func, func.encode(), getattr(bcc.BPF, kind))
        self.log = res.log
        if res.error is not None:
            if "Unknown program" in str(res.error):
                raise LabError(_("{program} has no function {func!r}", program=self.name, func=func)) from None
            raise VerifierError(
                _(
                    "the verifier rejected {func}() from {program}: {error}",
                    func=func,
                    program=self.name,
                    error=res.error,
                )
                + _why(res.log, self.text),
                res.log,
                program=self.name,
                func=func,
            ) from None
        return res.value

    # --- attach / detach ----------------------------------------------------------------
    # --- attach / detach: one context manager per kind of hook --------------------------------
    def xdp(
        self, where: Host | str, func: str | None = None, mode: str = "generic", *, netns: str | None = None
    ) -> AbstractContextManager[None]:
        """Attach ``func`` at XDP on a lab host's eth0 (or on interface ``where`` in ``netns``) for the block."""
        iface, ns, label = xdp.where(where, netns)
        return attach.xdp_attached(self._function(func, "xdp"), iface, ns, mode, label=label)

    def tc(self, host: Host, *, ingress: str | None = None, egress: str | None = None) -> AbstractContextManager[None]:
        """Attach functions on ``host``'s tc ingress and/or egress hook (a clsact qdisc) for the block."""
        wanted = {d: f for d, f in (("ingress", ingress), ("egress", egress)) if f}
        if not wanted:
            raise LabError(
                _("say which function goes on ingress and/or egress, e.g. prog.tc(host, egress='tc_count_egress')")
            )
        return attach.tc_attached({d: self._function(f, "tc") for d, f in wanted.items()}, host)

    def tracepoint(self, tp: str, func: str | None = None) -> AbstractContextManager[Any]:
        """Run ``func`` (by default TRACEPOINT_PROBE's function) at tracepoint ``category:event`` for the block."""
        if tp.count(":") != 1:
            raise LabError(_("name a tracepoint as category:event (e.g. sock:inet_sock_set_state), not {tp!r}", tp=tp))
        fn = self._function(func or "tracepoint__" + tp.replace(":", "__"), "tracepoint")
        return attach.tracepoint_attached(self.bpf, fn, tp)

    def uprobe(self, target: Any, sym: str, func: str, *, ret: bool = False) -> AbstractContextManager[Any]:
        """Run ``func`` when ``target`` (a ``hooks.Target``, or a binary's path) enters, or with ``ret`` returns from, ``sym``."""
        fn = self._function(func, "kprobe")  # uprobes are kprobe-type programs: the verifier's log reaches the notebook
        binary, pid = (str(target.path), target.pid) if hasattr(target, "path") else (str(target), -1)
        return attach.uprobe_attached(self.bpf, fn, binary, sym, pid, ret)

    def perf_event(self, func: str, sample_hz: int = 99) -> AbstractContextManager[Any]:
        """Run ``func`` ``sample_hz`` times a second on every CPU (the software cpu-clock event) for the block."""
        return attach.cpu_clock_attached(self.bpf, self._function(func, "perf_event"), sample_hz)

    def ring_buffer(
        self, name: str, on_record: Callable[[bytes], Any], *, interval: float = 0.05
    ) -> AbstractContextManager[None]:
        """Poll ring buffer ``name`` in a background thread for the block, calling ``on_record(bytes)`` (see ``rings``)."""
        errors: list[Exception] = []
        self[name].open_ring_buffer(rings.sample_fn(on_record, errors))
        return rings.polled(
            name, lambda: self.bpf.ring_buffer_poll(int(interval * 1000)), self.bpf.ring_buffer_consume, errors
        )

    # --- maps ---------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        if self.bpf is None:
            raise LabError(_("{program} is not built yet: use `with Program(...) as prog:`", program=self.name))
        try:
            return self.bpf[name.encode()]
        except KeyError:
            raise LabError(_("{program} has no map named {name!r}", program=self.name, name=name)) from None

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
        prog_id = str(xdp.prog_id(self.fd(func, prog_type)))
        res = subprocess.run(["bpftool", "prog", "dump", "xlated", "id", prog_id], capture_output=True, text=True)
        if res.returncode != 0:
            if not res.stderr.strip():
                raise LabError(_("bpftool could not dump program {id}: is bpftool installed?", id=prog_id))
            raise LabError(_("bpftool could not dump program {id}: {error}", id=prog_id, error=res.stderr.strip()))
        return res.stdout


def _why(log: str, source: str) -> str:
    """The verifier rule behind a rejection in one sentence (lab 05), or nothing if it cannot tell."""
    exp = explain(log, source)
    return "" if exp.category in ("unknown", "accepted") else f"\n{exp.rule}"


def compile_timeout() -> float:
    """Seconds a compile may take: 120, or ``EBPFLAB_COMPILE_TIMEOUT`` (a machine emulated in software, as in
    ``make vm-test``, compiles a program that includes kernel headers 20-40 times slower)."""
    value = os.environ.get("EBPFLAB_COMPILE_TIMEOUT") or "120"
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 1 <= seconds <= 3600:  # NaN fails too
        raise LabError(
            _("EBPFLAB_COMPILE_TIMEOUT must be a number of seconds from 1 to 3600, not {value!r}", value=value)
        )
    return seconds


def _survives_compiling(text: str, cflags: list[str]) -> None:
    """Compile C text in a child process first: some LLVM errors (a stack over 512 bytes) end the process."""
    limit = compile_timeout()
    code = (
        "import sys; from ebpflab.system import import_bcc; "
        "import_bcc().BPF(text=sys.stdin.read().encode(), cflags=sys.argv[1:])"
    )
    try:
        run = subprocess.run(
            [sys.executable, "-c", code, *cflags],
            input=text,
            capture_output=True,
            text=True,
            timeout=limit,
            cwd=str(BPF_DIR.parent),
        )
    except subprocess.TimeoutExpired:
        raise CompileError(
            _("clang did not finish compiling this program within {limit:g} seconds.", limit=limit), ""
        ) from None
    if run.returncode != 0 and "Traceback" not in run.stderr:  # a Python error is left to build() to report
        out = run.stderr.strip()[-2000:]
        if _stack_hint(out):
            raise CompileError(
                _(
                    "clang stopped the whole process while compiling this program (it would have taken "
                    "the notebook's kernel with it); a BPF program has at most 512 bytes of stack:"
                ),
                out,
            )
        raise CompileError(
            _(
                "clang stopped the whole process while compiling this program (it would have taken "
                "the notebook's kernel with it):"
            ),
            out,
        )


# clang 14 says "the BPF stack limit of 512 bytes is exceeded", clang 18 and 19 "the BPF stack limit is exceeded".
STACK_LIMIT = re.compile(r"BPF stack limit (of \d+ bytes )?is exceeded")


def _stack_hint(output: str) -> str:
    """Name the 512-byte stack limit whichever clang worded it, or nothing for other errors."""
    return "; a BPF program has at most 512 bytes of stack" if STACK_LIMIT.search(output) else ""


def _clean_clang(text: str) -> str:
    """Drop BCC's preamble noise from clang's output, keeping the errors and their context."""
    keep = [
        line for line in text.splitlines() if not line.startswith(("In file included from <built-in>", "<built-in>"))
    ]
    return "\n".join(keep).strip()
