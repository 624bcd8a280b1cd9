# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What both loaders share to attach at XDP: modes, the mark ``ebpflab cleanup`` reads, the program's id (lab 01).

BCC's ``Program.xdp`` and libbpf's ``CoreProgram.xdp`` differ only in the call that attaches an fd
to an interface; ``attached()`` does the rest for both, in one order: check the mode, write an
``XdpMark`` naming the program's id (read from ``/proc/self/fdinfo``), attach in the namespace,
detach on the way out, drop the mark. The mark is written *before* attaching, so no moment of a
SIGKILL leaves a program ``ebpflab cleanup`` cannot see.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import system
from .errors import LabError
from .messages import _
from .netlab import Host, link_info, netns

XDP_MODES = {"generic": 1 << 1, "native": 1 << 2, "offload": 1 << 3}
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_MARKS = Path("/run/ebpflab/xdp")  # one XdpMark per attachment, for `ebpflab cleanup`


def prog_id(fd: int) -> int:
    """The kernel's id of the loaded program behind ``fd`` (what ``bpftool prog`` and tracepoints show)."""
    with open(f"/proc/self/fdinfo/{fd}") as f:
        return int(next(line.split()[1] for line in f if line.startswith("prog_id:")))


def where(host_or_iface: Host | str, ns: str | None = None) -> tuple[str, str | None, str]:
    """(interface, namespace, label) for a lab host's eth0, or for interface ``host_or_iface`` in ``ns``."""
    if isinstance(host_or_iface, Host):
        return host_or_iface.iface, host_or_iface.netns, f"{host_or_iface.name}:{host_or_iface.iface}"
    return host_or_iface, ns, _("{iface} in {netns}", iface=host_or_iface, netns=ns) if ns else host_or_iface


@contextmanager
def attached(
    fd: int,
    name: str,
    iface: str,
    ns: str | None,
    mode: str,
    label: str,
    attach: Callable[[int], str | None],
    detach: Callable[[], Any],
) -> Iterator[None]:
    """Mark, then ``attach(flags)`` inside ``ns`` (it returns why it failed, or None); ``detach()`` there on exit.

    The flags never replace another program silently: a busy interface is one sentence naming what runs there.
    """
    with marked(fd, iface, ns, mode):
        with netns(ns) if ns else nullcontext():
            why = attach(XDP_MODES[mode] | XDP_FLAGS_UPDATE_IF_NOEXIST)
        if why is not None:
            busy = [p.get("name") or f"id {p.get('id')}" for p in xdp_programs(iface, ns)]
            if busy:
                raise LabError(
                    _(
                        "{where} already runs the XDP program {program!r}: XDP allows one program per "
                        "interface, so detach it first (leave the other `with` block)",
                        where=label,
                        program=busy[0],
                    )
                )
            raise LabError(
                _(
                    "could not attach {name} to {where} in {mode} mode: {why}",
                    name=name,
                    where=label,
                    mode=mode,
                    why=why,
                ).strip()
            )
        try:
            yield
        finally:
            if not ns or os.path.exists(f"/run/netns/{ns}"):  # its namespace gone: nothing left to detach
                with netns(ns) if ns else nullcontext():
                    detach()


@contextmanager
def marked(fd: int, iface: str, ns: str | None, mode: str) -> Iterator[None]:
    """Check ``mode``, then keep an ``XdpMark`` naming the program behind ``fd`` for the block."""
    if mode not in XDP_MODES:
        raise LabError(_("unknown XDP mode {mode!r}; use one of {modes}", mode=mode, modes=", ".join(XDP_MODES)))
    mark = XdpMark(system.owner_tag(), iface, ns, prog_id(fd)).write()
    try:
        yield
    finally:
        if mark:
            mark.unlink(missing_ok=True)


def xdp_programs(iface: str, ns: str | None = None) -> list[dict]:
    """The XDP programs attached to ``iface`` as ``ip -j -d link`` lists them (id, name, ...); none if it is gone."""
    try:
        xdp = link_info(iface, ns).get("xdp", {})
    except LabError:
        return []
    progs = [xdp["prog"]] if "prog" in xdp else []
    return progs + [a["prog"] for a in xdp.get("attached", []) if "prog" in a and a["prog"] not in progs]


@dataclass(frozen=True)
class XdpMark:
    """``<owner> <iface> <netns or -> <program id>`` in XDP_MARKS: an XDP attachment ``ebpflab cleanup`` can undo.

    ``owner`` is ``system.owner_tag()`` (pid and start time), so a reused pid does not keep the mark alive.
    """

    owner: str
    iface: str
    netns: str | None
    prog_id: int

    def write(self) -> Path | None:
        """Leave the mark (None when /run is not writable: then only a clean exit detaches)."""
        try:
            XDP_MARKS.mkdir(parents=True, exist_ok=True)
            path = XDP_MARKS / f"{self.owner}-{self.netns or 'root'}-{self.iface}"
            path.write_text(f"{self.owner} {self.iface} {self.netns or '-'} {self.prog_id}\n")
            return path
        except OSError:
            return None

    @classmethod
    def read(cls, path: Path) -> XdpMark | None:
        """The mark in ``path``, or None if it is gone or unreadable."""
        try:
            owner, iface, ns, pid_of_prog = path.read_text().split()
            return cls(owner, iface, None if ns == "-" else ns, int(pid_of_prog))
        except (OSError, ValueError):
            return None
