# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The kit on both of its architectures, x86-64 and arm64 (Apple Silicon): every system call the labs,
their solutions, the BPF programs and the tests name exists on both, and the answers hold on both.
libseccomp's tables (python3-seccomp) give each architecture's names and numbers: no guessing."""

from __future__ import annotations

import ast
import re

import pytest

from ebpflab import LABS_DIR, REPO, bpfcall, seccomp
from ebpflab.errors import LabError

ARCHES = seccomp.KIT_ARCHES
# A name that is a system call on one architecture only, each with what the other one has instead.
# arm64's table (the kernel's generic one) dropped the calls that have an *at() form.
ONE_ARCH = {"mkdir": "mkdirat"}
MISSPELT = {"unmae"}  # test_seccomp's bad input, on purpose

# Where a system call is named: tracepoints, C's SYS_ macros, syscall_number("..."), seccomp lists.
PATTERNS = [
    re.compile(r"sys_(?:enter|exit)_(\w+)"),
    re.compile(r"\bSYS_([a-z]\w*)"),
    re.compile(r"syscall_number\(\\?[\"'](\w+)"),
]
LISTS = re.compile(r"(?:\bdeny=|\bDEN(?:Y|IED) = |for (?:call|allowed) in )[\[(]([^\])]*)[\])]")
QUOTED = re.compile(r"\\?[\"'](\w+)\\?[\"']")


def sources():
    """The files that may name a system call: notebooks, solutions, targets, BPF C, the package, tests, bench."""
    globs = [
        "labs/*.ipynb",
        "labs/solutions/*.py",
        "labs/targets/*",
        "bpf/**/*.c",
        "ebpflab/*.py",
        "tests/**/*.py",
        "bench/**/*.py",
        "scripts/*.py",
    ]
    for g in globs:
        for path in sorted(REPO.glob(g)):
            if path.is_file() and path.name != "test_arch.py":
                yield path


def named_syscalls() -> dict[str, set[str]]:
    """Each system call name -> the files naming it."""
    found: dict[str, set[str]] = {}
    for path in sources():
        text = path.read_text(errors="replace")
        names = [m.group(1) for p in PATTERNS for m in p.finditer(text)]
        names += [q.group(1) for m in LISTS.finditer(text) for q in QUOTED.finditer(m.group(1))]
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def test_the_scan_finds_the_known_names():
    found = named_syscalls()
    # a scan that finds nothing would pass the next test vacuously
    assert {"getppid", "openat", "uname", "mkdir", "getpgid", "recvmsg"} <= set(found), sorted(found)


def test_every_named_system_call_exists_on_both_architectures():
    missing = {
        f"{name} on {arch} ({', '.join(sorted(files))})"
        for name, files in named_syscalls().items()
        for arch in ARCHES
        if name not in ONE_ARCH.keys() | MISSPELT and seccomp._resolve(name, arch) < 0
    }
    assert not missing, f"system calls one architecture lacks: {sorted(missing)}"


def test_the_one_architecture_names_are_what_they_say():
    for name, instead in ONE_ARCH.items():
        assert seccomp._resolve(name, "x86_64") >= 0 and seccomp._resolve(name, "aarch64") < 0
        assert all(seccomp._resolve(instead, arch) >= 0 for arch in ARCHES)


def mkdir_syscall(arch: str) -> str:
    """The system call glibc's mkdir() makes on ``arch``: mkdir where the kernel has it, else mkdirat
    (sysdeps/unix/sysv/linux/mkdir.c: ``#ifdef __NR_mkdir``)."""
    return "mkdir" if seccomp._resolve("mkdir", arch) >= 0 else "mkdirat"


def lab01_answer() -> list[str]:
    """DENIED from lab 01's reference solution."""
    tree = ast.parse((LABS_DIR / "solutions" / "01_history.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "DENIED")
    return ast.literal_eval(node.value)


@pytest.mark.parametrize("arch", ARCHES)
def test_lab01_answer_denies_the_call_mkdir_makes_on(arch):
    denied = lab01_answer()
    prog = seccomp.program(denied, arch=arch)
    assert seccomp.action(seccomp.judge(prog, mkdir_syscall(arch), arch=arch)) == "ERRNO(1) EPERM"
    for allowed in ("write", "openat", "execve", "getdents64", "exit_group"):  # echo and ls keep working
        assert seccomp.action(seccomp.judge(prog, allowed, arch=arch)) == "ALLOW"
    assert len(denied) <= 2  # the notebook's "narrow filter" check


def test_a_name_from_the_other_architecture_is_left_out_and_a_misspelt_one_is_one_sentence():
    assert '"mkdir"' not in seccomp.pfc(["mkdir", "mkdirat"], arch="aarch64")
    assert '"mkdir"' in seccomp.pfc(["mkdir", "mkdirat"], arch="x86_64")
    with pytest.raises(LabError, match="no system call named 'mkdir' on aarch64 \\(there is one on x86_64\\)"):
        seccomp.syscall_number("mkdir", "aarch64")
    with pytest.raises(LabError, match="no system call named 'mkdri'"):
        seccomp.program(["mkdri"], arch="aarch64")


def test_numbers_come_from_each_architectures_table():
    assert [seccomp.syscall_number("getppid", a) for a in ARCHES] == [110, 173]
    assert [seccomp.syscall_name(34, a) for a in ARCHES] == ["pause", "mkdirat"]


@pytest.mark.parametrize("arch", ARCHES)
def test_the_bpf_syscall_number_table_agrees_with_libseccomp(arch):
    assert bpfcall.SYS_BPF[arch] == seccomp.syscall_number("bpf", arch)


def test_nothing_uses_bccs_syscall_table():
    # bcc.syscall has a built-in table for x86-64 only; elsewhere it runs `ausyscall` (auditd) and
    # raises when that is missing, as on a fresh arm64 Debian.
    users = [
        str(p.relative_to(REPO))
        for p in sources()
        if re.search(r"bcc\.syscall|from bcc import[^\n]*\bsyscall\b", p.read_text(errors="replace"))
    ]
    assert not users, f"use ebpflab.seccomp.syscall_number/syscall_name instead of bcc.syscall in {users}"
