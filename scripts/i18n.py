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
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from ebpflab import LABS_DIR, REPO
from ebpflab.i18n import cell_text, labs_catalogue
from ebpflab.messages import messages_dir

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


def update_messages(lang: str) -> None:
    out = messages_dir(lang)
    out.mkdir(parents=True, exist_ok=True)
    kept = set()
    for py in sorted(PACKAGE.rglob("*.py")):
        tmpl = sentences(py, lang)
        if not len(tmpl):
            continue
        path = out / f"{module_name(py)}.po"
        kept.add(path)
        if path.exists():
            with open(path, "rb") as f:
                cat = read_po(f, locale=lang)
        else:
            cat = new_catalog(py, lang, MESSAGES_HEADER.format(module=module_name(py), path=py.relative_to(REPO)))
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


def status(lang: str) -> None:
    for nb in sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb")):
        path = labs_catalogue(nb.stem, lang)
        done = {}
        if path.exists():
            with open(path, "rb") as f:
                done = {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}
        cells = [m.id for m in template(nb, lang) if m.id]
        missing = sum(1 for c in cells if c not in done)
        print(f"{nb.stem:<22} {len(cells):>3} cells  {len(cells) - missing:>3} translated  {missing:>3} missing")
    for py in sorted(PACKAGE.rglob("*.py")):
        ids = [m.id for m in sentences(py, lang) if m.id]
        if not ids:
            continue
        path = messages_dir(lang) / f"{module_name(py)}.po"
        done = {}
        if path.exists():
            with open(path, "rb") as f:
                done = {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}
        missing = sum(1 for i in ids if i not in done)
        print(
            f"{module_name(py):<32} {len(ids):>3} sentences  {len(ids) - missing:>3} translated  {missing:>3} missing"
        )


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("update", "status"):
        print("usage: scripts/i18n.py update [LANG [LAB...]] | status [LANG]", file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "update":
        update(sys.argv[2] if len(sys.argv) > 2 else "ja", *sys.argv[3:])
    else:
        status(sys.argv[2] if len(sys.argv) > 2 else "ja")
