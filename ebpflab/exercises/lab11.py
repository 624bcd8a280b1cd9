# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 11's exercises: a knob set before load, a CO-RE field read, an exec counter (lab 11).

A learner's CO-RE program is compiled by clang with the kit's flags (``libbpf.compile_object``) into a
temporary directory, never into the checkout, and loaded from there by ``CoreProgram``.
"""

from __future__ import annotations

import contextlib
import random
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import check, hooks, libbpf, traffic
from ..errors import CheckFailed
from ..libbpf import XDP_DROP, CoreProgram
from ..messages import _
from ..netlab import LabNet

LAB = "11_toolchains"
XDP_ABORTED = 0
# A shell that waits for a number on stdin, then starts that many programs and waits for them: its
# children are the only processes whose parent is its PID. `true` by its path, so the shell forks and
# executes it (the word alone is a shell builtin and starts nothing). "ready" says its own exec is over: Popen
# returns a little before the kernel reports it, and that exec must not land in the program's window.
SHELL = 'echo ready; read n; i=0; while [ "$i" -lt "$n" ]; do {true} & i=$((i + 1)); done; wait'


def _c_text(answer: Any, name: str) -> str:
    """The learner's C program, or one sentence saying what the answer should be."""
    if not isinstance(answer, str) or "{" not in answer:
        raise CheckFailed(
            _(
                '{name} should be the whole C program as a string (r""" … """), not {kind}',
                name=name,
                kind=type(answer).__name__,
            )
        )
    return answer


def _code(text: str) -> str:
    """C text without its comments (so that a word in a comment is not taken for code)."""
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


@contextlib.contextmanager
def _compiled(text: str) -> Iterator[Path]:
    """Compile C text as `make` compiles bpf/*.bpf.c, into a temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ebpflab-lab11-") as tmp:
        src = Path(tmp) / "answer.bpf.c"
        src.write_text(text)
        yield libbpf.compile_object(src, Path(tmp) / "answer.bpf.o")


def _wait_for(read: Any, at_least: int, seconds: float = 5) -> int:
    """Poll ``read()`` until it reaches ``at_least`` or the deadline passes; its last value."""
    deadline = time.monotonic() + seconds
    value = read()
    while value < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
        value = read()
    return value


@check.exercise(LAB, "knob")
def knob(answer: Mapping[str, int]) -> None:
    """Check ``KNOBS``: xdp_count loaded with them drops the echo requests it counts (XDP_DROP, not ABORTED)."""
    if not isinstance(answer, Mapping):
        raise CheckFailed(
            _("KNOBS should be a dict {{name of the read-only global: value}}, not {value!r}", value=answer)
        )
    pings = random.randint(2, 5)
    with LabNet() as net, CoreProgram("xdp_count", knobs=answer) as prog:
        action = prog.read_only_globals().get("xdp_action")
        with prog.xdp(net["server"]):
            replies = traffic.ping(net, "client", "server", count=pings, timeout=0.3)
            counted = _wait_for(lambda: prog["counts"][0], pings)
    if action == XDP_ABORTED:
        raise CheckFailed(
            _(
                "xdp_action is 0, XDP_ABORTED: it drops too, but tells every tracer that the program failed "
                "(step 10); a policy drop is XDP_DROP"
            )
        )
    check.that(
        action == XDP_DROP and replies == 0 and counted == pings,
        _(
            "with xdp_action = XDP_DROP set before load, none of {pings} pings came back and XDP counted all {pings}",
            pings=pings,
        ),
        _(
            "{replies} of {pings} pings came back and XDP counted {counted} echo requests (xdp_action = {action}): "
            "the program should count and drop each one",
            replies=replies,
            pings=pings,
            counted=counted,
            action=action,
        ),
    )


@check.exercise(LAB, "core-read")
def core_read(answer: str) -> None:
    """Check the program counts server sockets of its port entering ESTABLISHED, local port read with BPF_CORE_READ."""
    text = _c_text(answer, "CORE_READ_C")
    if "BPF_CORE_READ(" not in _code(text):
        raise CheckFailed(_("read the local port with BPF_CORE_READ(sk, …), so that libbpf relocates its offset"))
    port, other = random.sample(range(20000, 60000), 2)
    wanted, others = random.randint(2, 4), random.randint(1, 3)
    with (
        _compiled(text) as obj,
        LabNet() as net,
        CoreProgram(obj, knobs={"port": port}) as prog,
        prog.attach("tcp_established"),
    ):
        hooks.tcp_connections(net, "client", "server", port, count=wanted)
        hooks.tcp_connections(net, "client", "server", other, count=others)
        counted = prog["established"][0]  # each state change ran the program before connect() returned
    check.that(
        counted == wanted,
        _(
            "{wanted} sockets with local port {port} entered ESTABLISHED, and no other socket was counted",
            wanted=wanted,
            port=port,
        ),
        _(
            "counted {counted}, but {wanted} server sockets had local port {port} (the check also made client "
            "sockets, whose remote port is {port}, and {others} connections to port {other}): the local port "
            "of a socket is sk->__sk_common.skc_num, in host byte order",
            counted=counted,
            wanted=wanted,
            port=port,
            others=others,
            other=other,
        ),
    )


@check.exercise(LAB, "children")
def children(answer: str) -> None:
    """Check the exec counter: only programs started by children of ``parent_tgid``, a knob set before load."""
    text = _c_text(answer, "CHILDREN_C")
    true = shutil.which("true") or "/bin/true"
    wanted, decoys = random.randint(3, 8), random.randint(2, 5)
    shell_cmd = ["sh", "-c", SHELL.format(true=true)]
    with (
        _compiled(text) as obj,
        subprocess.Popen(shell_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as shell,
    ):
        try:
            started = shell.stdout is not None and select.select([shell.stdout], [], [], 10)[0]
            if not started or shell.stdout is None or shell.stdout.readline().strip() != "ready":
                raise CheckFailed(_("the check's shell did not start: run the check again"))
            with CoreProgram(obj) as prog:
                if "parent_tgid" not in prog.read_only_globals():
                    raise CheckFailed(
                        _(
                            "the program has no read-only global parent_tgid: declare it `const volatile` and "
                            "initialised (= 0), as xdp_count.bpf.c declares xdp_action (step 1)"
                        )
                    )
            with CoreProgram(obj, knobs={"parent_tgid": shell.pid}) as prog, prog.attach("count_execs"):
                for _run in range(decoys):  # children of the check, not of the shell
                    subprocess.run([true], check=True, timeout=10)
                subprocess.run(["sh", "-c", f"{true} & {true} & wait"], check=True, timeout=10)
                shell.communicate(f"{wanted}\n", timeout=20)
                counted = prog["execs"][0]  # every exec ran the program before the shell's wait returned
        except subprocess.TimeoutExpired:
            raise CheckFailed(_("the check's processes did not finish within 20 s: run the check again")) from None
        finally:
            if shell.poll() is None:
                shell.kill()
    others = decoys + 3
    check.that(
        counted == wanted,
        _(
            "{wanted} programs started by the children of PID {pid} counted, none of the {others} others",
            wanted=wanted,
            pid=shell.pid,
            others=others,
        ),
        _(
            "counted {counted}; the shell (PID {pid}, the knob) started {wanted} programs while the check started "
            "{others} of its own: count an exec only when the parent of the task that runs it "
            "(real_parent, read with BPF_CORE_READ) has the tgid parent_tgid",
            counted=counted,
            pid=shell.pid,
            wanted=wanted,
            others=others,
        ),
    )
