# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Run a bpftrace one-liner from a notebook, bounded in time, and return what it printed (lab 11).

bpftrace compiles its little language with LLVM, loads, attaches, and prints its maps when it
stops: when the command given with ``-c`` exits, or when ``during`` has run (a probe on a system
call that only we make with a PID nobody has then calls ``exit()``).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from .errors import LabError
from .messages import _
from .system import require_root

# bpftrace 0.17 warns about RLIMIT_MEMLOCK on kernels that account BPF memory to cgroups (5.11+).
_NOISE = ("couldn't set RLIMIT_MEMLOCK",)
_READY = "ebpflab: bpftrace attached"


def run(
    program: str, *, command: list[str] | None = None, during: Callable[[], Any] | None = None, timeout: float = 60
) -> str:
    """Run ``program``; with ``command`` it traces that command (``cpid``), else it runs ``during()`` then stops."""
    require_root("bpftrace")
    exe = shutil.which("bpftrace")
    if exe is None:
        raise LabError(_("bpftrace is not installed: run `make lab` (it installs Debian's bpftrace)."))
    # BEGIN runs once every probe is attached: the one sure sign that tracing has started.
    argv = [exe, "-B", "line", "-e", f'BEGIN {{ printf("{_READY}\\n"); }} {program}']
    stop = random.randint(1 << 29, (1 << 30) - 1)  # no such PID: getpgid(stop) only fires the probe
    if during is not None:
        argv[-1] += f" tracepoint:syscalls:sys_enter_getpgid /args->pid == {stop}/ {{ exit(); }}"
    if command:
        # bpftrace wants an unambiguous path to the binary it forks
        argv += ["-c", " ".join([shutil.which(command[0]) or command[0], *command[1:]])]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    attached = threading.Event()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith(_READY):
                attached.set()
            else:
                lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while not attached.is_set() and proc.poll() is None and time.monotonic() < deadline:
            attached.wait(0.05)
        if not attached.is_set():
            reader.join(1)
            err = next(
                (ln.strip() for ln in lines if ln.startswith(("ERROR", "FATAL")) and not any(n in ln for n in _NOISE)),
                "".join(lines).strip()[-300:] or _("it did not attach within {timeout:.0f} s", timeout=timeout),
            )
            raise LabError(_("bpftrace refused the program: {err}", err=err))
        if during is not None:
            during()
            # Stop it from inside: bpftrace 0.17 sometimes sleeps through a SIGINT sent from a
            # program (it stays in epoll_wait), but exit() in a probe always ends it cleanly.
            with contextlib.suppress(OSError):
                os.getpgid(stop)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise LabError(_("bpftrace did not finish within {timeout:.0f} s", timeout=timeout)) from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(2)
    return "".join(ln for ln in lines if not any(n in ln for n in _NOISE))


def histogram(text: str, name: str) -> dict[str, int]:
    """The buckets of histogram ``@name`` in bpftrace's output: {"[64, 128)": 3, …}."""
    buckets: dict[str, int] = {}
    inside = False
    for line in text.splitlines():
        if line.startswith("@"):
            inside = line.split(":")[0] == f"@{name}"
        elif inside and (m := re.match(r"^([\[(][^\])]*[\])])\s+(\d+)\s+\|", line)):
            buckets[m.group(1)] = int(m.group(2))
    return buckets
