# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""seccomp-bpf (Linux 3.5, 2012): the classic BPF machine judging system calls instead of packets (lab 01).

libseccomp (Debian's python3-seccomp) writes the filter; this module shows it as classic BPF,
runs it in ``ebpflab.cbpf`` on a hand-made ``struct seccomp_data``, and runs a real command under
it in a child process, so the lab's own kernel never carries the filter::

    seccomp.run_denying(["sh", "-c", "uname -r; echo still here"], deny=["uname"])

``python -m ebpflab.seccomp --deny uname -- CMD...`` is the child's side: load, then exec.

System call numbers and even names differ between architectures (arm64 has ``mkdirat`` but no
``mkdir``): every number comes from libseccomp's table for the architecture at hand, and a name
that is a system call only on another architecture the kit runs on is left out of a filter.
"""

from __future__ import annotations

import argparse
import errno as errno_codes
import os
import struct
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from . import cbpf
from .errors import LabError
from .messages import _

# The action is the top 16 bits of what the filter returns (<linux/seccomp.h>); the low 16 are data.
ACTIONS = {
    0x80000000: "KILL_PROCESS",
    0x00000000: "KILL_THREAD",
    0x00030000: "TRAP",
    0x00050000: "ERRNO",
    0x7FC00000: "USER_NOTIF",
    0x7FF00000: "TRACE",
    0x7FFC0000: "LOG",
    0x7FFF0000: "ALLOW",
}


def _libseccomp() -> Any:
    try:
        import seccomp as lib  # the distribution's binding (python3-seccomp), not this module
    except ImportError:
        raise LabError(_("libseccomp's Python module is missing (Debian: python3-seccomp); run `make lab`")) from None
    return lib


# The architectures the kit runs on (amd64 and Apple Silicon's arm64), by libseccomp's names.
KIT_ARCHES = ("x86_64", "aarch64")


def _arch(lib: Any, arch: str | None) -> int:
    """libseccomp's token for ``arch`` ("x86_64", "aarch64"; None: this machine)."""
    if arch is None:
        return lib.Arch.NATIVE
    try:
        return getattr(lib.Arch, arch.upper())
    except AttributeError:
        raise LabError(
            _(
                "libseccomp knows no architecture named {arch!r}; try one of {arches}",
                arch=arch,
                arches=", ".join(KIT_ARCHES),
            )
        ) from None


def _resolve(name: str, arch: str | None = None) -> int:
    """libseccomp's answer for ``name``: the number, or a negative value when ``arch`` lacks it."""
    lib = _libseccomp()
    try:
        return lib.resolve_syscall(_arch(lib, arch), name)
    except (ValueError, TypeError):
        return -1


def elsewhere(name: str, arch: str | None = None) -> list[str]:
    """The kit's other architectures on which ``name`` is a system call when ``arch`` has no such call."""
    if _resolve(name, arch) >= 0:
        return []
    return [a for a in KIT_ARCHES if _resolve(name, a) >= 0]


def syscall_number(name: str | int, arch: str | None = None) -> int:
    """The number of a system call on this machine's architecture, or on ``arch`` ("uname" -> 63 on x86_64)."""
    if isinstance(name, int):
        return name
    nr = _resolve(name, arch)
    if nr < 0:  # -1 (__NR_SCMP_ERROR) for an unknown name, a pseudo number for another arch's call
        other = ", ".join(elsewhere(name, arch))
        if arch and other:
            msg = _(
                "no system call named {name!r} on {arch} (there is one on {other})", name=name, arch=arch, other=other
            )
        elif arch:
            msg = _("no system call named {name!r} on {arch}", name=name, arch=arch)
        elif other:
            msg = _(
                "no system call named {name!r} on this architecture (there is one on {other})", name=name, other=other
            )
        else:
            msg = _("no system call named {name!r} on this architecture", name=name)
        raise LabError(msg)
    return nr


def syscall_name(nr: int, arch: str | None = None) -> str:
    """The name of system call number ``nr`` on this machine's architecture, or on ``arch``."""
    lib = _libseccomp()
    try:
        name = lib.resolve_syscall(_arch(lib, arch), nr)
    except (ValueError, TypeError):
        name = None
    if not name:
        raise LabError(
            _("no system call number {nr} on {arch}", nr=nr, arch=arch)
            if arch
            else _("no system call number {nr} on this architecture", nr=nr)
        )
    return name.decode() if isinstance(name, bytes) else name


def _here(syscalls: Sequence[str], arch: str | None) -> list[str]:
    """The names that are system calls on ``arch``; a misspelt name (none anywhere) fails in one sentence."""
    here = []
    for name in [syscalls] if isinstance(syscalls, str) else syscalls:
        if isinstance(name, int) or _resolve(name, arch) >= 0:
            here.append(name)
        elif not elsewhere(name, arch):
            syscall_number(name, arch)  # raises the one sentence
    return here


def deny_filter(syscalls: Sequence[str], errno: int = errno_codes.EPERM, arch: str | None = None) -> Any:
    """A libseccomp filter that allows everything except ``syscalls``, which fail with ``errno``.

    A name that is a system call only on another architecture of the kit (``mkdir`` on arm64) has
    nothing to deny here and is left out, so one list serves on both.
    """
    lib = _libseccomp()
    f = lib.SyscallFilter(defaction=lib.ALLOW)
    if arch is not None and _arch(lib, arch) & 0xFFFFFFFF != lib.system_arch() & 0xFFFFFFFF:
        f.add_arch(_arch(lib, arch))  # a filter for another architecture, to read and judge here
        f.remove_arch(lib.Arch.NATIVE)
    for name in _here(syscalls, arch):
        # by name: libseccomp reads a number as this machine's and translates it by name per architecture
        f.add_rule(lib.ERRNO(errno), name)
    return f


def program(syscalls: Sequence[str], errno: int = errno_codes.EPERM, arch: str | None = None) -> list[cbpf.Insn]:
    """The classic BPF program libseccomp generates for ``deny_filter(syscalls)`` (on ``arch``)."""
    with tempfile.TemporaryFile() as tmp:
        deny_filter(syscalls, errno, arch).export_bpf(tmp)
        tmp.seek(0)
        raw = tmp.read()
    # struct sock_filter in the machine's byte order: u16 code, u8 jt, u8 jf, u32 k
    return [cbpf.Insn(*struct.unpack_from("=HBBI", raw, off)) for off in range(0, len(raw), 8)]


def pfc(syscalls: Sequence[str], errno: int = errno_codes.EPERM, arch: str | None = None) -> str:
    """libseccomp's pseudo-code for the same filter (easier to read than the bytecode)."""
    with tempfile.TemporaryFile(mode="w+") as tmp:
        deny_filter(syscalls, errno, arch).export_pfc(tmp)
        tmp.seek(0)
        return tmp.read()


def seccomp_data(syscall: str | int, args: Sequence[int] = (), arch: str | int | None = None, ip: int = 0) -> bytes:
    """A ``struct seccomp_data`` for one system call on this machine, or on ``arch`` (a name, or an AUDIT_ARCH_* value as is)."""
    if len(args) > 6:
        raise LabError(_("a system call has at most 6 arguments"))
    lib = _libseccomp()
    named = arch if isinstance(arch, str) else None
    audit_arch = (
        lib.system_arch() if arch is None else arch if isinstance(arch, int) else _arch(lib, arch)
    ) & 0xFFFFFFFF
    full = list(args) + [0] * (6 - len(args))
    # both architectures of the kit are little-endian, like this machine
    return struct.pack("=iIQ6Q", syscall_number(syscall, named), audit_arch, ip, *[a & (2**64 - 1) for a in full])


def judge(prog: Sequence[Sequence[int]], syscall: str | int, args: Sequence[int] = (), arch: str | None = None) -> int:
    """Run a seccomp program in ebpflab.cbpf on one system call; the kernel would act on this value."""
    # seccomp loads words in the machine's byte order, packets are read big-endian
    return cbpf.interpret(prog, seccomp_data(syscall, args, arch), byteorder=sys.byteorder)


def action(value: int) -> str:
    """A filter's return value in words: 'ALLOW', 'ERRNO(1) EPERM', 'KILL_THREAD', ..."""
    act, data = value & 0xFFFF0000, value & 0xFFFF
    name = ACTIONS.get(act) or _("unknown action {act:#x}", act=act)
    if name == "ERRNO":
        return f"ERRNO({data}) {errno_codes.errorcode.get(data, '?')}"
    return name


def run_denying(
    argv: Sequence[str], deny: Sequence[str], errno: int = errno_codes.EPERM, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``argv`` in a child process under a filter that makes ``deny`` fail with ``errno``."""
    # The bound only stops a child that hangs: a child Python that loads the filter and then runs a
    # short shell line took over 10 s in an emulated arm64 VM beside other work (lab 01's mkdir).
    if not argv:
        raise LabError(_("nothing to run: give a command such as ['uname', '-r']"))
    _here(deny, None)  # a misspelt name fails here, in one sentence
    deny_args = [a for name in ([deny] if isinstance(deny, str) else deny) for a in ("--deny", name)]
    cmd = [sys.executable, "-m", "ebpflab.seccomp", *deny_args, "--errno", str(errno), "--", *argv]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(
            _("{command} did not finish within {timeout} s under the filter", command=argv[0], timeout=timeout)
        ) from None


def main(args: Sequence[str] | None = None) -> int:
    """The child's side: load the filter into this process, then exec the command (the filter stays)."""
    p = argparse.ArgumentParser(
        prog="python -m ebpflab.seccomp", description=_("run a command with some system calls failing (seccomp-bpf)")
    )
    p.add_argument("--deny", action="append", required=True, help=_("a system call to fail (repeatable)"))
    p.add_argument("--errno", type=int, default=errno_codes.EPERM)
    p.add_argument("command", nargs="+")
    opts = p.parse_args(args)
    try:
        deny_filter(opts.deny, opts.errno).load()
    except LabError as exc:
        print(f"ebpflab.seccomp: {exc}", file=sys.stderr)  # i18n: as is (name, then a translated LabError)
        return 2
    try:
        os.execvp(opts.command[0], opts.command)
    except OSError as exc:
        print(
            _("ebpflab.seccomp: cannot run {command}: {reason}", command=opts.command[0], reason=exc.strerror),
            file=sys.stderr,
        )
        return 127


if __name__ == "__main__":
    sys.exit(main())
