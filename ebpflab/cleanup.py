# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""``ebpflab cleanup``: remove what a killed lab left behind (no lab imports it; `make cleanup` runs it).

Everything the kit creates is named so it can be found again, by its owner's tag
``<pid>_<start time>`` (``system.owner_tag``): namespaces ``ebl-<tag>-…`` (their veths and XDP
programs go with them), pinned maps under ``/sys/fs/bpf/ebpflab/<tag>``, a mark per XDP attachment
(``xdp.XdpMark``, written before attaching, naming the program's id) and the filter headers a
capture writes for clang. By default only leftovers of processes that no longer run are removed
(``system.owner_alive``: the pid *and* its start time must match, so a reused pid does not protect
them), so a lab running in another
notebook is left alone; ``everything=True`` removes them all.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from .maps import PIN_ROOT
from .messages import _
from .netlab import ip, kill_netns_pids, owner_of
from .system import owner_alive, require_root
from .tcpdump.filterfile import FILTER_PREFIX, filter_header_owner
from .xdp import XDP_MARKS, XdpMark, xdp_programs


def lab_namespaces() -> list[str]:
    """Names of every namespace the kit created, live or not."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if owner_of(line.split()[0] if line.split() else "")]


def leftovers(everything: bool = False) -> list[str]:
    """What cleanup would remove: namespaces and pin folders of dead processes (or all of them)."""
    found = [ns for ns in lab_namespaces() if everything or not ((tag := owner_of(ns)) is None or owner_alive(tag))]
    if PIN_ROOT.is_dir():
        found += [str(p) for p in sorted(PIN_ROOT.iterdir()) if everything or not owner_alive(p.name)]
    found += [str(m) for m in leftover_xdp_marks(everything)]
    tmp = Path(tempfile.gettempdir())
    found += [
        str(h)
        for h in sorted(tmp.glob(f"{FILTER_PREFIX}*.h"))
        if everything or ((tag := filter_header_owner(h.name)) and not owner_alive(tag))
    ]
    return found


def leftover_xdp_marks(everything: bool = False) -> list[Path]:
    """Marks of XDP programs attached by processes that died (any namespace, the root one too)."""
    if not XDP_MARKS.is_dir():
        return []
    out = []
    for path in sorted(XDP_MARKS.iterdir()):
        mark = XdpMark.read(path)
        if mark is None and not path.exists():  # removed meanwhile by the process that made it
            continue
        if everything or mark is None or not owner_alive(mark.owner):
            out.append(path)
    return out


def detach_xdp_mark(path: Path) -> None:
    """Detach the program a mark names, if that very program is still attached, then drop the mark."""
    mark = XdpMark.read(path)
    if mark is not None and any(p.get("id") == mark.prog_id for p in xdp_programs(mark.iface, mark.netns)):
        ns = ["-n", mark.netns] if mark.netns else []  # never detach a program someone attached since
        for mode in ("xdpgeneric", "xdpdrv"):
            subprocess.run(["ip", *ns, "link", "set", "dev", mark.iface, mode, "off"], capture_output=True)
    path.unlink(missing_ok=True)


def cleanup(everything: bool = False, dry_run: bool = False) -> list[str]:
    """Remove leftovers and return what was removed (or would be, with ``dry_run``)."""
    require_root(_("cleaning up lab namespaces"))
    found = leftovers(everything)
    if dry_run:
        return found
    for item in found:
        if item.startswith(str(XDP_MARKS)):
            detach_xdp_mark(Path(item))
        elif item.endswith(".h"):
            Path(item).unlink(missing_ok=True)
        elif item.startswith("/"):
            shutil.rmtree(item, ignore_errors=True)
        else:
            kill_netns_pids(item)
            ip("netns", "del", item, check=False)
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ebpflab cleanup``."""
    parser.add_argument("--all", action="store_true", help=_("also remove those of labs still running"))
    parser.add_argument("--dry-run", "-n", action="store_true", help=_("only list what would be removed"))


def main(args: argparse.Namespace) -> int:
    """``ebpflab cleanup``: remove leftovers and print what was removed."""
    everything, dry_run = args.all, args.dry_run
    removed = cleanup(everything, dry_run)
    for item in removed:
        print(_("would remove {item}", item=item) if dry_run else _("removed {item}", item=item))
    if not removed and everything:
        print(_("nothing to clean up"))
    elif not removed:
        print(_("nothing to clean up (labs still running are left alone; --all removes them too)"))
    return 0
