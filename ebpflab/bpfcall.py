# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The bpf() system call itself, for what BCC does not wrap: probes, test runs, pins, pinned maps (lab 00).

One place knows the system call's number on every architecture Debian ships and the layout of
the few ``union bpf_attr`` members the kit uses (include/uapi/linux/bpf.h). Everything here is
plain ctypes over the C library: no BCC, so ``ebpflab export`` and the doctor run from any Python.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
from typing import Any

from .errors import LabError
from .messages import _
from .system import LIBC

# bpf() commands.
MAP_CREATE, MAP_LOOKUP_ELEM, MAP_GET_NEXT_KEY, PROG_LOAD, OBJ_PIN, OBJ_GET, PROG_TEST_RUN = 0, 1, 4, 5, 6, 7, 10
ATTR_SIZE = 128  # bigger than every member used here; the kernel wants the rest zeroed

# __NR_bpf per Debian architecture (amd64, i386, arm64, armel/armhf, ppc64el, riscv64, s390x,
# loong64, mips64el and mipsel), keyed by the ABI this interpreter runs (see ``abi()``).
SYS_BPF = {
    "x86_64": 321,
    "i386": 357,
    "aarch64": 280,
    "arm": 386,
    "ppc64le": 361,
    "ppc64": 361,
    "riscv64": 280,
    "s390x": 351,
    "loongarch64": 280,
    "mips64": 5315,
    "mips": 4355,
}
LIBC.syscall.restype = ctypes.c_long


def abi() -> str:
    """This process's ABI as a SYS_BPF key: a 32-bit userland on a 64-bit kernel counts as 32-bit."""
    m = platform.machine()
    bits32 = struct.calcsize("P") == 4
    if m in ("i386", "i486", "i586", "i686") or (m == "x86_64" and bits32):
        return "i386"
    if m.startswith("arm") or (m == "aarch64" and bits32):
        return "arm"
    if m.startswith("mips"):
        return "mips" if bits32 else "mips64"
    return m


def number() -> int:
    """The bpf() system call number here; LabError on an architecture the kit does not know."""
    nr = SYS_BPF.get(abi())
    if nr is None:
        raise LabError(_("ebpflab does not know the bpf() system call number on {machine}", machine=platform.machine()))
    return nr


def bpf(cmd: int, attr: Any) -> int:
    """Make one bpf() call with ``attr`` (bytes or a ctypes object, passed by reference); OSError on failure."""
    if isinstance(attr, (bytes, bytearray)):
        attr = ctypes.create_string_buffer(bytes(attr), ATTR_SIZE)
    res = LIBC.syscall(number(), cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return int(res)


def probe(cmd: int, attr: bytes) -> bool:
    """True if the kernel accepts this call; closes the fd it returns (the doctor's probes)."""
    try:
        os.close(bpf(cmd, attr))
        return True
    except (OSError, LabError):
        return False


# --- BPF_PROG_TEST_RUN --------------------------------------------------------------------------
class TestRunAttr(ctypes.Structure):
    """The ``test`` member of ``union bpf_attr``."""

    __test__ = False  # not a pytest class despite its name
    _fields_ = [
        ("prog_fd", ctypes.c_uint32),
        ("retval", ctypes.c_uint32),
        ("data_size_in", ctypes.c_uint32),
        ("data_size_out", ctypes.c_uint32),
        ("data_in", ctypes.c_uint64),
        ("data_out", ctypes.c_uint64),
        ("repeat", ctypes.c_uint32),
        ("duration", ctypes.c_uint32),
        ("ctx_size_in", ctypes.c_uint32),
        ("ctx_size_out", ctypes.c_uint32),
        ("ctx_in", ctypes.c_uint64),
        ("ctx_out", ctypes.c_uint64),
        ("flags", ctypes.c_uint32),
        ("cpu", ctypes.c_uint32),
        ("batch_size", ctypes.c_uint32),
        ("_pad", ctypes.c_uint32),
    ]


def prog_test_run(prog_fd: int, packet: bytes, repeat: int) -> tuple[int, int, bytes]:
    """Run a loaded program ``repeat`` times on ``packet`` in the kernel: (mean ns, return value, packet out)."""
    data_in = ctypes.create_string_buffer(packet, len(packet))
    out = ctypes.create_string_buffer(len(packet) + 512)  # XDP may grow the packet (headroom)
    attr = TestRunAttr(
        prog_fd=prog_fd,
        data_size_in=len(packet),
        data_size_out=len(out),
        data_in=ctypes.addressof(data_in),
        data_out=ctypes.addressof(out),
        repeat=repeat,
    )
    bpf(PROG_TEST_RUN, attr)
    return attr.duration, attr.retval, out.raw[: min(attr.data_size_out, len(out))]


# --- pins and pinned maps -------------------------------------------------------------------------
class _ObjAttr(ctypes.Structure):
    _fields_ = [("pathname", ctypes.c_uint64), ("bpf_fd", ctypes.c_uint32), ("file_flags", ctypes.c_uint32)]


class _ElemAttr(ctypes.Structure):
    _fields_ = [
        ("map_fd", ctypes.c_uint32),
        ("_pad", ctypes.c_uint32),
        ("key", ctypes.c_uint64),
        ("value", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
    ]


def obj_pin(fd: int, path: str) -> None:
    """Pin a map or program fd as a file in bpffs (OSError on failure)."""
    name = ctypes.create_string_buffer(path.encode())
    bpf(OBJ_PIN, _ObjAttr(pathname=ctypes.addressof(name), bpf_fd=fd))


def obj_get(path: str) -> int:
    """Open a pinned map or program: a new fd (OSError on failure)."""
    name = ctypes.create_string_buffer(path.encode())
    return bpf(OBJ_GET, _ObjAttr(pathname=ctypes.addressof(name)))


def map_items(fd: int, key_type: Any, value_type: Any) -> list[tuple[Any, Any]]:
    """Every (key, value) of map ``fd``, as ctypes objects of the given types (a snapshot, not atomic)."""
    items: list[tuple[Any, Any]] = []
    key, nxt = key_type(), key_type()
    first = True
    while True:
        attr = _ElemAttr(map_fd=fd, key=0 if first else ctypes.addressof(key), value=ctypes.addressof(nxt))
        try:
            bpf(MAP_GET_NEXT_KEY, attr)
        except OSError:
            return items  # ENOENT: past the last key
        value = value_type()
        try:
            bpf(MAP_LOOKUP_ELEM, _ElemAttr(map_fd=fd, key=ctypes.addressof(nxt), value=ctypes.addressof(value)))
            items.append((key_type.from_buffer_copy(nxt), value))
        except OSError:
            pass  # deleted between the two calls
        ctypes.memmove(ctypes.byref(key), ctypes.byref(nxt), ctypes.sizeof(key))
        first = False
