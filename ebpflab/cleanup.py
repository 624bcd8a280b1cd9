"""``ebpflab cleanup``: remove what a killed lab left behind (lab 00).

Everything the kit creates is named so it can be found again: namespaces ``ebl-<pid>-…`` (their
veths and XDP programs go with them) and pinned maps under ``/sys/fs/bpf/ebpflab/<pid>``. By
default only leftovers of processes that no longer run are removed, so a lab running in another
notebook is left alone; ``everything=True`` removes them all.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .netlab import PREFIX, ip, kill_netns_pids
from .system import require_root

PIN_ROOT = Path("/sys/fs/bpf/ebpflab")
_NAME = re.compile(rf"^{PREFIX}-(\d+)-")


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def lab_namespaces() -> list[str]:
    """Names of every namespace the kit created, live or not."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if _NAME.match(line.split()[0] if line.split() else "")]


def leftovers(everything: bool = False) -> list[str]:
    """What cleanup would remove: namespaces and pin folders of dead processes (or all of them)."""
    found = [ns for ns in lab_namespaces() if everything or not _alive(int(_NAME.match(ns).group(1)))]
    if PIN_ROOT.is_dir():
        found += [str(p) for p in sorted(PIN_ROOT.iterdir())
                  if everything or not (p.name.isdigit() and _alive(int(p.name)))]
    return found


def cleanup(everything: bool = False, dry_run: bool = False) -> list[str]:
    """Remove leftovers and return what was removed (or would be, with ``dry_run``)."""
    require_root("cleaning up lab namespaces")
    found = leftovers(everything)
    if dry_run:
        return found
    for item in found:
        if item.startswith("/"):
            shutil.rmtree(item, ignore_errors=True)
        else:
            kill_netns_pids(item)
            ip("netns", "del", item, check=False)
    return found


def add_arguments(parser) -> None:
    """Options of ``ebpflab cleanup``."""
    parser.add_argument("--all", action="store_true", help="also remove those of labs still running")
    parser.add_argument("--dry-run", "-n", action="store_true", help="only list what would be removed")


def run(args) -> int:
    """``ebpflab cleanup``: remove leftovers and print what was removed."""
    everything, dry_run = args.all, args.dry_run
    removed = cleanup(everything, dry_run)
    verb = "would remove" if dry_run else "removed"
    for item in removed:
        print(f"{verb} {item}")
    if not removed:
        print("nothing to clean up" + ("" if everything else " (labs still running are left alone; --all removes them too)"))
    return 0
