# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Field offsets of kernel structs, read from the running kernel's BTF (lab 10).

BCC compiles against the kernel headers it finds; when they do not match the running kernel
(another build, another version), ``task->real_parent`` reads the wrong bytes. The kernel
describes its own structs in ``/sys/kernel/btf/vmlinux``: this module reads a member's offset
there, and the C program gets it as a define — CO-RE's idea ("compile once, relocate") by hand.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

from .errors import LabError
from .messages import _

VMLINUX = Path("/sys/kernel/btf/vmlinux")
KIND_STRUCT, KIND_UNION, KIND_PTR = 4, 5, 2
KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG = 8, 9, 10, 11, 18
# bytes that follow a type's 12-byte header: fixed, and per member (vlen)
_EXTRA = {
    1: (4, 0),
    3: (12, 0),
    4: (0, 12),
    5: (0, 12),
    6: (0, 8),
    13: (0, 8),
    14: (4, 0),
    15: (0, 12),
    17: (4, 0),
    19: (0, 12),
}


@functools.lru_cache(maxsize=1)
def _types() -> tuple[list[tuple[int, int, int, int, list[tuple[int, int, int]]]], bytes, dict[str, list[int]]]:
    """Every type of the kernel's BTF: (name_off, kind, kind_flag, size_or_type, members); strings; names."""
    try:
        raw = VMLINUX.read_bytes()
    except OSError:
        raise LabError(
            _("this kernel has no BTF ({path} is missing), so struct offsets cannot be read", path=VMLINUX)
        ) from None
    magic, _ver, _flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<HBBIIIII", raw)
    if magic != 0xEB9F:
        raise LabError(_("{path} is not BTF in this machine's byte order", path=VMLINUX))
    strings = raw[hdr_len + str_off : hdr_len + str_off + str_len]
    types: list = [(0, 0, 0, 0, [])]  # type id 0 is void
    names: dict[str, list[int]] = {}
    pos, end = hdr_len + type_off, hdr_len + type_off + type_len
    while pos < end:
        name_off, info, size = struct.unpack_from("<III", raw, pos)
        kind, vlen, kflag = (info >> 24) & 0x1F, info & 0xFFFF, info >> 31
        pos += 12
        fixed, each = _EXTRA.get(kind, (0, 0))
        members = []
        if kind in (KIND_STRUCT, KIND_UNION):
            members = [struct.unpack_from("<III", raw, pos + 12 * i) for i in range(vlen)]
            if name_off:
                names.setdefault(_name(strings, name_off), []).append(len(types))
        types.append((name_off, kind, kflag, size, members))
        pos += fixed + each * vlen
    return types, strings, names


def _name(strings: bytes, off: int) -> str:
    return strings[off : strings.index(b"\0", off)].decode()


def _resolve(types: list, tid: int) -> int:
    """Follow typedefs and qualifiers to the type underneath."""
    while types[tid][1] in (KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG):
        tid = types[tid][3]
    return tid


def _member(types: list, strings: bytes, tid: int, name: str) -> tuple[int, int] | None:
    """(byte offset, type id) of member ``name`` of struct/union ``tid``, anonymous members searched."""
    _n, _kind, kflag, _size, members = types[tid]
    for m_name, m_type, m_off in members:
        bits = m_off & 0xFFFFFF if kflag else m_off
        if m_name and _name(strings, m_name) == name:
            return bits // 8, m_type
        if not m_name:
            inner = _resolve(types, m_type)
            if types[inner][1] in (KIND_STRUCT, KIND_UNION):
                found = _member(types, strings, inner, name)
                if found:
                    return bits // 8 + found[0], found[1]
    return None


def offset(path: str) -> int:
    """Byte offset of ``struct.member[.member…]`` (embedded structs, not pointers), e.g. ``net.ns.inum``."""
    types, strings, names = _types()
    sname, *fields = path.split(".")
    ids = names.get(sname, [])
    if not ids or not fields:
        raise LabError(_("no struct {sname} in this kernel's BTF", sname=sname))
    for tid in ids:  # a name may have several definitions; take the first that has the members
        total, cur = 0, tid
        for f in fields:
            found = _member(types, strings, _resolve(types, cur), f)
            if found is None:
                break
            total += found[0]
            cur = found[1]
        else:
            return total
    raise LabError(
        _("struct {sname} has no member {member} in this kernel's BTF", sname=sname, member=".".join(fields))
    )
