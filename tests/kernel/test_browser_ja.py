# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The Japanese edition on the participant's screen (`make lab LANG=ja`), in Debian's chromium.

A module of its own: Playwright's synchronous API runs one instance per thread, and test_browser.py's
English server and browser live until the end of that module.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from test_browser import PANEL, api, assert_participant_view, lab_server, shoot, show, wait_until_done
from waiting import wait_until

pytestmark = pytest.mark.browser


def test_japanese_first_start_opens_lab_00_in_japanese_with_the_language_pack(tmp_path_factory):
    """EBPFLAB_LANG=ja: JupyterLab's own menus in Japanese (the official language pack), ja/00_setup.ipynb open
    first with its Japanese text, and Run All up to the first exercise as in English (no missing-glyph warning)."""
    tmp = tmp_path_factory.mktemp("jupyterlab-ja")
    served = tmp / "labs"  # the Japanese notebooks are built into the served folder, never into the checkout's
    served.mkdir()
    with lab_server(tmp, EBPFLAB_LANG="ja", EBPFLAB_LABS=str(served)) as j:
        page = j["page"]
        page.goto(j["url"])
        page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel", has_text="00_setup.ipynb").wait_for(
            timeout=60_000
        )
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "ファイル" in menus and "File" not in menus, f"the menus are not in Japanese: {menus}"
        page.wait_for_selector(f"{PANEL} .jp-MarkdownOutput h1")
        heading = page.locator(f"{PANEL} .jp-MarkdownOutput h1").first.inner_text()
        assert "ラボ 00" in heading, heading
        cells = nbformat.read(served / "ja" / "00_setup.ipynb", as_version=4).cells
        wait_until(
            lambda: any(
                s["path"] == "ja/00_setup.ipynb" and s["kernel"]["execution_state"] == "idle"
                for s in api(j, "sessions")
            ),
            60,
            "ja/00_setup.ipynb to have an idle kernel",
        )
        page.locator(f"{PANEL} .jp-Notebook").click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^実行")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^全てのセルを実行|^すべてのセルを実行")).click()
        wait_until_done(page)
        assert_participant_view(page, cells, stops_note="下のセルは、このチェックが通ってから")
        shoot(page, "00_setup-ja")
        # The lab network's drawing, in Japanese (its title and labels through the kit's catalogue), kept as a
        # screenshot of its own; matplotlib warns in the cell's output for every glyph its fonts lack.
        show(page, page.locator(f"{PANEL} .jp-OutputArea-output img").first, "00_setup-ja-chart")
        shown = " ".join(page.locator(f"{PANEL} .jp-OutputArea-output").all_text_contents())
        assert "missing from" not in shown, "a glyph is missing from the fonts: install fonts-noto-cjk (make setup)"
