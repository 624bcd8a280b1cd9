#!/usr/bin/env python3

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""For translators: bring the catalogues in locale/ up to date with the English text, then report.

    scripts/i18n.py update [LANG [LAB...]]  # existing catalogues (and the labs named: a new one for each)
                                            # get new English cells as empty entries; gone ones turn obsolete;
                                            # the kit's sentences: one catalogue per module that has any
    scripts/i18n.py status [LANG]   # per lab and per module: entries, translated, missing

Each lab's catalogue is locale/<LANG>/labs/NN_topic.po (gettext PO, edited with any PO editor or a
text editor); an entry's msgid is a whole markdown cell, its comment the cell's id. An English cell
that changes gets a new, empty entry: the old translation stays as an obsolete entry (#~) for
reference, and is never used for the new text.

The kit's sentences (``_()`` and ``N_()`` in ebpflab/, see ebpflab/messages.py) are extracted with
Babel into locale/<LANG>/messages/<module>.po, e.g. ebpflab.netlab.po. A sentence that changes keeps
its old translation marked fuzzy (shown in English until a translator clears the mark); a sentence
that is gone is dropped.

The text the labs' code cells pass to the charts (titles, axis labels, series and bar names, event marks,
status lines: ``plots.watch_rates(..., title="xdp_count: packets per second")``) goes into one more
catalogue, locale/<LANG>/messages/labs.po: code cells are byte-identical in every language, so
ebpflab/plots.py looks their English up there when it draws. A value that changes (a rate, a size) is
a field of a template, ``plots.text("ring of {kib} KiB", kib=RING_KIB)``: an f-string cannot be looked
up, and ``chart_text`` names each one.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from ebpflab import LABS_DIR, REPO
from ebpflab.i18n import cell_text, labs_catalogue
from ebpflab.messages import catalogue, messages_dir

PACKAGE = REPO / "ebpflab"
KEYWORDS = {"_": None, "N_": None}

HEADER = """\
# {lab}: the text of labs/{lab}.ipynb in this language, one entry per markdown cell.
# SPDX-FileCopyrightText: The ebpflab contributors
# SPDX-License-Identifier: CC-BY-4.0
#"""
MESSAGES_HEADER = """\
# {module}: the sentences of {path} in this language (see ebpflab/messages.py).
# SPDX-FileCopyrightText: The ebpflab contributors
# SPDX-License-Identifier: MIT
#"""


def new_catalog(nb: Path, lang: str, header: str = "") -> Catalog:
    """An empty catalogue for a lab, with the project's header and no dates (they would change every run)."""
    cat = Catalog(
        locale=lang,
        project="ebpflab",
        domain=nb.stem,
        header_comment=header or HEADER.format(lab=nb.stem),
        copyright_holder="The ebpflab contributors",
        msgid_bugs_address="",
        fuzzy=False,
        version="0.1",
        language_team="The ebpflab contributors",
        last_translator="The ebpflab contributors",
    )
    return cat


def template(nb: Path, lang: str) -> Catalog:
    """A catalogue of the notebook's markdown cells, in order."""
    cat = new_catalog(nb, lang)
    for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "markdown" and cell_text(cell).strip():
            cat.add(cell_text(cell), locations=[(f"labs/{nb.name}", i)], auto_comments=[f"cell {cell.get('id', i)}"])
    return cat


def module_name(path: Path) -> str:
    """A module's import name, which names its catalogue: ebpflab/tcpdump/pcap.py -> ebpflab.tcpdump.pcap."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sentences(path: Path, lang: str) -> Catalog:
    """A catalogue of a module's sentences (Babel's extraction of ``_()`` and ``N_()``), in order."""
    name = module_name(path)
    rel = path.relative_to(REPO)
    cat = new_catalog(path, lang, MESSAGES_HEADER.format(module=name, path=rel))
    for line, msg, comments, _context in extract_from_file("python", path, keywords=KEYWORDS):
        if isinstance(msg, str) and msg:
            cat.add(msg, locations=[(str(rel), line)], auto_comments=comments)
    return cat


# What the labs' code cells hand to a chart: calls of ebpflab/plots.py (and matplotlib's axes) whose
# string arguments end up on the chart, and keywords that name chart text in any call.
CHART_CALLS = {"watch_rates", "LivePlot", "bars", "status", "mark", "text", "set_title", "set_xlabel", "set_ylabel"}
CHART_KEYWORDS = {"title", "xlabel", "ylabel", "label", "labels"}
NOT_TEXT_KEYWORDS = {"draw", "until", "every", "max_seconds", "min_interval", "figsize", "color", "xlabel_fn"}
PASS_THROUGH = {"dict", "list", "tuple", "sorted", "reversed", "pop", "get", "copy", "keys", "values", "items"}
LABS_CHARTS = "labs"  # locale/<LANG>/messages/labs.po
# expressions whose parts may each be chart text: literals, comprehensions, conditions
CONTAINERS = (
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Starred,
    ast.IfExp,
    ast.BoolOp,
    ast.Compare,
    ast.DictComp,
    ast.ListComp,
    ast.SetComp,
    ast.GeneratorExp,
)


def _cell_tree(source: str) -> ast.Module | None:
    """A code cell as Python (IPython's %magics and !commands blanked out), None when it does not parse."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


class _ChartText:
    """The strings that reach a chart in one notebook: found in the chart calls' arguments, and followed
    back through the names those arguments use (an assignment, ``d[key] = ...``, a function's parameter
    and its callers), anywhere in the notebook."""

    def __init__(self, cells: list[tuple[int, ast.Module]]) -> None:
        self.cells = cells
        self.assigned: dict[str, list[tuple[int, ast.AST]]] = {}  # name -> values given to it
        self.params: dict[str, tuple[str, int]] = {}  # parameter name -> (function, position)
        self.calls: dict[str, list[tuple[int, ast.Call]]] = {}
        for cell, tree in cells:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        for t in ast.walk(target):
                            if isinstance(t, ast.Name):
                                self.assigned.setdefault(t.id, []).append((cell, node.value))
                            elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):  # d["key"] = ...
                                self.assigned.setdefault(t.value.id, []).append((cell, t.slice))
                elif isinstance(node, ast.FunctionDef):
                    for i, a in enumerate(node.args.args):
                        self.params[a.arg] = (node.name, i)
                    for ret in ast.walk(node):  # watch_rates(read, ...): what read() returns
                        if isinstance(ret, ast.Return) and ret.value is not None:
                            self.assigned.setdefault(node.name, []).append((cell, ret.value))
                elif isinstance(node, ast.Call):
                    self.calls.setdefault(_call_name(node), []).append((cell, node))
        self.found: dict[str, int] = {}  # text -> first cell
        self.fstrings: list[str] = []
        self._seen: set[str] = set()

    def collect(self) -> _ChartText:
        for cell, tree in self.cells:
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                if _call_name(node) in CHART_CALLS:
                    for arg in node.args:
                        self.walk(cell, arg)
                    for k in node.keywords:
                        if k.arg not in NOT_TEXT_KEYWORDS:
                            self.walk(cell, k.value)
                else:
                    for k in node.keywords:
                        if k.arg in CHART_KEYWORDS:
                            self.walk(cell, k.value)
        return self

    def walk(self, cell: int, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and re.search(r"[A-Za-z]", node.value):
                self.found.setdefault(node.value, cell)
        elif isinstance(node, ast.JoinedStr):
            self.fstrings.append(f"cell {cell}, line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Name):
            self.follow(node.id)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in PASS_THROUGH or name == "text":
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                    self.follow(node.func.value.id)  # pending.pop(0), SENDERS.items()
                for arg in node.args[:1] if name == "text" else node.args:
                    self.walk(cell, arg)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            self.follow(node.value.id)  # events[0]: what events holds (the key itself is the lab's name for it)
        elif isinstance(node, ast.Lambda):
            self.walk(cell, node.body)
        elif isinstance(node, ast.Dict):
            for part in [*node.keys, *node.values]:
                if part is not None:
                    self.walk(cell, part)
        elif isinstance(node, CONTAINERS):
            for child in ast.iter_child_nodes(node):
                self.walk(cell, child)
        elif isinstance(node, ast.comprehension):
            self.walk(cell, node.iter)
            for cond in node.ifs:
                self.walk(cell, cond)
        # an attribute, any other call, a subscript's key (prog["counts"]): a name of the lab's, not chart text

    def follow(self, name: str) -> None:
        if name in self._seen:
            return
        self._seen.add(name)
        for cell, value in self.assigned.get(name, []):
            self.walk(cell, value)
        if name in self.params:  # a function's parameter: what its callers pass
            func, pos = self.params[name]
            for cell, call in self.calls.get(func, []):
                args = call.args[pos : pos + 1] + [k.value for k in call.keywords if k.arg == name]
                for arg in args:
                    self.walk(cell, arg)


def chart_text(nb: Path) -> tuple[dict[str, int], list[str]]:
    """The English a notebook's code cells put on its charts (text -> cell), and each f-string given to a chart."""
    cells = []
    for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "code":
            tree = _cell_tree(cell_text(cell))
            if tree is not None:
                cells.append((i, tree))
    found = _ChartText(cells).collect()
    return found.found, found.fstrings


def labs_chart_sentences(lang: str) -> Catalog:
    """A catalogue of the chart text of every lab's code cells, in lab order."""
    cat = new_catalog(
        REPO / "labs.py",
        lang,
        MESSAGES_HEADER.format(module=LABS_CHARTS, path="labs/*.ipynb (chart text in the code cells)"),
    )
    for nb in sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb")):
        for text, cell in chart_text(nb)[0].items():
            if text in cat:
                cat[text].locations.append((f"labs/{nb.name}", cell))
            else:
                cat.add(text, locations=[(f"labs/{nb.name}", cell)])
    return cat


def message_templates(lang: str) -> list[tuple[str, Path, Catalog]]:
    """Each catalogue of the kit's sentences there should be: its name, its path, the sentences it must hold."""
    out = messages_dir(lang)
    found = [
        (module_name(py), out / f"{module_name(py)}.po", sentences(py, lang)) for py in sorted(PACKAGE.rglob("*.py"))
    ]
    found.append(("labs (chart text)", out / f"{LABS_CHARTS}.po", labs_chart_sentences(lang)))
    return [(name, path, tmpl) for name, path, tmpl in found if len(tmpl)]


def update_messages(lang: str) -> None:
    out = messages_dir(lang)
    out.mkdir(parents=True, exist_ok=True)
    kept = set()
    for _name, path, tmpl in message_templates(lang):
        kept.add(path)
        if path.exists():
            with open(path, "rb") as f:
                cat = read_po(f, locale=lang)
        else:
            cat = new_catalog(path, lang, tmpl.header_comment)
        cat.update(tmpl, update_creation_date=False)
        with open(path, "wb") as f:
            write_po(f, cat, width=0, no_location=True, include_previous=False, ignore_obsolete=True)
    for stale in set(out.glob("*.po")) - kept:
        stale.unlink()
        print(f"{stale.relative_to(REPO)}: removed (its module has no sentences now)")
    print(f"{out.relative_to(REPO)}: {len(kept)} modules updated")


def update(lang: str, *start: str) -> None:
    for nb in sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb")):
        path = labs_catalogue(nb.stem, lang)
        if not path.exists() and nb.stem not in start:
            continue  # not started: a catalogue is made when a translator names the lab
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as f:
                cat = read_po(f, locale=lang)
        else:
            cat = new_catalog(nb, lang)
        cat.update(template(nb, lang), no_fuzzy_matching=True, update_creation_date=False)
        with open(path, "wb") as f:
            write_po(f, cat, width=0, no_location=True, include_previous=False)
        print(f"{path.relative_to(LABS_DIR.parent)}: updated")
    update_messages(lang)


def report(label: str, ids: list[str], path: Path, unit: str, width: int) -> None:
    """One line of the status: how many of ``ids`` the catalogue at ``path`` translates (fuzzy ones do not count)."""
    missing = sum(1 for i in ids if i not in catalogue(path))
    print(f"{label:<{width}} {len(ids):>3} {unit}  {len(ids) - missing:>3} translated  {missing:>3} missing")


def status(lang: str) -> None:
    for nb in sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb")):
        report(nb.stem, [m.id for m in template(nb, lang) if m.id], labs_catalogue(nb.stem, lang), "cells", 22)
    for name, path, tmpl in message_templates(lang):
        report(name, [m.id for m in tmpl if m.id], path, "sentences", 32)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("update", "status"):
        print("usage: scripts/i18n.py update [LANG [LAB...]] | status [LANG]", file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "update":
        update(sys.argv[2] if len(sys.argv) > 2 else "ja", *sys.argv[3:])
    else:
        status(sys.argv[2] if len(sys.argv) > 2 else "ja")
