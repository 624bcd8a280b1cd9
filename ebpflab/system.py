# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Facts about this machine that every lab depends on: root, BCC, kernel headers, mounts (lab 00).

It is also the one way into BCC: ``import_bcc()`` finds the distribution's module from any
interpreter, and ``call_bcc()`` runs a BCC call with its C-level stderr captured (clang's errors and
the verifier's log are written there, where a notebook never shows them).
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import platform
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import MissingBCCError, NotRootError
from .messages import _

# Where distributions put BCC's pure-Python module (Debian/Ubuntu, Fedora, Arch).
SYSTEM_BCC_DIRS = [
    Path("/usr/lib/python3/dist-packages"),
    *sorted(Path("/usr/lib").glob("python3*/site-packages"), reverse=True),
    *sorted(Path("/usr/lib64").glob("python3*/site-packages"), reverse=True),
]

MOUNTS = {"tracefs": "/sys/kernel/tracing", "debugfs": "/sys/kernel/debug", "bpf": "/sys/fs/bpf"}
LIBC = ctypes.CDLL(None, use_errno=True)  # the C library of this process, for the whole package
_stderr_lock = threading.Lock()


def is_root() -> bool:
    """True when this process may load BPF programs and build namespaces."""
    return os.geteuid() == 0


def require_root(what: str = "this") -> None:
    """Raise NotRootError with one sentence when not running as root (``what``: a phrase, given through ``_()``)."""
    if not is_root():
        raise NotRootError(
            _("{what} needs root: start JupyterLab with `make lab`, or run the command with sudo.", what=what)
        )


# --- who made it: how `ebpflab cleanup` tells a running lab from the leftovers of a dead one ---------
def start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot, /proc/PID/stat field 22); None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 2 (the command name) may hold spaces and parentheses: count fields after its last ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


def owner_tag() -> str:
    """This process as ``<pid>_<start time>``: put in every name and record the kit leaves behind (lab 00).

    A pid alone is reused by the kernel after the process dies; the pair is not.
    """
    pid = os.getpid()
    return f"{pid}_{start_time(pid)}"


def owner_alive(tag: str) -> bool:
    """True while the process that wrote ``tag`` runs (a bare pid, from older kits, is judged by the pid)."""
    pid, _sep, start = tag.partition("_")
    if not pid.isdigit() or (start and not start.isdigit()):
        return False
    now = start_time(int(pid))
    return now is not None and (not start or now == int(start))


def import_bcc() -> ModuleType:
    """Import BCC, from this interpreter or else from the distribution's python3-bpfcc."""
    try:
        return importlib.import_module("bcc")
    except ImportError:
        pass
    # BCC's Python module is pure Python over libbcc.so.0, so a conda or pyenv interpreter can
    # use the distribution's copy. Import that package alone, not its whole dist-packages.
    for base in SYSTEM_BCC_DIRS:
        init = base / "bcc" / "__init__.py"
        if not init.exists():
            continue
        spec = importlib.util.spec_from_file_location("bcc", init, submodule_search_locations=[str(init.parent)])
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules["bcc"] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # e.g. libbcc.so.0 missing
            del sys.modules["bcc"]
            raise MissingBCCError(
                _(
                    "found BCC at {path} but it did not load ({error}); reinstall python3-bpfcc.",
                    path=init.parent,
                    error=exc,
                )
            ) from None
        return module
    raise MissingBCCError(
        _(
            "BCC is not installed: run `make lab` (it installs bpfcc-tools and python3-bpfcc), "
            "or `apt-get install python3-bpfcc`. The PyPI package named bcc is unrelated: do not pip-install it."
        )
    )


class Captured:
    """Text written to fd 2 while a ``capture_stderr()`` block ran."""

    text: str = ""


@contextmanager
def capture_stderr() -> Iterator[Captured]:
    """Capture everything written to file descriptor 2 (C code included) during the block."""
    cap = Captured()
    with _stderr_lock, tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stderr.flush()
        LIBC.fflush(None)
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield cap
        finally:
            LIBC.fflush(None)
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            cap.text = tmp.read().decode(errors="replace")


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


def headers() -> tuple[Path | None, str]:
    """The kernel headers BCC will use, and a sentence saying whether they match the running kernel."""
    build = Path("/lib/modules") / platform.release() / "build"
    if not build.exists():
        return None, _("no kernel headers at {path}: run `make lab` to install them", path=build)
    target = build.resolve()
    if platform.release() in target.name:
        return target, _("headers for this kernel ({path})", path=target)
    return target, _("generic headers linked in ({name}); fine for XDP, tc and tracepoints", name=target.name)


# --- columns of a table a learner reads: a Japanese character takes two columns in a terminal ----------
def text_width(text: str) -> int:
    """How many terminal columns ``text`` takes (wide and full-width characters count two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def ljust(text: str, width: int) -> str:
    """``text`` padded with spaces on the right to ``width`` columns (``str.ljust`` for English)."""
    return text + " " * (width - text_width(text))


def rjust(text: str, width: int) -> str:
    """``text`` padded with spaces on the left to ``width`` columns (``str.rjust`` for English)."""
    return " " * (width - text_width(text)) + text


def is_mounted(path: str) -> bool:
    """True when ``path`` is a mount point (per /proc/self/mounts)."""
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


def mount_pseudo_filesystems() -> list[str]:
    """Mount tracefs, debugfs and bpffs where missing; return what was mounted."""
    import subprocess

    done = []
    for fstype, path in MOUNTS.items():
        if not is_mounted(path):
            os.makedirs(path, exist_ok=True)
            if subprocess.run(["mount", "-t", fstype, fstype, path], capture_output=True).returncode == 0:
                done.append(f"{fstype} on {path}")
    return done
