# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""BCC, libbpf (CO-RE) and bpftrace side by side: start-up, memory, what the target must hold (lab 11).

Each loader runs in a fresh child process, so that its start-up and its peak resident memory
are its own and not the notebook's: import, compile or open, load (the verifier), exit.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import REPO
from .errors import LabError
from .messages import _

_CHILD = {  # what each child imports, then what it does once imported
    "bcc": ("from ebpflab.loader import Program as P", "with P('{name}') as p: p.load()"),
    "libbpf": ("from ebpflab.libbpf import CoreProgram as P", "with P('{name}') as p: p.load()"),
    "python": ("import ebpflab.loader, ebpflab.libbpf", "pass"),
}
_TIMED = """import json, time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{work}
t2 = time.perf_counter()
# VmHWM, not ru_maxrss: the latter survives exec and would report the parent's (a notebook's) peak
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"import": t1 - t0, "load": t2 - t1, "max_rss_kib": hwm}}))
"""


@dataclass
class Startup:
    """One loader run: seconds to import, seconds from there to a verified program, peak RSS of the process."""

    engine: str
    import_seconds: float
    load_seconds: float
    max_rss_mib: float


def startup(engine: str, name: str = "xdp_count", timeout: float = 120) -> Startup:
    """Load ``name`` once with ``engine`` ("bcc", "libbpf" or "python" for the bare interpreter) in a child."""
    if engine not in _CHILD:
        raise LabError(_("unknown engine {engine!r}; use one of {known}", engine=engine, known=", ".join(_CHILD)))
    imports, work = _CHILD[engine]
    code = _TIMED.format(imports=imports, work=work.format(name=name))
    try:
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=str(REPO)
        )
    except subprocess.TimeoutExpired:
        raise LabError(
            _("loading {name} with {engine} took more than {timeout:.0f} s", name=name, engine=engine, timeout=timeout)
        ) from None
    if run.returncode != 0:
        raise LabError(
            _(
                "loading {name} with {engine} failed: {error}",
                name=name,
                engine=engine,
                error=run.stderr.strip().splitlines()[-1:],
            )
        )
    res = json.loads(run.stdout.strip().splitlines()[-1])
    return Startup(engine, res["import"], res["load"], res["max_rss_kib"] / 1024)


def _package_of(path: Path) -> str | None:
    run = subprocess.run(["dpkg-query", "-S", str(path)], capture_output=True, text=True)
    return run.stdout.split(":")[0].strip() if run.returncode == 0 else None


def _installed_kib(package: str) -> int:
    run = subprocess.run(["dpkg-query", "-W", "-f=${Installed-Size}", package], capture_output=True, text=True)
    return int(run.stdout or 0) if run.returncode == 0 else 0


def _depends(package: str) -> list[str]:
    run = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True, text=True)
    return [d.split()[0].split(":")[0] for d in run.stdout.replace("|", ",").split(",") if d.strip()]


def _shared_libs(path: Path) -> list[Path]:
    run = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
    return [Path(p.split("=>")[1].split()[0]) for p in run.stdout.splitlines() if "=>" in p and "/" in p.split("=>")[1]]


def _find_lib(name: str) -> Path | None:
    return next(
        (
            Path(d) / name
            for d in (f"/usr/lib/{platform.machine()}-linux-gnu", "/usr/lib64", "/usr/lib")
            if (Path(d) / name).exists()
        ),
        None,
    )


def footprint() -> dict[str, dict[str, int]]:
    """What must be installed on the target for each toolchain: {toolchain: {package or file: KiB}}."""
    import ctypes.util

    out: dict[str, dict[str, int]] = {"BCC": {}, "libbpf (CO-RE)": {}, "bpftrace": {}}

    def add(kind: str, *packages: str) -> None:
        for p in packages:
            if p and p not in out[kind]:
                out[kind][p] = _installed_kib(p)

    libbcc = _find_lib("libbcc.so.0")
    if libbcc:
        add("BCC", _package_of(libbcc.resolve()) or "", "python3-bpfcc")
        # libbcc carries clang and LLVM: the compiler runs on the target.
        add(
            "BCC",
            *[
                _package_of(lib.resolve()) or ""
                for lib in _shared_libs(libbcc)
                if "LLVM" in lib.name or "clang" in lib.name
            ],
        )
    build = Path("/lib/modules") / platform.release() / "build"
    if build.exists():
        headers = _package_of(build.resolve())
        if headers:
            add("BCC", headers, *[d for d in _depends(headers) if d.startswith("linux-headers-")])
    libbpf = ctypes.util.find_library("bpf")
    if libbpf:
        found = _find_lib(libbpf)
        if found:
            add("libbpf (CO-RE)", _package_of(found.resolve()) or "")
    obj = REPO / "build" / "xdp_count.bpf.o"
    if obj.exists():
        out["libbpf (CO-RE)"]["build/xdp_count.bpf.o"] = max(1, round(obj.stat().st_size / 1024))
    exe = Path("/usr/bin/bpftrace")
    if exe.exists():
        add(
            "bpftrace",
            "bpftrace",
            *[
                _package_of(lib.resolve()) or ""
                for lib in _shared_libs(exe)
                if "LLVM" in lib.name or "clang" in lib.name
            ],
        )
    return {k: {p: v for p, v in d.items() if p} for k, d in out.items()}
