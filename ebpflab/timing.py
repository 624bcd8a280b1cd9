# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What a program costs: run it in the kernel on a crafted packet and time it (lab 02, bench/).

``ns_per_run()`` uses the kernel's ``BPF_PROG_TEST_RUN`` command: the kernel runs a loaded program
``repeat`` times on a copy of one packet, without any interface, and reports the mean time per run
in nanoseconds and the program's return value. BCC 0.26 has no wrapper for it, so the ``bpf()``
system call is made directly (``ebpflab.bpfcall``)::

    with Program("xdp_drop") as prog:         # or lab 11's CoreProgram: the same calls
        r = measure(prog, packet)             # r.retval == XDP_DROP, r.ns is ns per packet

What receiving a packet costs the CPU (NET_RX softirq time, RPS steering) is ``ebpflab.softirq``'s.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Protocol

from . import bpfcall
from .errors import LabError
from .messages import _

XDP_ACTIONS = {0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT"}
XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = range(5)


@dataclass
class TestRun:
    """One BPF_PROG_TEST_RUN: mean ns per run, the program's return value, the packet it left."""

    ns: float
    retval: int
    repeat: int
    data_out: bytes = b""

    @property
    def action(self) -> str:
        """The return value as an XDP action name (XDP_DROP, XDP_PASS, …)."""
        return XDP_ACTIONS.get(self.retval, str(self.retval))


class LoadedFunction(Protocol):
    """What BCC's load_func() returns: the program's fd is an attribute."""

    @property
    def fd(self) -> int: ...


class Loadable(Protocol):
    """An ebpflab ``Program`` or lab 11's ``CoreProgram``: ``fd()`` loads the default function, returns its fd."""

    def fd(self, func: str | None = None) -> int: ...


# Typed, not Any, so that mypy rejects what _fd cannot handle, such as the bound method prog.fd
# (fd was once an attribute: passing it uncalled is the mistake the method's callers are likely to make).
ProgramOrFd = int | LoadedFunction | Loadable


def _fd(program_or_fd: ProgramOrFd) -> int:
    """A program fd from an int, a ``Program`` or ``CoreProgram`` (``fd()``, its default function) or a BCC function."""
    if isinstance(program_or_fd, int):
        return program_or_fd
    fd = getattr(program_or_fd, "fd", None)
    if callable(fd):
        return int(fd())
    if isinstance(fd, int):  # a function BCC returned
        return fd
    raise LabError(
        _("test_run needs a loaded program (prog.load()) or its fd, not {type}", type=type(program_or_fd).__name__)
    )


def measure(program_or_fd: ProgramOrFd, packet: bytes, repeat: int = 1) -> TestRun:
    """Run a loaded program ``repeat`` times on ``packet`` in the kernel; return time, retval, output."""
    packet = bytes(packet)  # scapy packets too
    if len(packet) < 14:
        raise LabError(_("the test packet must hold at least an Ethernet header (14 bytes)"))
    if not 1 <= repeat <= 100_000_000:
        raise LabError(_("repeat must be between 1 and 100000000"))
    try:
        ns, retval, data_out = bpfcall.prog_test_run(_fd(program_or_fd), packet, repeat)
    except OSError as exc:
        raise LabError(
            _(
                "BPF_PROG_TEST_RUN failed: {error} (is the program loaded, and of a type "
                "the kernel can test-run, such as XDP?)",
                error=exc.strerror,
            )
        ) from None
    return TestRun(ns=float(ns), retval=retval, repeat=repeat, data_out=data_out)


def ns_per_run(program_or_fd: ProgramOrFd, packet: bytes, repeat: int = 100_000) -> float:
    """Mean nanoseconds per run of a loaded program on ``packet``, measured by the kernel (BPF_PROG_TEST_RUN)."""
    return measure(program_or_fd, packet, repeat).ns


TestRun.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class despite its name


def ns_per_packet(program_or_fd: ProgramOrFd, packet: bytes, repeat: int = 100_000, rounds: int = 5) -> float:
    """Median over ``rounds`` of ``ns_per_run`` (the machine is shared, single runs are noisy)."""
    return statistics.median(ns_per_run(program_or_fd, packet, repeat) for _round in range(rounds))
