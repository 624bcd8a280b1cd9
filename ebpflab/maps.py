# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Maps from user space: pin one in bpffs, read it with bpftool, rank its entries (lab 03).

A map lives in the kernel as long as something holds a reference to it: the program, a file
descriptor, or a pin (a file in the bpf file system). ``pinned()`` pins a map under
``/sys/fs/bpf/ebpflab/<pid>_<start>/`` for the block and always unpins it (``ebpflab cleanup`` removes the
pins of a process that died before it could), so ``bpftool`` in another process reads the same map.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from . import bpfcall, system
from .errors import LabError
from .messages import _

PIN_ROOT = Path("/sys/fs/bpf/ebpflab")  # every lab's pins, a folder per owner tag


def ipv4_key(addr: str) -> int:
    """The integer a ``__be32`` map key holds for ``addr`` (network byte order, read natively)."""
    try:
        packed = ipaddress.IPv4Address(addr).packed
    except ValueError:
        raise LabError(_("{addr!r} is not an IPv4 address", addr=addr)) from None
    return struct.unpack("=I", packed)[0]


def ipv4_of(key: Any) -> str:
    """The dotted address of a ``__be32`` map key (a ctypes integer or an int)."""
    return socket.inet_ntoa(struct.pack("=I", getattr(key, "value", key)))


def top(table: Any, n: int = 10, by: str = "bytes") -> list[tuple[str, int, int]]:
    """The ``n`` biggest talkers of a map ``__be32 -> {packets, bytes}``: (address, packets, bytes)."""
    if by not in ("bytes", "packets"):
        raise LabError(_("top() ranks by 'bytes' or 'packets', not {by!r}", by=by))
    rows = [(ipv4_of(k), v.packets, v.bytes) for k, v in table.items()]
    rows.sort(key=lambda r: r[2] if by == "bytes" else r[1], reverse=True)
    return rows[:n]


def pin_dir() -> Path:
    """This process's pin folder in bpffs, named by its owner tag (``ebpflab cleanup`` knows it by that)."""
    return PIN_ROOT / system.owner_tag()


@contextmanager
def pinned(table: Any, name: str) -> Iterator[Path]:
    """Pin a BCC map as ``/sys/fs/bpf/ebpflab/<pid>_<start>/<name>`` for the block, then unpin it."""
    if not name or "/" in name or name.startswith("."):
        raise LabError(_("{name!r} is not a plain file name for a pin", name=name))
    if not os.path.ismount("/sys/fs/bpf"):
        raise LabError(
            _("the bpf file system is not mounted on /sys/fs/bpf: run `make lab` (scripts/setup.sh mounts it)")
        )
    folder = pin_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        bpfcall.obj_pin(table.map_fd, str(path))
    except OSError as exc:
        raise LabError(
            _("could not pin map {name} at {path}: {error}", name=name, path=path, error=exc.strerror)
        ) from None
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # unpinning is deleting the file; the map lives on with its program
        with suppress(OSError):  # other pins of this process are still there
            folder.rmdir()


def bpftool(*args: str) -> Any:
    """Run ``bpftool -j ARGS`` and return its JSON output (one sentence if bpftool fails)."""
    exe = shutil.which("bpftool") or next(
        (p for p in ("/usr/sbin/bpftool", "/sbin/bpftool") if os.path.exists(p)), None
    )
    if exe is None:
        raise LabError(_("bpftool is not installed: run `make lab` (scripts/setup.sh installs it)"))
    res = subprocess.run([exe, "-j", *args], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        msg = res.stderr.strip() or res.stdout.strip()
        with suppress(ValueError, KeyError, TypeError):
            msg = json.loads(res.stdout)["error"]
        raise LabError(_("`{command}` failed: {error}", command="bpftool " + " ".join(args), error=msg))
    return json.loads(res.stdout) if res.stdout.strip() else None


def hexbytes(value: int, size: int) -> list[str]:
    """``value`` as the little-endian byte list bpftool's ``key hex ...`` / ``value hex ...`` expect."""
    return [f"{b:02x}" for b in value.to_bytes(size, "little")]


def raw(entry: dict) -> tuple[bytes, bytes]:
    """Key and value bytes of one ``bpftool -j map dump`` entry (present with or without BTF)."""
    return bytes(int(b, 16) for b in entry["key"]), bytes(int(b, 16) for b in entry["value"])
