"""Attaching loaded programs to hooks, and always detaching: the plumbing behind ``Program``'s attach methods (lab 01).

Each function here is a context manager over one kind of hook (XDP, tc, tracepoint, uprobe,
perf event) that takes a function ``Program.load()`` returned; notebooks use them through
``Program.xdp()``, ``.tc()``, ``.tracepoint()``, ``.uprobe()`` and ``.perf_event()``.
XDP attachments also leave an ``XdpMark`` so ``ebpflab cleanup`` can undo those of killed processes.
"""
from __future__ import annotations

import errno
import os
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from . import system
from .errors import LabError
from .netlab import Host, call_in, link_info, netns
from .system import call_bcc, import_bcc

XDP_MODES = {"generic": 1 << 1, "native": 1 << 2, "offload": 1 << 3}
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_MARKS = Path("/run/ebpflab/xdp")  # one XdpMark per attachment, for `ebpflab cleanup`
TC_PARENTS = {"ingress": "ffff:fff2", "egress": "ffff:fff3"}


# --- XDP ------------------------------------------------------------------------------------
@contextmanager
def xdp_attached(fn: Any, iface: str, ns: str | None = None, mode: str = "generic", *,
                 label: str | None = None) -> Iterator[Any]:
    """Attach loaded XDP function ``fn`` to ``iface`` (in namespace ``ns``, or this one) for the block, then detach.

    A mark naming the program is written *before* attaching, so that ``ebpflab cleanup`` can detach
    it should this process be SIGKILLed at any point while it is attached.
    """
    label = label or iface
    with xdp_marked(fn, iface, ns, mode):
        bcc = import_bcc()
        flags = XDP_MODES[mode] | XDP_FLAGS_UPDATE_IF_NOEXIST  # never replace another program silently
        with netns(ns) if ns else nullcontext():
            res = call_bcc(bcc.BPF.attach_xdp, iface.encode(), fn, flags)
        if res.error is not None:
            busy = [p.get("name") or f"id {p.get('id')}" for p in xdp_programs(iface, ns)]
            if busy:
                raise LabError(f"{label} already runs the XDP program {busy[0]!r}: XDP allows one program per "
                               "interface, so detach it first (leave the other `with` block)") from None
            raise LabError(f"could not attach {fn.name.decode()} to {label} in {mode} mode: {res.error} {res.log.strip()}".strip())
        try:
            yield fn
        finally:
            detach_xdp(iface, ns, mode)


@contextmanager
def xdp_marked(prog: Any, iface: str, ns: str | None, mode: str) -> Iterator[None]:
    """Check ``mode``, then keep an ``XdpMark`` naming ``prog`` (a BCC function or an fd) for the block.

    Every XDP attach (BCC's here, libbpf's in lab 11) attaches inside this block: the mark is
    written *before* attaching, so no moment of a SIGKILL leaves a program ``ebpflab cleanup`` cannot see.
    """
    if mode not in XDP_MODES:
        raise LabError(f"unknown XDP mode {mode!r}; use one of {', '.join(XDP_MODES)}")
    mark = XdpMark(system.owner_tag(), iface, ns, prog_id(prog)).write()
    try:
        yield
    finally:
        if mark:
            mark.unlink(missing_ok=True)


def detach_xdp(iface: str, ns: str | None = None, mode: str = "generic") -> None:
    """Remove whatever XDP program is attached to ``iface`` (quietly if its namespace is gone)."""
    if ns and not os.path.exists(f"/run/netns/{ns}"):
        return
    bcc = import_bcc()
    with netns(ns) if ns else nullcontext():
        call_bcc(bcc.BPF.remove_xdp, iface.encode(), XDP_MODES[mode])  # an error: the interface went away


def xdp_programs(iface: str, ns: str | None = None) -> list[dict]:
    """The XDP programs attached to ``iface`` as ``ip -j -d link`` lists them (id, name, ...); none if it is gone."""
    try:
        xdp = link_info(iface, ns).get("xdp", {})
    except LabError:
        return []
    progs = [xdp["prog"]] if "prog" in xdp else []
    return progs + [a["prog"] for a in xdp.get("attached", []) if "prog" in a and a["prog"] not in progs]


def prog_id(fn: Any) -> int:
    """The kernel's id of a loaded program, given as a BCC function or an fd (what ``bpftool prog`` shows)."""
    with open(f"/proc/self/fdinfo/{fn if isinstance(fn, int) else fn.fd}") as f:
        return int(next(line.split()[1] for line in f if line.startswith("prog_id:")))


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
    def read(cls, path: Path) -> "XdpMark | None":
        """The mark in ``path``, or None if it is gone or unreadable."""
        try:
            owner, iface, ns, pid_of_prog = path.read_text().split()
            return cls(owner, iface, None if ns == "-" else ns, int(pid_of_prog))
        except (OSError, ValueError):
            return None


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
                raise LabError(f"{host.name}:{host.iface} already has a clsact qdisc (another lab attached tc programs)") from None
            raise LabError(f"could not add the clsact qdisc on {host.name}:{host.iface}: {exc}") from None
        try:
            for direction, fn in fns.items():
                ipr.tc("add-filter", "bpf", idx, ":1", fd=fn.fd, name=fn.name, parent=TC_PARENTS[direction],
                       classid=1, direct_action=True)
        except NetlinkError as exc:
            ipr.tc("del", "clsact", idx)
            raise LabError(f"could not attach a tc program on {host.name}:{host.iface}: {exc}") from None

    def detach(ipr: Any, idx: int) -> None:
        ipr.tc("del", "clsact", idx)  # removes the filters with it

    _netlink(host, attach)
    try:
        yield
    finally:
        try:
            _netlink(host, detach)
        except (LabError, NetlinkError, IndexError):
            pass  # the interface went away with its namespace: nothing left to detach


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
        _raise_on(call_bcc(bpf.attach_tracepoint, tp=key, fn_name=fn.name), f"could not attach {fn.name.decode()} to {tp}")
    try:
        yield fn
    finally:
        call_bcc(bpf.detach_tracepoint, key)


@contextmanager
def uprobe_attached(bpf: Any, fn: Any, binary: str, sym: str, pid: int = -1, ret: bool = False) -> Iterator[Any]:
    """Run ``fn`` when process ``pid`` (any, if -1) enters, or with ``ret`` returns from, ``sym`` in ``binary``."""
    attach, detach = (bpf.attach_uretprobe, bpf.detach_uretprobe) if ret else (bpf.attach_uprobe, bpf.detach_uprobe)
    _raise_on(call_bcc(attach, name=binary, sym=sym, fn_name=fn.name, pid=pid),
              f"could not attach {fn.name.decode()} to {sym}() in {Path(binary).name}")
    try:
        yield fn
    finally:
        call_bcc(detach, name=binary, sym=sym, pid=pid)


@contextmanager
def cpu_clock_attached(bpf: Any, fn: Any, sample_hz: int) -> Iterator[Any]:
    """Run ``fn`` ``sample_hz`` times a second on every CPU (the software cpu-clock perf event) for the block."""
    if not 1 <= sample_hz <= 10_000:
        raise LabError("sample_hz must be between 1 and 10000")
    bcc = import_bcc()
    ev = {"ev_type": bcc.PerfType.SOFTWARE, "ev_config": bcc.PerfSWConfig.CPU_CLOCK}
    _raise_on(call_bcc(bpf.attach_perf_event, **ev, fn_name=fn.name, sample_freq=sample_hz),
              f"could not attach {fn.name.decode()} to the cpu-clock perf event")
    try:
        yield fn
    finally:
        call_bcc(bpf.detach_perf_event, **ev)


def _raise_on(res: Any, what: str) -> None:
    """LabError with the last line BCC printed (or its exception) when the call failed."""
    if res.error is not None:
        raise LabError(f"{what}: {(res.log.strip().splitlines() or [str(res.error)])[-1]}")
