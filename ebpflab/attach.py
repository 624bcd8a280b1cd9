# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Attaching loaded programs to hooks, and always detaching: the plumbing behind ``Program``'s attach methods (lab 01).

Each function here is a context manager over one kind of hook (XDP, tc, tracepoint, uprobe,
perf event) that takes a function ``Program.load()`` returned; notebooks use them through
``Program.xdp()``, ``.tc()``, ``.tracepoint()``, ``.uprobe()`` and ``.perf_event()``.
XDP attachments go through ``ebpflab.xdp``, which leaves the mark ``ebpflab cleanup`` reads.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from . import xdp
from .errors import LabError
from .messages import _
from .netlab import Host, call_in
from .system import call_bcc, import_bcc
from .xdp import XDP_MODES

TC_PARENTS = {"ingress": "ffff:fff2", "egress": "ffff:fff3"}


# --- XDP ------------------------------------------------------------------------------------
def xdp_attached(
    fn: Any, iface: str, ns: str | None = None, mode: str = "generic", *, label: str | None = None
) -> AbstractContextManager[None]:
    """Attach loaded XDP function ``fn`` to ``iface`` (in namespace ``ns``, or this one) for the block, then detach.

    BCC's two calls inside ``xdp.attached``, the flow (and the mark for ``ebpflab cleanup``) libbpf's ``CoreProgram`` shares.
    """
    bcc = import_bcc()

    def attach(flags: int) -> str | None:
        res = call_bcc(bcc.BPF.attach_xdp, iface.encode(), fn, flags)
        return None if res.error is None else f"{res.error} {res.log.strip()}"

    def detach() -> None:
        call_bcc(bcc.BPF.remove_xdp, iface.encode(), XDP_MODES[mode])  # an error: the interface went away

    return xdp.attached(fn.fd, fn.name.decode(), iface, ns, mode, label or iface, attach, detach)


# --- tc (cls_bpf) ---------------------------------------------------------------------------
@contextmanager
def tc_attached(fns: Mapping[str, Any], host: Host) -> Iterator[None]:
    """Attach loaded SCHED_CLS functions (by direction: ingress, egress) on ``host``'s tc hook; detach on exit."""
    from pyroute2.netlink.exceptions import NetlinkError

    def attach(ipr: Any, idx: int) -> None:
        try:
            ipr.tc("add", "clsact", idx)
        except NetlinkError as exc:
            if exc.code == errno.EEXIST:
                raise LabError(
                    _(
                        "{host}:{iface} already has a clsact qdisc (another lab attached tc programs)",
                        host=host.name,
                        iface=host.iface,
                    )
                ) from None
            raise LabError(
                _(
                    "could not add the clsact qdisc on {host}:{iface}: {error}",
                    host=host.name,
                    iface=host.iface,
                    error=exc,
                )
            ) from None
        try:
            for direction, fn in fns.items():
                ipr.tc(
                    "add-filter",
                    "bpf",
                    idx,
                    ":1",
                    fd=fn.fd,
                    name=fn.name,
                    parent=TC_PARENTS[direction],
                    classid=1,
                    direct_action=True,
                )
        except NetlinkError as exc:
            ipr.tc("del", "clsact", idx)
            raise LabError(
                _(
                    "could not attach a tc program on {host}:{iface}: {error}",
                    host=host.name,
                    iface=host.iface,
                    error=exc,
                )
            ) from None

    def detach(ipr: Any, idx: int) -> None:
        ipr.tc("del", "clsact", idx)  # removes the filters with it

    _netlink(host, attach)
    try:
        yield
    finally:
        with suppress(LabError, NetlinkError, IndexError):  # the interface went away with its namespace
            _netlink(host, detach)


def _netlink(host: Host, fn: Callable[[Any, int], Any]) -> Any:
    """Call ``fn(ipr, ifindex)`` with a pyroute2 IPRoute made in ``host``'s namespace, in a worker thread.

    pyroute2 0.9 drives an asyncio loop of its own, which cannot run inside Jupyter's running loop;
    a fresh thread has none. The netlink socket belongs to the namespace it was made in.
    """
    from pyroute2 import IPRoute

    def work() -> Any:
        with IPRoute() as ipr:
            return fn(ipr, ipr.link_lookup(ifname=host.iface)[0])

    return call_in(host.netns, work)


# --- tracepoints, uprobes, perf events (BCC keeps the perf-event fds) ---------------------------
@contextmanager
def tracepoint_attached(bpf: Any, fn: Any, tp: str) -> Iterator[Any]:
    """Run loaded function ``fn`` at tracepoint ``category:event`` for the block, then detach."""
    key = tp.encode()
    if key not in bpf.tracepoint_fds:  # TRACEPOINT_PROBE functions: BCC attached them while building
        _raise_on(
            call_bcc(bpf.attach_tracepoint, tp=key, fn_name=fn.name),
            _("could not attach {func} to {tracepoint}", func=fn.name.decode(), tracepoint=tp),
        )
    try:
        yield fn
    finally:
        call_bcc(bpf.detach_tracepoint, key)


@contextmanager
def uprobe_attached(bpf: Any, fn: Any, binary: str, sym: str, pid: int = -1, ret: bool = False) -> Iterator[Any]:
    """Run ``fn`` when process ``pid`` (any, if -1) enters, or with ``ret`` returns from, ``sym`` in ``binary``."""
    attach, detach = (bpf.attach_uretprobe, bpf.detach_uretprobe) if ret else (bpf.attach_uprobe, bpf.detach_uprobe)
    _raise_on(
        call_bcc(attach, name=binary, sym=sym, fn_name=fn.name, pid=pid),
        _(
            "could not attach {func} to {symbol}() in {binary}",
            func=fn.name.decode(),
            symbol=sym,
            binary=Path(binary).name,
        ),
    )
    try:
        yield fn
    finally:
        call_bcc(detach, name=binary, sym=sym, pid=pid)


@contextmanager
def cpu_clock_attached(bpf: Any, fn: Any, sample_hz: int) -> Iterator[Any]:
    """Run ``fn`` ``sample_hz`` times a second on every CPU (the software cpu-clock perf event) for the block."""
    if not 1 <= sample_hz <= 10_000:
        raise LabError(_("sample_hz must be between 1 and 10000"))
    bcc = import_bcc()
    ev = {"ev_type": bcc.PerfType.SOFTWARE, "ev_config": bcc.PerfSWConfig.CPU_CLOCK}
    _raise_on(
        call_bcc(bpf.attach_perf_event, **ev, fn_name=fn.name, sample_freq=sample_hz),
        _("could not attach {func} to the cpu-clock perf event", func=fn.name.decode()),
    )
    try:
        yield fn
    finally:
        call_bcc(bpf.detach_perf_event, **ev)


def _raise_on(res: Any, what: str) -> None:
    """LabError with the last line BCC printed (or its exception) when the call failed."""
    if res.error is not None:
        raise LabError(
            f"{what}: {(res.log.strip().splitlines() or [str(res.error)])[-1]}"
        )  # i18n: as is (what is translated; BCC's last line)
