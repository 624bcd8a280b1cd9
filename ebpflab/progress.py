# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Which exercises a learner has passed: one small local file, and ``ebpflab progress`` to read it (lab 00).

Every exercise check appends one line to the progress file, pass or fail. The file is CSV with this
header, one row per check run, oldest first, so that an instructor can read it, collect it, or open
it in a spreadsheet::

    time,lab,exercise,result,detail
    2026-12-07T05:01:12Z,03_maps,busiest,fail,"your busiest() returned '198.18.1.10', ..."

``time`` is UTC (ISO 8601, seconds), ``lab`` the notebook's stem, ``exercise`` the name in its
metadata, ``result`` ``pass`` or ``fail``, ``detail`` the check's first line. The file is
``progress.csv`` in the checkout (the participant's, given back to them when root writes it), or
where ``EBPFLAB_PROGRESS`` says (the test suite points it elsewhere).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import LABS_DIR, REPO
from .errors import LabError
from .messages import N_, _
from .owner import give_back
from .system import ljust, rjust

FIELDS = ("time", "lab", "exercise", "result", "detail")
RESULTS = {"pass": N_("pass"), "fail": N_("fail")}  # the file's words, as the table shows them


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lab, as its notebook's metadata names it."""

    lab: str
    name: str
    minutes: int


def path() -> Path:
    """Where the progress file is: ``$EBPFLAB_PROGRESS``, else ``progress.csv`` in the checkout."""
    return Path(os.environ.get("EBPFLAB_PROGRESS") or REPO / "progress.csv")


def record(lab: str, name: str, passed: bool, detail: str) -> None:
    """Append one check run to the progress file; a file that cannot be written costs the learner nothing."""
    file = path()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    row = io.StringIO()
    csv.writer(row, lineterminator="\n").writerow(
        [now, lab, name, "pass" if passed else "fail", (detail.splitlines() or [""])[0][:300]]
    )
    try:
        new = not file.exists()
        with open(file, "a", encoding="utf-8") as out:  # one write per row: rows of two kernels never interleave
            out.write((",".join(FIELDS) + "\n" if new else "") + row.getvalue())
        if new and file.parent == REPO:
            give_back(file, REPO)
    except OSError:
        pass  # a read-only checkout: the check's verdict still shows in the notebook


def read(file: Path | None = None) -> list[dict[str, str]]:
    """The rows of a progress file, oldest first; none when it does not exist yet."""
    file = file or path()
    try:
        with open(file, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabError(_("cannot read the progress file {file}: {error}", file=file, error=exc)) from exc
    if rows and set(FIELDS) - set(rows[0]):
        raise LabError(
            _("{file} is not a progress file: its header is not {header}", file=file, header=",".join(FIELDS))
        )
    return rows


def exercises(labs: Path = LABS_DIR) -> list[Exercise]:
    """Every exercise of every lab, in order, read from the notebooks' cell metadata."""
    found = []
    for nb in sorted(labs.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {})
            if "exercise" in meta.get("tags", []) and "exercise" in meta.get("ebpflab", {}):
                found.append(Exercise(nb.stem, meta["ebpflab"]["exercise"], int(meta["ebpflab"].get("minutes", 0))))
    return found


def table(rows: list[dict[str, str]], known: list[Exercise]) -> str:
    """The progress table: each exercise's latest result, its tries and when; then how many passed."""
    latest: dict[tuple[str, str], dict[str, str]] = {}
    tries: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["lab"], r["exercise"])
        latest[key] = r
        tries[key] = tries.get(key, 0) + 1
    keys = [(e.lab, e.name) for e in known] + sorted(k for k in latest if k not in {(e.lab, e.name) for e in known})
    minutes = {(e.lab, e.name): e.minutes for e in known}
    head = [ljust(_("lab"), 22), ljust(_("exercise"), 22), rjust(_("min"), 3), "", ljust(_("result"), 6)]
    lines = [" ".join([*head, rjust(_("tries"), 5), "", _("last try (UTC)")])]
    for key in keys:
        last = latest.get(key)
        mins = str(minutes[key]) if minutes.get(key) else ""
        when = last["time"].replace("T", " ").rstrip("Z")[:16] if last else ""
        result = RESULTS.get(last["result"], last["result"]) if last else "-"
        lines.append(f"{key[0]:<22} {key[1]:<22} {mins:>3}  {ljust(_(result), 6)} {tries.get(key, 0):>5}  {when}")
    passed = sum(1 for k in keys if latest.get(k, {}).get("result") == "pass")
    lines.append(_("{passed} of {total} exercises passed", passed=passed, total=len(keys)))
    return "\n".join(lines)


def show(file: Path | None = None) -> None:
    """Print the progress table (lab 00 shows it; ``ebpflab progress`` prints the same)."""
    print(table(read(file), exercises()))


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``ebpflab progress``."""
    p.add_argument("--file", type=Path, help=_("a progress file to read (default: $EBPFLAB_PROGRESS or progress.csv)"))


def main(args: argparse.Namespace) -> int:
    """``ebpflab progress``: print the table."""
    file = args.file
    if file is not None and not file.is_file():
        raise LabError(_("no progress file at {file}", file=file))
    show(file)
    return 0
