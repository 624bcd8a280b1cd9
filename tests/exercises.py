# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The labs' exercises as the tests see them: exercise and check cells, solutions, shortcuts (tests/shortcuts/)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ebpflab import LABS_DIR
from ebpflab.check import solutions

SHORTCUTS = Path(__file__).resolve().parent / "shortcuts"
NOTEBOOKS = sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb"))


@dataclass
class Exercise:
    lab: str
    name: str
    minutes: int
    stub: str
    check: str
    text: str  # the markdown cell before the exercise cell
    prelude: str  # the notebook's first code cell (its imports)
    solution: str = ""
    shortcuts: list[tuple[str, str]] = field(default_factory=list)  # (why, answer)


def source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def shortcuts(lab: str) -> dict[str, list[tuple[str, str]]]:
    """The ``# %% shortcut: NAME — why`` blocks of tests/shortcuts/<lab>.py, by exercise."""
    path = SHORTCUTS / f"{lab}.py"
    out: dict[str, list[tuple[str, str]]] = {}
    current: list[str] | None = None
    for line in path.read_text().splitlines(keepends=True) if path.exists() else []:
        m = re.match(r"# %% shortcut: (\S+)\s*(?:—|-+)?\s*(.*)", line)
        if m:
            current = [m.group(2).strip(), ""]
            out.setdefault(m.group(1), []).append(current)  # type: ignore[arg-type]
        elif current is not None:
            current[1] += line
    return {k: [(why, text.strip() + "\n") for why, text in v] for k, v in out.items()}


def exercises(notebooks: list[Path] = NOTEBOOKS) -> list[Exercise]:
    """Every exercise of the given notebooks, with its cells, solution and shortcuts."""
    found = []
    for nb in notebooks:
        cells = json.loads(nb.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        sols, cuts = solutions(nb), shortcuts(nb.stem)
        for i, cell in enumerate(cells):
            meta = cell.get("metadata", {})
            name = meta.get("ebpflab", {}).get("exercise")
            if not name or "exercise" not in meta.get("tags", []):
                continue
            check = next(
                (
                    c
                    for c in cells[i + 1 :]
                    if c.get("metadata", {}).get("ebpflab", {}).get("exercise") == name
                    and "check" in c["metadata"].get("tags", [])
                ),
                None,
            )
            text = next((source(c) for c in reversed(cells[:i]) if c["cell_type"] == "markdown"), "")
            found.append(
                Exercise(
                    nb.stem,
                    name,
                    int(meta["ebpflab"].get("minutes", 0)),
                    source(cell),
                    source(check) if check else "",
                    text,
                    source(code[0]),
                    sols.get(name, ""),
                    cuts.get(name, []),
                )
            )
    return found
