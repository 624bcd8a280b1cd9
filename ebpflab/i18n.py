# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""English and Japanese from one source: the language a participant chose, and the catalogues that carry it.

The notebooks are written once, in English, in ``labs/``. Their Japanese text lives in gettext
catalogues, one per lab: ``locale/ja/labs/NN_topic.po``, each markdown cell one entry whose msgid is
the English cell. ``build()`` writes the Japanese notebooks into ``labs/ja/`` (build products, never
committed): the same cells in the same order, markdown from the catalogue, code cells byte for byte
the English ones, so the two editions cannot drift. A cell whose English changed has no translation
until a translator gives it one (``scripts/i18n.py update`` marks it; tests/unit/test_i18n.py names it).

The language (``language()``) and the PO reader are ebpflab/messages.py's, which does the same for the
kit's own sentences.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from . import LABS_DIR
from .errors import LabError
from .messages import LANGUAGES, LOCALE_DIR, _, catalogue
from .owner import give_back_tree


def labs_catalogue(lab: str, lang: str = "ja") -> Path:
    """Where a lab's markdown translations are: ``locale/<lang>/labs/<lab>.po``."""
    return LOCALE_DIR / lang / "labs" / f"{lab}.po"


def cell_text(cell: dict[str, Any]) -> str:
    """A notebook cell's source as one string (nbformat keeps it as a string or a list of lines)."""
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def translate_notebook(nb: dict[str, Any], lab: str, lang: str = "ja") -> tuple[dict[str, Any], list[str]]:
    """The notebook in ``lang``: markdown from the lab's catalogue, code untouched; plus the cells left in English."""
    out = copy.deepcopy(nb)
    if lang == "en":
        return out, []
    table = catalogue(labs_catalogue(lab, lang))
    missing = []
    for cell in out["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = cell_text(cell)
        if text in table:
            cell["source"] = table[text]
        else:
            missing.append(text)
    out.setdefault("metadata", {})["language"] = lang
    return out, missing


def build(lang: str = "ja", dest: Path | None = None, labs: Path = LABS_DIR) -> list[Path]:
    """Write every lab notebook in ``lang`` into ``labs/<lang>/`` (or ``dest``); return the paths written.

    A notebook the participant has changed since it was built is theirs: it is left alone (the hash of
    what was built last is kept in ``.built.json`` beside it). Delete it to get the current edition.
    """
    if lang not in LANGUAGES or lang == "en":
        raise LabError(
            _("there is no edition to build for {lang!r}: the labs are written in English and built in ja", lang=lang)
        )
    dest = dest or labs / lang
    dest.mkdir(parents=True, exist_ok=True)
    ledger = dest / ".built.json"
    built = json.loads(ledger.read_text()) if ledger.exists() else {}
    written = []
    for src in sorted(labs.glob("[0-9][0-9]_*.ipynb")):
        nb, _missing = translate_notebook(json.loads(src.read_text(encoding="utf-8")), src.stem, lang)
        path = dest / src.name
        text = json.dumps(nb, ensure_ascii=False, indent=1) + "\n"
        new = _sha(text.encode())
        if path.exists():
            current = _sha(path.read_bytes())
            if current == new:
                built[src.name] = new  # already current
                continue
            if current != built.get(src.name):
                continue  # changed since it was built: the participant's own work
        path.write_text(text, encoding="utf-8")
        built[src.name] = new
        written.append(path)
    ledger.write_text(json.dumps(built, indent=1, sort_keys=True) + "\n")
    give_back_tree(dest, of=labs)
    return written


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
