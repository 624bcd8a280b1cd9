# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 01: seccomp-bpf, the classic BPF machine judging system calls (real child processes, real filters)."""

from __future__ import annotations

import errno
import sys

import pytest

from ebpflab import LabError, cbpf, seccomp


def test_denied_call_fails_with_eperm_and_the_rest_keeps_working():
    res = seccomp.run_denying(
        ["sh", "-c", "uname -r; echo still here; cat /proc/self/status | grep -c Seccomp"], deny=["uname"]
    )
    assert "Operation not permitted" in res.stderr
    assert res.stdout.splitlines()[0] == "still here"
    assert res.returncode == 0


def test_without_the_filter_uname_works():
    res = seccomp.run_denying(["sh", "-c", "uname -s"], deny=["getpriority"])
    assert res.stdout.strip() == "Linux" and res.returncode == 0


def test_the_filter_reports_seccomp_mode_2_in_the_child():
    res = seccomp.run_denying(["grep", "^Seccomp:", "/proc/self/status"], deny=["uname"])
    assert res.stdout.split() == ["Seccomp:", "2"]  # 2 = SECCOMP_MODE_FILTER


def test_other_errno_values():
    res = seccomp.run_denying(["uname"], deny=["uname"], errno=errno.ENOSYS)
    assert "not implemented" in res.stderr.lower() and res.returncode != 0


def test_interpreter_judges_system_calls_like_the_kernel():
    prog = seccomp.program(["uname", "getpriority"])
    cbpf.validate(prog)
    assert seccomp.action(seccomp.judge(prog, "uname")) == "ERRNO(1) EPERM"
    assert seccomp.action(seccomp.judge(prog, "getpriority")) == "ERRNO(1) EPERM"
    for allowed in ("write", "read", "openat", "execve"):
        assert seccomp.action(seccomp.judge(prog, allowed)) == "ALLOW"
    # a call made with another architecture's numbering is refused outright
    assert (
        seccomp.action(cbpf.interpret(prog, seccomp.seccomp_data("write", arch=0x40000003), byteorder=sys.byteorder))
        == "KILL_THREAD"
    )
    assert "uname" in seccomp.pfc(["uname"])


def test_bad_input_is_one_sentence():
    with pytest.raises(LabError, match="no system call named 'unmae'"):
        seccomp.run_denying(["true"], deny=["unmae"])
    with pytest.raises(LabError, match="nothing to run"):
        seccomp.run_denying([], deny=["uname"])
    res = seccomp.run_denying(["no-such-program-ebpflab"], deny=["uname"])
    assert res.returncode == 127 and "cannot run" in res.stderr
