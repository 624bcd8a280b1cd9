# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`ebpflab doctor` and the CLI's handling of bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from users import not_root

from ebpflab import doctor

EBPFLAB = str(Path(sys.executable).parent / "ebpflab")


def test_doctor_prints_every_check_and_passes_here():
    res = subprocess.run([EBPFLAB, "doctor"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    for name in (
        "root",
        "kernel",
        "BTF",
        "headers",
        "BCC",
        "tracefs",
        "bpf",
        "hook: xdp",
        "hook: ringbuf",
        "hook: tracepoint",
        "hook: uprobe",
        "hook: kprobe",
    ):
        assert name in res.stdout
    assert "ready for the labs" in res.stdout


def test_kprobe_line_tells_the_truth_about_this_kernel():
    has = doctor.hooks()["kprobe"]
    line = next(ln for ln in doctor.report(doctor.run_checks()).splitlines() if "hook: kprobe" in ln)
    if has:
        assert line.startswith("✔")
    else:
        assert "no kprobes" in line and line.startswith("–")


def test_xdp_and_ringbuf_are_probed_for_real():
    assert doctor.probe_prog("xdp") is True
    assert doctor.probe_ringbuf() is True


def test_cli_errors_are_one_line_not_a_traceback():
    uid, gid = not_root()
    res = subprocess.run([EBPFLAB, "doctor"], capture_output=True, text=True, user=uid, group=gid, extra_groups=[])
    assert res.returncode == 1
    assert "not root" in res.stdout
    assert "Traceback" not in res.stderr
    hooks = [line for line in res.stdout.splitlines() if line[2:].startswith(("hook: xdp", "hook: tracepoint"))]
    assert len(hooks) == 2 and all(
        "needs root" in line and "not offered by this kernel" not in line for line in hooks
    ), hooks
    res = subprocess.run([EBPFLAB, "cleanup"], capture_output=True, text=True, user=uid, group=gid, extra_groups=[])
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "needs root" in res.stderr
