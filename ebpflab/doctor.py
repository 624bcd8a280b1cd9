# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What this machine can do for the labs: ``ebpflab doctor`` and the hook table the labs consult (lab 00).

Hook points are probed for real where that is cheap (a two-instruction program or a ring buffer
handed to the ``bpf()`` system call) and read from the kernel's own files otherwise.
"""

from __future__ import annotations

import ctypes
import functools
import gzip
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import bpfcall, system
from .messages import N_, _

# program and map types (include/uapi/linux/bpf.h).
PROG_TYPE = {"socket_filter": 1, "kprobe": 2, "sched_cls": 3, "tracepoint": 5, "xdp": 6, "perf_event": 7}
MAP_RINGBUF = 27


@dataclass
class Check:
    """One line of the doctor's table."""

    name: str
    ok: bool
    detail: str
    blocking: bool = True  # False: a lab degrades gracefully without it

    @property
    def mark(self) -> str:
        """✔, ✘ (blocks the labs) or – (some lab will skip a part)."""
        return "✔" if self.ok else ("✘" if self.blocking else "–")


def probe_prog(prog_type: str) -> bool:
    """Load ``r0 = 2; exit`` as a program of this type: True if the kernel accepts the type."""
    insns = ctypes.create_string_buffer(bytes.fromhex("b7000000020000009500000000000000"), 16)
    lic = ctypes.create_string_buffer(b"GPL")
    attr = (
        PROG_TYPE[prog_type].to_bytes(4, "little")
        + (2).to_bytes(4, "little")
        + ctypes.addressof(insns).to_bytes(8, "little")
        + ctypes.addressof(lic).to_bytes(8, "little")
    )
    return bpfcall.probe(bpfcall.PROG_LOAD, attr)


def probe_ringbuf() -> bool:
    """Create a 4 KiB BPF ring buffer: True if the kernel has them (5.8+)."""
    attr = b"".join(x.to_bytes(4, "little") for x in (MAP_RINGBUF, 0, 0, os.sysconf("SC_PAGE_SIZE")))
    return bpfcall.probe(bpfcall.MAP_CREATE, attr)


@functools.lru_cache(maxsize=1)
def kernel_config() -> dict[str, str]:
    """The running kernel's config from /proc/config.gz or /boot, empty when neither exists."""
    for path in (Path("/proc/config.gz"), Path(f"/boot/config-{platform.release()}")):
        try:
            raw = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
        except OSError:
            continue
        cfg = {}
        for line in raw.splitlines():
            if line.startswith("CONFIG_"):
                k, _, v = line.partition("=")
                cfg[k] = v
            elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
                cfg[line[2:].split()[0]] = "n"
        return cfg
    return {}


def _config_says(option: str) -> bool | None:
    cfg = kernel_config()
    return None if not cfg else cfg.get(option, "n") in ("y", "m")


def _readable(path: Path) -> bool:
    """True if root can read ``path``: where ftrace is locked down (EPERM), fentry loads fail alike (lab 08)."""
    try:
        with open(path, "rb") as f:
            f.read(1)
        return True
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def hooks() -> dict[str, bool]:
    """Which hook points this kernel offers; the labs decide what to run from this table."""
    if not system.is_root():
        return {k: False for k in ("xdp", "tc", "ringbuf", "tracepoint", "uprobe", "kprobe", "fentry", "perf_event")}
    system.mount_pseudo_filesystems()
    events = Path("/sys/bus/event_source/devices")
    tracing = Path("/sys/kernel/tracing")
    kprobes = (events / "kprobe").exists() or (tracing / "kprobe_events").exists()
    if _config_says("CONFIG_KPROBES") is False:
        kprobes = False
    fentry = (
        Path("/sys/kernel/btf/vmlinux").exists()
        and _readable(tracing / "available_filter_functions")
        and _config_says("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS") is not False
    )
    return {
        "xdp": probe_prog("xdp"),
        "tc": probe_prog("sched_cls"),
        "ringbuf": probe_ringbuf(),
        "tracepoint": (tracing / "events").is_dir() and probe_prog("tracepoint"),
        "uprobe": (events / "uprobe").exists() or (tracing / "uprobe_events").exists(),
        "kprobe": kprobes,
        "fentry": fentry,
        "perf_event": Path("/proc/sys/kernel/perf_event_paranoid").exists() and probe_prog("perf_event"),
    }


def _lsm_list() -> list[str]:
    """The kernel's active LSMs: securityfs when mounted, else the boot line's lsm=, else CONFIG_LSM."""
    try:
        return Path("/sys/kernel/security/lsm").read_text().strip().split(",")
    except OSError:
        pass
    try:
        for arg in Path("/proc/cmdline").read_text().split():
            if arg.startswith("lsm="):
                return arg[4:].split(",")
    except OSError:
        pass
    return kernel_config().get("CONFIG_LSM", "").strip('"').split(",")


@functools.lru_cache(maxsize=1)
def enforcement() -> dict[str, bool]:
    """How lab 10 can enforce a policy here: kill from a tracepoint, and/or deny with BPF LSM."""
    major, minor = (int(x) for x in platform.release().split(".")[:2])
    table = hooks()
    return {
        "send_signal": (major, minor) >= (5, 3) and table["tracepoint"],  # bpf_send_signal() came in 5.3
        # BPF LSM programs attach through the same BTF trampolines as fentry
        "bpf_lsm": "bpf" in _lsm_list() and _config_says("CONFIG_BPF_LSM") is not False and table["fentry"],
    }


ENFORCE_WHY = {
    "send_signal": (
        N_("lab 10 kills a process from a tracepoint (bpf_send_signal)"),
        N_("no bpf_send_signal from tracepoints (kernel older than 5.3): lab 10 only observes"),
    ),
    "bpf_lsm": (
        N_("lab 10 can also deny an exec with -EPERM (BPF LSM)"),
        N_(
            "no BPF LSM here (needs CONFIG_BPF_LSM, 'bpf' in the LSM list and BTF trampolines): "
            "lab 10 kills instead of denying"
        ),
    ),
}


HOOK_WHY = {
    "xdp": N_("labs 02-07 and 09 attach XDP programs"),
    "tc": N_("lab 08 shows the tc hook (egress)"),
    "ringbuf": N_("lab 06's tcpdump streams packets through a ring buffer (kernel 5.8+)"),
    "tracepoint": N_("lab 08 counts system calls with tracepoints"),
    "uprobe": N_("lab 08 traces a user-space function"),
    "kprobe": N_("lab 08 uses kprobes where the kernel has them (CONFIG_KPROBES)"),
    "fentry": N_("lab 08 uses fentry where BTF and ftrace allow"),
    "perf_event": N_("lab 08 samples stacks with perf events"),
}
NEEDED_HOOKS = {"xdp", "tracepoint"}


def run_checks() -> list[Check]:
    """Every check, in the order the doctor prints them."""
    checks = [
        Check(
            "root",
            system.is_root(),
            _("running as root")
            if system.is_root()
            else _("not root: run `sudo ebpflab doctor`, and start the labs with `make lab`"),
        )
    ]
    rel = platform.release()
    major, minor = (int(x) for x in rel.split(".")[:2])
    checks.append(
        Check(
            "kernel",
            (major, minor) >= (5, 8),
            _("Linux {release}", release=rel)
            if (major, minor) >= (5, 8)
            else _("Linux {release}: too old, the labs need 5.8 or newer", release=rel),
        )
    )
    btf = Path("/sys/kernel/btf/vmlinux").exists()
    checks.append(
        Check(
            "BTF",
            btf,
            _("/sys/kernel/btf/vmlinux present: CO-RE programs (lab 11) and fentry can run")
            if btf
            else _("no kernel BTF: lab 11's CO-RE programs and fentry are unavailable"),
            blocking=False,
        )
    )
    jit = Path("/proc/sys/net/core/bpf_jit_enable")
    jit_on = jit.exists() and jit.read_text().strip() != "0"
    checks.append(
        Check(
            "JIT",
            jit_on,
            _("the BPF JIT compiles programs to machine code")
            if jit_on
            else _("the JIT is off: programs run in the interpreter (slower)"),
            blocking=False,
        )
    )
    path, sentence = system.headers()
    checks.append(Check("headers", path is not None, sentence))
    try:
        bcc = system.import_bcc()
        where = Path(bcc.__file__ or "?").parent
        checks.append(
            Check("BCC", True, _("bcc {version} from {path}", version=getattr(bcc, "__version__", "?"), path=where))
        )
    except system.MissingBCCError as exc:
        checks.append(Check("BCC", False, str(exc)))
    checks.extend(toolchain_checks())
    if system.is_root():
        system.mount_pseudo_filesystems()
    for fstype, mnt in system.MOUNTS.items():
        mounted = system.is_mounted(mnt)
        checks.append(
            Check(
                fstype,
                mounted,
                _("mounted on {path}", path=mnt)
                if mounted
                else _("not mounted on {path}: run as root to mount it", path=mnt),
                blocking=fstype != "debugfs",
            )
        )
    root = system.is_root()
    for hook, present in hooks().items():
        why = _(HOOK_WHY[hook])
        detail = why if present else _("not offered by this kernel: {why}, so that part is skipped", why=why)
        if not root:  # probing a hook loads a program: without root nothing can be said about the kernel
            detail = _("not probed: loading a test program needs root (run `sudo ebpflab doctor`); {why}", why=why)
        elif hook == "kprobe" and not present:
            detail = _(
                "this kernel has no kprobes (CONFIG_KPROBES is off): lab 08 says so and uses tracepoints instead"
            )
        checks.append(Check(f"hook: {hook}", present, detail, blocking=hook in NEEDED_HOOKS))
    for way, present in enforcement().items():
        checks.append(Check(f"enforce: {way}", present, _(ENFORCE_WHY[way][0 if present else 1]), blocking=False))
    return checks


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return next((line.strip() for line in out.splitlines() if line.strip()), "")


def toolchain_checks() -> list[Check]:
    """Lab 11's tools: clang, bpftool, libbpf and bpftrace, and what each enables."""
    from . import libbpf

    found = {name: shutil.which(name) for name in ("clang", "bpftool", "bpftrace")}
    lib = libbpf.version()
    rows = [
        (
            "clang",
            found["clang"],
            lambda: _version(["clang", "--version"]),
            N_("compiles bpf/*.bpf.c once into CO-RE objects (lab 11)"),
        ),
        (
            "bpftool",
            found["bpftool"],
            lambda: _version(["bpftool", "version"]),
            N_("generates build/vmlinux.h from the kernel's BTF (lab 11) and dumps loaded programs (lab 05)"),
        ),
        ("libbpf", lib, lambda: f"libbpf {lib}", N_("loads CO-RE objects from Python through ctypes (lab 11)")),
        ("bpftrace", found["bpftrace"], lambda: _version(["bpftrace", "--version"]), N_("runs lab 11's one-liners")),
    ]
    return [
        Check(
            name,
            bool(there),
            _("{version}: {enables}", version=what(), enables=_(enables))
            if there
            else _("not installed (`make lab` installs it); it {enables}", enables=_(enables)),
            blocking=False,
        )
        for name, there, what, enables in rows
    ]


def report(checks: list[Check]) -> str:
    """The doctor's table as text."""
    width = max(len(c.name) for c in checks)
    lines = [f"{c.mark} {c.name:<{width}}  {c.detail}" for c in checks]
    blockers = [c for c in checks if c.blocking and not c.ok]
    lines.append("")
    lines.append(
        _("ready for the labs.")
        if not blockers
        else _(
            "{count} problem(s) block the labs: {names}", count=len(blockers), names="; ".join(c.name for c in blockers)
        )
    )
    return "\n".join(lines)


def main(args: object = None) -> int:
    """``ebpflab doctor``: print the table; exit 1 when something blocks the labs."""
    checks = run_checks()
    print(report(checks))
    return 1 if any(c.blocking and not c.ok for c in checks) else 0
