"""``ebpflab cleanup``: remove what a killed lab left behind (lab 00).

Everything the kit creates is named so it can be found again: namespaces ``ebl-<pid>-…`` (their
veths and XDP programs go with them) and pinned maps under ``/sys/fs/bpf/ebpflab/<pid>``. By
default only leftovers of processes that no longer run are removed, so a lab running in another
notebook is left alone; ``everything=True`` removes them all.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .netlab import PREFIX, ip, kill_netns_pids
from .system import require_root

PIN_ROOT = Path("/sys/fs/bpf/ebpflab")
XDP_MARKS = Path("/run/ebpflab/xdp")  # `<pid> <iface> <netns>` per attachment made by ebpflab.capture (lab 06)
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
    found += [str(m) for m in leftover_xdp_marks(everything)]
    return found


def leftover_xdp_marks(everything: bool = False) -> list[Path]:
    """Marks of XDP capture programs attached by processes that died (any namespace, the root one too)."""
    if not XDP_MARKS.is_dir():
        return []
    out = []
    for m in sorted(XDP_MARKS.iterdir()):
        try:
            pid = (m.read_text().split() or [""])[0]
        except OSError:  # removed meanwhile by the capture that made it
            continue
        if everything or not (pid.isdigit() and _alive(int(pid))):
            out.append(m)
    return out


def detach_xdp_mark(mark: Path) -> None:
    """Detach the capture program a mark points to (only if it is still ours), then drop the mark."""
    import json

    try:
        fields = mark.read_text().split()
    except OSError:
        return
    iface, netns = fields[1], (fields[2] if len(fields) > 2 else None)
    ns = ["-n", netns] if netns else []
    res = subprocess.run(["ip", *ns, "-j", "-d", "link", "show", "dev", iface], capture_output=True, text=True)
    try:
        xdp = json.loads(res.stdout)[0].get("xdp", {}) if res.returncode == 0 else {}
    except (ValueError, IndexError):
        xdp = {}
    names = {p.get("name") for p in [xdp.get("prog", {}), *[a.get("prog", {}) for a in xdp.get("attached", [])]]}
    if "xdp_capture" in names:  # never detach a program someone attached since
        for mode in ("xdpgeneric", "xdpdrv"):
            subprocess.run(["ip", *ns, "link", "set", "dev", iface, mode, "off"], capture_output=True)
    mark.unlink(missing_ok=True)


def cleanup(everything: bool = False, dry_run: bool = False) -> list[str]:
    """Remove leftovers and return what was removed (or would be, with ``dry_run``)."""
    require_root("cleaning up lab namespaces")
    found = leftovers(everything)
    if dry_run:
        return found
    for item in found:
        if item.startswith(str(XDP_MARKS)):
            detach_xdp_mark(Path(item))
        elif item.startswith("/"):
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
