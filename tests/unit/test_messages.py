# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The kit's own sentences in Japanese (ebpflab/messages.py, locale/ja/messages/): every sentence a learner
reads goes through ``_()``, has its translation, and keeps its fields; a new English sentence without
a translation fails here, by name."""

from __future__ import annotations

import ast
import json
import string
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from japanese import has_japanese

from ebpflab import LABS_DIR, REPO, check, messages
from ebpflab.errors import CheckFailed

sys.path.insert(0, str(REPO / "scripts"))
from i18n import LABS_CHARTS, PACKAGE, chart_text, labs_chart_sentences, module_name, sentences

MODULES = sorted(PACKAGE.rglob("*.py"))
JA = messages.messages_dir("ja")
# the text the labs' code cells pass to the charts: one more catalogue, labs.po (scripts/i18n.py)
CATALOGUES = [*MODULES, LABS_DIR]


def catalogue_id(target: Path) -> str:
    return "labs (chart text)" if target == LABS_DIR else str(target.relative_to(PACKAGE))


def catalogue_of(target: Path) -> tuple[str, list[str]]:
    """A module's (or the labs' charts') catalogue name and the sentences scripts/i18n.py extracts for it."""
    if target == LABS_DIR:
        return LABS_CHARTS, [m.id for m in labs_chart_sentences("ja") if m.id]
    return module_name(target), [m.id for m in sentences(target, "ja") if m.id]


def po(path: Path) -> dict[str, tuple[str, bool]]:
    with open(path, "rb") as f:
        return {m.id: (m.string, bool(m.fuzzy)) for m in read_po(f) if isinstance(m.id, str) and m.id}


def extracted() -> dict[str, list[str]]:
    """Module name -> its sentences, as scripts/i18n.py extracts them."""
    out = {}
    for target in CATALOGUES:
        module, ids = catalogue_of(target)
        if ids:
            out[module] = ids
    return out


@pytest.mark.parametrize("py", CATALOGUES, ids=catalogue_id)
def test_every_sentence_has_its_japanese(py):
    module, ids = catalogue_of(py)
    path = JA / f"{module}.po"
    table = po(path) if path.exists() else {}
    missing = []
    for msgid in ids:
        text, fuzzy = table.get(msgid, ("", False))
        if not text or fuzzy:
            missing.append(repr(msgid) + (" (fuzzy: check the translation, then drop the mark)" if fuzzy else ""))
    assert not missing, (
        f"{len(missing)} sentences of {module} have no Japanese yet: run `scripts/i18n.py update`, translate "
        f"them in {path.relative_to(REPO)}, then run the tests again:\n" + "\n".join(missing)
    )


def test_no_catalogue_holds_a_sentence_the_code_no_longer_has():
    found = extracted()
    stale = []
    for path in sorted(JA.glob("*.po")):
        ids = set(found.get(path.stem, []))
        stale += [f"{path.name}: {msgid!r}" for msgid in po(path) if msgid not in ids]
    assert not stale, "catalogue entries without their sentence (run `scripts/i18n.py update`):\n" + "\n".join(
        stale[:40]
    )


@pytest.mark.parametrize("nb", sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_no_lab_gives_a_chart_an_f_string(nb):
    """Code cells are the same in every language: chart text is looked up as written, so values go in fields."""
    fstrings = chart_text(nb)[1]
    assert not fstrings, (
        f"{nb.name}: chart text written as an f-string cannot be shown in Japanese; make it a template with "
        'fields, plots.text("ring of {kib} KiB", kib=RING_KIB) (or plots.status("... {n}", n=N)):\n'
        + "\n".join(fstrings)
    )


def test_the_chart_text_finder_follows_names_to_their_strings(tmp_path):
    cells = [
        'SERIES = ["passed", "198.18.0.1"]\nevents = [(0.5, "block it", lambda: fw.block_port(9, "udp"))]',
        'def read():\n    return {"captured": prog["counts"][0]}\n\n'
        'def measure(title):\n    plots.watch_rates(read, until=lambda: True, title=title, ylabel="events/s")\n\n'
        'measure("(a) in Python")\nwith plots.LivePlot("rules", SERIES) as plot:\n'
        "    _, label, _ = events[0]\n    plot.mark(1.0, label)\n"
        'plots.bars({"XDP drop": 3}, f"{N} packets", xlabel="ns per packet")\n%time x = 1',
    ]
    nb = tmp_path / "99_x.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells]}))
    found, fstrings = chart_text(nb)
    assert sorted(found) == sorted(
        ["passed", "block it", "captured", "(a) in Python", "events/s", "rules", "XDP drop", "ns per packet"]
    ), found
    assert fstrings == ["cell 1, line 11: f'{N} packets'"], fstrings


def fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_translations_keep_every_field_and_no_other():
    wrong = []
    for path in sorted(JA.glob("*.po")):
        for msgid, (text, _fuzzy) in po(path).items():
            if not text:
                continue
            try:
                if fields(text) != fields(msgid):
                    wrong.append(f"{path.name}: {msgid!r} has {fields(msgid)}, its translation {fields(text)}")
            except ValueError as exc:  # a lone brace: str.format would raise when the sentence is shown
                wrong.append(f"{path.name}: translation of {msgid!r}: {exc}")
    assert not wrong, "\n".join(wrong)


# Calls whose string arguments a learner reads: the kit's exceptions, prints, check sentences, chart
# text, the CLI's help. A literal (or f-string) there is a sentence that escaped the catalogue.
SHOWN_CALLS = {
    "print",
    "ok",
    "that",
    "equal",
    "between",
    "set_title",
    "set_xlabel",
    "set_ylabel",
    "suptitle",
    "title",
    "xlabel",
    "ylabel",
    "ArgumentParser",
    "add_parser",
    "add_argument",
    "error",
    "status",
}
SHOWN_KEYWORDS = {"help", "description", "label", "title", "epilog"}
AS_IS = "# i18n: as is"


def exception_names() -> set[str]:
    tree = ast.parse((PACKAGE / "errors.py").read_text())
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


def is_sentence(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and any(c.isalpha() for c in str(v.value)) for v in node.values)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value.strip()


def call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def escaped_sentences(source: str, where: str) -> list[str]:
    """``where:line: text`` for each sentence shown without ``_()``, and each ``_()`` given an f-string."""
    shown = SHOWN_CALLS | exception_names()
    lines = source.splitlines()
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):  # Babel's extractor does not look inside an f-string's {}
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and call_name(inner) in ("_", "N_")
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant | ast.JoinedStr)  # (a variable: marked with N_)
                ):
                    out.append(f"{where}:{inner.lineno}: _() inside an f-string (Babel cannot see it: make it a field)")
        if not isinstance(node, ast.Call):
            continue
        name = call_name(node)
        if name in ("_", "N_"):
            if node.args and isinstance(node.args[0], ast.JoinedStr):
                out.append(f"{where}:{node.lineno}: _() of an f-string (write the fields as _('... {{x}}', x=...))")
            continue
        args = list(node.args) if name in shown else []
        args += [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        for arg in args:
            parts = arg.values if isinstance(arg, ast.BinOp | ast.BoolOp) and hasattr(arg, "values") else [arg]
            for part in parts:
                if is_sentence(part) and AS_IS not in lines[part.lineno - 1] and AS_IS not in lines[node.lineno - 1]:
                    out.append(f"{where}:{part.lineno}: {ast.unparse(part)[:90]}")
    return out


@pytest.mark.parametrize("py", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_sentence_shown_goes_through_the_catalogue(py):
    escaped = escaped_sentences(py.read_text(), str(py.relative_to(REPO)))
    assert not escaped, (
        f"{len(escaped)} sentences a learner reads are not wrapped in _() (ebpflab/messages.py); a line that must "
        "stay as it is (another program's output, say) ends with `# i18n: as is (why)`:\n" + "\n".join(escaped)
    )


def test_the_escape_finder_finds_an_escaped_sentence():
    found = escaped_sentences(
        'raise LabError(f"no such lab {x}")\nprint("done now")\nraise LabError(_("fine {x}", x=1))\n'
        'p.add_argument("--n", help="how many")\nok(_(f"bad {x}"))\nprint("tcpdump: listening")  # i18n: as is (tcpdump)\n'
        "x = f\"{_('hidden')}: {n}\"\n",
        "m.py",
    )
    assert sorted(int(f.split(":")[1]) for f in found) == [1, 2, 4, 5, 7], found


@pytest.fixture
def japanese(monkeypatch):
    monkeypatch.setenv("EBPFLAB_LANG", "ja")


def test_a_failed_check_speaks_japanese_when_chosen(japanese):
    with pytest.raises(CheckFailed) as err:
        check.equal(3, 4, "packets")
    assert has_japanese(str(err.value)) and "packets" in str(err.value) and "4" in str(err.value), str(err.value)


def test_a_module_s_own_translation_comes_first(japanese):
    """A short sentence may mean one thing in one module and another elsewhere: the caller's catalogue wins."""
    per_module, merged = messages.tables("ja")
    clashes = {
        msgid: {m: t[msgid] for m, t in per_module.items() if msgid in t}
        for msgid in merged
        if len({t[msgid] for t in per_module.values() if msgid in t}) > 1
    }
    for msgid, by_module in clashes.items():
        for module, text in by_module.items():
            assert eval(compile("_(m)", module, "eval"), {"__name__": module, "_": messages._, "m": msgid}) == text
    assert messages._("") == ""  # never the catalogue's header


def test_a_failed_check_speaks_english_by_default():
    with pytest.raises(CheckFailed) as err:
        check.equal(3, 4, "packets")
    assert str(err.value) == "packets should be 4, but is 3"
