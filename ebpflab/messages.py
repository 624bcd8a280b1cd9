# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The kit's own sentences in the participant's language: errors, checks, the doctor, the CLI, charts (lab 00).

Every sentence a learner reads is written once, in English, inside ``_()`` where it is used::

    raise LabError(_("no lab network named {name!r}", name=name))

``_`` looks the English up in the language's catalogue, then fills in the fields, so that a translation
puts them where its grammar wants them. Call it when the sentence is shown, never at import (the
language is read then): a table of sentences made at import marks each with ``N_`` and passes it to
``_`` when shown. The catalogues are gettext PO files, one per module: ``locale/ja/messages/netlab.po``
holds ebpflab/netlab.py's sentences (``scripts/i18n.py update`` extracts them with Babel). A sentence
without a translation is shown in English, and tests/unit/test_messages.py names it.

The language: ``EBPFLAB_LANG`` (``en`` or ``ja``), else a Japanese ``LC_ALL``/``LC_MESSAGES``/``LANG``.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

LANGUAGES = ("en", "ja")
# (not from the package's REPO: errors.py imports this module while the package is being imported)
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def language() -> str:
    """The participant's language: ``EBPFLAB_LANG`` if set, else ``ja`` for a Japanese locale, else ``en``."""
    chosen = os.environ.get("EBPFLAB_LANG", "").strip()
    if chosen:
        lang = chosen.split("_")[0].split(".")[0].lower()
        if lang not in LANGUAGES:
            from .errors import LabError

            raise LabError(  # i18n: as is (both languages: the one asked for is the one that is not there)
                f"EBPFLAB_LANG={chosen!r}: the labs come in {' and '.join(LANGUAGES)} "
                f"(ラボは {' と '.join(LANGUAGES)} で用意しています)"
            )
        return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


@functools.cache
def catalogue(path: Path) -> dict[str, str]:
    """The finished translations of a PO file (msgid -> msgstr); fuzzy and empty entries are left out."""
    from babel.messages.pofile import read_po

    if not path.exists():
        return {}
    with open(path, "rb") as f:
        cat = read_po(f, abort_invalid=True)
    # (the entry with the empty msgid is the file's header, never a translation)
    return {
        m.id: m.string
        for m in cat
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def messages_dir(lang: str) -> Path:
    """Where the kit's sentences in ``lang`` are: ``locale/<lang>/messages/``, one PO file per module."""
    return LOCALE_DIR / lang / "messages"


@functools.cache
def tables(lang: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The translations into ``lang``: per module (keyed by the module's name), and all of them in one table."""
    per_module = {po.stem: catalogue(po) for po in sorted(messages_dir(lang).glob("*.po"))} if lang != "en" else {}
    merged: dict[str, str] = {}
    for table in per_module.values():
        merged.update(table)
    return per_module, merged


def _(message: str, /, **fields: object) -> str:
    """``message`` in the participant's language, with ``fields`` filled in (str.format) after translating."""
    lang = language()
    text = message
    if lang != "en" and message:
        per_module, merged = tables(lang)
        # The calling module's own catalogue first: a short sentence ("min", "rule") may mean one thing in
        # one module and another elsewhere. Then any catalogue (chart text from the labs' code cells).
        module = sys._getframe(1).f_globals.get("__name__", "")
        text = per_module.get(module, {}).get(message) or merged.get(message, message)
    return text.format(**fields) if fields else text


def N_(message: str, /) -> str:
    """Mark a sentence made at import for translation; ``_`` translates it when it is shown."""
    return message
