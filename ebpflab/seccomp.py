"""seccomp-bpf (Linux 3.5, 2012): the classic BPF machine judging system calls instead of packets (lab 01).

libseccomp (Debian's python3-seccomp) writes the filter; this module shows it as classic BPF,
runs it in ``ebpflab.cbpf`` on a hand-made ``struct seccomp_data``, and runs a real command under
it in a child process, so the lab's own kernel never carries the filter::

    seccomp.run_denying(["sh", "-c", "uname -r; echo still here"], deny=["uname"])

``python -m ebpflab.seccomp --deny uname -- CMD...`` is the child's side: load, then exec.
"""
from __future__ import annotations

import argparse
import errno as errno_codes
import os
import struct
import subprocess
import sys
import tempfile
from typing import Sequence

from . import cbpf
from .errors import LabError

# The action is the top 16 bits of what the filter returns (<linux/seccomp.h>); the low 16 are data.
ACTIONS = {0x80000000: "KILL_PROCESS", 0x00000000: "KILL_THREAD", 0x00030000: "TRAP", 0x00050000: "ERRNO",
           0x7FC00000: "USER_NOTIF", 0x7FF00000: "TRACE", 0x7FFC0000: "LOG", 0x7FFF0000: "ALLOW"}


def _libseccomp():
    try:
        import seccomp as lib  # the distribution's binding (python3-seccomp), not this module
    except ImportError:
        raise LabError("libseccomp's Python module is missing (Debian: python3-seccomp); run `make lab`") from None
    return lib


def syscall_number(name: str | int) -> int:
    """The number of a system call on this machine's architecture ("uname" -> 63 on x86_64)."""
    if isinstance(name, int):
        return name
    lib = _libseccomp()
    try:
        nr = lib.resolve_syscall(lib.Arch.NATIVE, name)
    except (ValueError, TypeError):
        nr = -1
    if nr < 0:  # libseccomp answers -1 (__NR_SCMP_ERROR) for a name it does not know
        raise LabError(f"no system call named {name!r} on this architecture")
    return nr


def deny_filter(syscalls: Sequence[str], errno: int = errno_codes.EPERM):
    """A libseccomp filter that allows everything except ``syscalls``, which fail with ``errno``."""
    lib = _libseccomp()
    if isinstance(syscalls, str):
        syscalls = [syscalls]
    f = lib.SyscallFilter(defaction=lib.ALLOW)
    for name in syscalls:
        f.add_rule(lib.ERRNO(errno), syscall_number(name))
    return f


def program(syscalls: Sequence[str], errno: int = errno_codes.EPERM) -> list[cbpf.Insn]:
    """The classic BPF program libseccomp generates for ``deny_filter(syscalls)``."""
    with tempfile.TemporaryFile() as tmp:
        deny_filter(syscalls, errno).export_bpf(tmp)
        tmp.seek(0)
        raw = tmp.read()
    # struct sock_filter in the machine's byte order: u16 code, u8 jt, u8 jf, u32 k
    return [cbpf.Insn(*struct.unpack_from("=HBBI", raw, off)) for off in range(0, len(raw), 8)]


def pfc(syscalls: Sequence[str], errno: int = errno_codes.EPERM) -> str:
    """libseccomp's pseudo-code for the same filter (easier to read than the bytecode)."""
    with tempfile.TemporaryFile(mode="w+") as tmp:
        deny_filter(syscalls, errno).export_pfc(tmp)
        tmp.seek(0)
        return tmp.read()


def seccomp_data(syscall: str | int, args: Sequence[int] = (), arch: int | None = None, ip: int = 0) -> bytes:
    """A ``struct seccomp_data`` (what the filter reads) for one system call on this machine."""
    if len(args) > 6:
        raise LabError("a system call has at most 6 arguments")
    arch = _libseccomp().system_arch() if arch is None else arch
    full = list(args) + [0] * (6 - len(args))
    return struct.pack("=iIQ6Q", syscall_number(syscall), arch, ip, *[a & (2**64 - 1) for a in full])


def judge(prog: Sequence[Sequence[int]], syscall: str | int, args: Sequence[int] = ()) -> int:
    """Run a seccomp program in ebpflab.cbpf on one system call; the kernel would act on this value."""
    # seccomp loads words in the machine's byte order, packets are read big-endian
    return cbpf.interpret(prog, seccomp_data(syscall, args), byteorder=sys.byteorder)


def action(value: int) -> str:
    """A filter's return value in words: 'ALLOW', 'ERRNO(1) EPERM', 'KILL_THREAD', ..."""
    act, data = value & 0xFFFF0000, value & 0xFFFF
    name = ACTIONS.get(act, f"unknown action {act:#x}")
    if name == "ERRNO":
        return f"ERRNO({data}) {errno_codes.errorcode.get(data, '?')}"
    return name


def run_denying(argv: Sequence[str], deny: Sequence[str], errno: int = errno_codes.EPERM,
        timeout: float = 10) -> subprocess.CompletedProcess:
    """Run ``argv`` in a child process under a filter that makes ``deny`` fail with ``errno``."""
    if not argv:
        raise LabError("nothing to run: give a command such as ['uname', '-r']")
    for name in ([deny] if isinstance(deny, str) else deny):
        syscall_number(name)  # a misspelt name fails here, in one sentence
    deny_args = [a for name in ([deny] if isinstance(deny, str) else deny) for a in ("--deny", name)]
    cmd = [sys.executable, "-m", "ebpflab.seccomp", *deny_args, "--errno", str(errno), "--", *argv]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"{argv[0]} did not finish within {timeout} s under the filter") from None


def main(args: Sequence[str] | None = None) -> int:
    """The child's side: load the filter into this process, then exec the command (the filter stays)."""
    p = argparse.ArgumentParser(prog="python -m ebpflab.seccomp",
                                description="run a command with some system calls failing (seccomp-bpf)")
    p.add_argument("--deny", action="append", required=True, help="a system call to fail (repeatable)")
    p.add_argument("--errno", type=int, default=errno_codes.EPERM)
    p.add_argument("command", nargs="+")
    opts = p.parse_args(args)
    try:
        deny_filter(opts.deny, opts.errno).load()
    except LabError as exc:
        print(f"ebpflab.seccomp: {exc}", file=sys.stderr)
        return 2
    try:
        os.execvp(opts.command[0], opts.command)
    except OSError as exc:
        print(f"ebpflab.seccomp: cannot run {opts.command[0]}: {exc.strerror}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
