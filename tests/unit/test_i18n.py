# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The Japanese edition's machinery (ebpflab/i18n.py, locale/): the language chosen, notebooks built from one
source with byte-identical code cells, a participant's edits kept, catalogues that match the English text."""

from __future__ import annotations

import json

import pytest
from babel.messages.pofile import read_po

from ebpflab import LABS_DIR, LabError, i18n, labserver, messages

NOTEBOOKS = sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize(
    "env, lang",
    [
        ({}, "en"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "ja_JP.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"EBPFLAB_LANG": "ja", "LANG": "en_US.UTF-8"}, "ja"),
        ({"EBPFLAB_LANG": "en", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"EBPFLAB_LANG": "ja_JP.UTF-8"}, "ja"),
    ],
)
def test_language_from_the_environment(monkeypatch, env, lang):
    for var in ("EBPFLAB_LANG", "LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert messages.language() == lang


def test_an_unknown_language_is_one_sentence(monkeypatch):
    monkeypatch.setenv("EBPFLAB_LANG", "fr")
    with pytest.raises(LabError, match="en and ja"):
        messages.language()


def code_cells(nb: dict) -> list[tuple[str, str]]:
    return [(c.get("id", ""), i18n.cell_text(c)) for c in nb["cells"] if c["cell_type"] == "code"]


def test_built_notebooks_keep_every_code_cell_byte_for_byte(tmp_path):
    for path in i18n.build("ja", dest=tmp_path):
        english = json.loads((LABS_DIR / path.name).read_text())
        japanese = json.loads(path.read_text())
        assert code_cells(japanese) == code_cells(english), path.name
        assert [c["cell_type"] for c in japanese["cells"]] == [c["cell_type"] for c in english["cells"]]
        assert [c["metadata"] for c in japanese["cells"]] == [c["metadata"] for c in english["cells"]]


def test_a_translated_cell_replaces_its_english_and_a_changed_one_stays_english(tmp_path, monkeypatch):
    nb = json.loads(NOTEBOOKS[0].read_text())
    first, second = [i18n.cell_text(c) for c in nb["cells"] if c["cell_type"] == "markdown"][:2]
    po = tmp_path / "ja" / "labs" / f"{NOTEBOOKS[0].stem}.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        f'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        f'msgid {json.dumps(first, ensure_ascii=False)}\nmsgstr "訳文"\n\n'
        f'msgid {json.dumps(second + " (old)", ensure_ascii=False)}\nmsgstr "古い訳文"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    messages.catalogue.cache_clear()
    try:
        out, missing = i18n.translate_notebook(nb, NOTEBOOKS[0].stem)
    finally:
        messages.catalogue.cache_clear()
    texts = [i18n.cell_text(c) for c in out["cells"] if c["cell_type"] == "markdown"]
    assert texts[0] == "訳文" and texts[1] == second and second in missing and out["metadata"]["language"] == "ja"


def test_a_notebook_the_participant_changed_is_not_overwritten(tmp_path):
    i18n.build("ja", dest=tmp_path)
    mine = tmp_path / NOTEBOOKS[0].name
    mine.write_text(mine.read_text().replace('"cells": [', '"cells": [ ', 1))
    theirs = mine.read_text()
    (tmp_path / NOTEBOOKS[1].name).unlink()
    written = i18n.build("ja", dest=tmp_path)
    assert mine.read_text() == theirs and written == [tmp_path / NOTEBOOKS[1].name]


def test_every_catalogue_entry_is_a_current_markdown_cell():
    """A translation of text the notebook no longer has is obsolete (#~), never active: `scripts/i18n.py update`."""
    stale = []
    for nb in NOTEBOOKS:
        po = i18n.labs_catalogue(nb.stem)
        if not po.exists():
            continue
        cells = {i18n.cell_text(c) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown"}
        with open(po, "rb") as f:
            stale += [f"{po.name}: {m.id[:60]!r}" for m in read_po(f) if m.id and m.id not in cells]
    assert not stale, "entries for text that changed (run scripts/i18n.py update):\n" + "\n".join(stale)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_lab_started_in_japanese_is_translated_whole(nb):
    """Once a lab's catalogue holds a translation, every markdown cell needs one: a new English cell names itself."""
    table = i18n.catalogue(i18n.labs_catalogue(nb.stem))
    if not table:
        pytest.skip(f"{nb.stem} has no Japanese text yet")
    _, missing = i18n.translate_notebook(json.loads(nb.read_text()), nb.stem)
    assert not missing, f"{nb.stem}: {len(missing)} markdown cells without Japanese, the first:\n{missing[0][:300]}"


def test_japanese_jupyterlab_settings_name_the_language_pack(tmp_path, monkeypatch):
    monkeypatch.setattr(labserver, "STATE", tmp_path)
    args = labserver.first_screen_args("ja")
    settings = json.loads((tmp_path / "settings-ja" / "overrides.json").read_text())
    assert settings["@jupyterlab/translation-extension:plugin"] == {"locale": "ja_JP"}
    assert f"--LabApp.app_settings_dir={tmp_path / 'settings-ja'}" in args
    workspace = json.loads(next((tmp_path / "workspaces-ja").iterdir()).read_text())
    assert "notebook:ja/00_setup.ipynb" in workspace["data"]


def test_a_japanese_chart_has_every_glyph(tmp_path):
    """Titles, legends and axes in Japanese draw with Noto Sans CJK (fonts-noto-cjk, from setup), never boxes."""
    import warnings

    from matplotlib import font_manager

    from ebpflab import plots

    if "CJK" not in font_manager.findfont("Noto Sans CJK JP", fallback_to_default=True):
        pytest.skip("fonts-noto-cjk is not installed (`make setup` installs it)")
    plots.style()
    fig, ax = plots.plt.subplots()
    ax.set_title("受信パケット数の推移")
    ax.plot([0, 1], [0, 1], label="送信元 198.18.1.10")
    ax.legend()
    ax.set_xlabel("経過時間 (秒)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for every box it draws
        fig.savefig(tmp_path / "ja.png")
    plots.plt.close(fig)


def test_a_lab_chart_is_drawn_in_japanese_from_its_english_code(tmp_path, monkeypatch):
    """Lab 02's code cell says title="xdp_count: packets per second" in both editions: the chart shows the Japanese."""
    import warnings

    from matplotlib import font_manager

    from ebpflab import plots

    if "CJK" not in font_manager.findfont("Noto Sans CJK JP", fallback_to_default=True):
        pytest.skip("fonts-noto-cjk is not installed (`make setup` installs it)")
    monkeypatch.setenv("EBPFLAB_LANG", "ja")
    plot = plots.LivePlot("xdp_count: packets per second", ["packets/s counted by XDP"])
    plot.add(0.0, **{"packets/s counted by XDP": 2000})
    plot.mark(0.0, "block udp/9999")
    plot.redraw(force=True)
    texts = [plot.ax.get_title(), plot.ax.get_xlabel(), plot.ax.get_ylabel()]
    texts += [t.get_text() for t in plot.ax.get_legend().get_texts()]
    assert texts == [
        "xdp_count: 1 秒あたりのパケット数",
        "経過時間（秒）",  # noqa: RUF001 (Japanese brackets)
        "パケット/秒",
        "XDP が数えたパケット/秒",
        "1: udp/9999 を遮断（0.0 秒）",  # noqa: RUF001 (Japanese brackets)
    ], texts
    assert plot.data == {"packets/s counted by XDP": [2000.0]}, "the series keep their English names as keys"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be drawn as a box, with a warning
        plot.fig.savefig(tmp_path / "ja.png")
    assert (
        plots.text("ring of {kib} KiB at {rate} packets/s", kib=16, rate=2000)
        == "リングバッファ 16 KiB、2000 パケット/秒"
    )
    monkeypatch.setenv("EBPFLAB_LANG", "en")
    assert plots.text("ring of {kib} KiB at {rate} packets/s", kib=16, rate=2000) == "ring of 16 KiB at 2000 packets/s"


def test_the_lab_network_drawing_has_every_glyph_in_japanese(tmp_path, monkeypatch):
    """draw_labnet's fixed-width labels fall back to Noto Sans Mono CJK ("ebpflab-sw の br0"), never boxes."""
    import warnings
    from types import SimpleNamespace

    from matplotlib import font_manager

    from ebpflab import plots

    if "CJK" not in font_manager.findfont("Noto Sans CJK JP", fallback_to_default=True):
        pytest.skip("fonts-noto-cjk is not installed (`make setup` installs it)")
    monkeypatch.setenv("EBPFLAB_LANG", "ja")
    shown = []
    monkeypatch.setattr(plots, "_show", shown.append)
    hosts = {
        n: SimpleNamespace(name=n, netns=f"ebpflab-{n}", iface="eth0", ip=f"198.18.0.{i}", mac="02:00:00:00:00:01")
        for i, n in enumerate(("a", "b", "c"), 1)
    }
    plots.draw_labnet(SimpleNamespace(hosts=hosts, switch="ebpflab-sw", subnet="198.18.0.0/24"))
    assert shown[0].axes[0].get_title().startswith("ラボ用ネットワーク 198.18.0.0/24")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shown[0].savefig(tmp_path / "net.png")
    plots.plt.close(shown[0])
