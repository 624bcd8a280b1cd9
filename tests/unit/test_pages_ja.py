# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The Japanese pages keep in step with the English ones where a machine can tell: each edition links the
other at its top, every command the English page shows (`make ...`, `ebpflab ...`, `vagrant ...` in code) is
in the Japanese page as written, the tables have as many rows, and every relative link (and its #anchor)
leads somewhere. The prose is a translator's job; a command dropped or a table row lost is not."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from ebpflab import LABS_DIR, REPO

EDITIONS = [(REPO / "README.md", REPO / "README.ja.md"), (LABS_DIR / "README.md", LABS_DIR / "README.ja.md")]
PAGES = [page for pair in EDITIONS for page in pair]
IDS = [str(en.relative_to(REPO)) for en, _ in EDITIONS]

COMMENT = re.compile(r"<!--.*?-->", re.S)
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A command word where a shell would see one: at the start, after a space, a quote, `(`, `;`, `&` or `|`, maybe
# behind a path (.venv/bin/ebpflab), and followed by a space or the end (not vagrant/, /vagrant or ebpflab-jupyter).
COMMAND = re.compile(r"(?:^|[\s'\"(;&|])(?:[\w.]+/)*(?:make|ebpflab|vagrant)(?=[\s)]|$)")


def read(page: Path) -> str:
    return COMMENT.sub("", page.read_text(encoding="utf-8"))


def blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def prose(text: str) -> str:
    """The page without its fenced blocks (their lines are not markdown)."""
    return FENCE.sub("", text)


def squeeze(s: str) -> str:
    return " ".join(s.split())


def code(text: str) -> set[str]:
    """Every piece of code on a page: each inline span, and each line of a fenced block without its comment."""
    pieces = {squeeze(s) for s in SPAN.findall(prose(text))}
    for block in blocks(text):
        pieces |= {squeeze(re.sub(r"(?:^|\s)#.*", "", line)) for line in block.splitlines()}
    return pieces - {""}


def commands(text: str) -> set[str]:
    return {piece for piece in code(text) if COMMAND.search(piece)}


def tables(text: str) -> list[int]:
    """The number of lines of each table, in order (header and separator included)."""
    sizes, run = [], 0
    for line in [*prose(text).splitlines(), ""]:
        if line.lstrip().startswith("|"):
            run += 1
        elif run:
            sizes.append(run)
            run = 0
    return sizes


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (letters of any script kept), spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", prose(read(page)), re.M)}


def links(page: Path) -> list[str]:
    return LINK.findall(prose(read(page)))


def resolve(page: Path, target: str) -> tuple[Path, str]:
    path, _, anchor = unquote(target).partition("#")
    return ((page.parent / path).resolve() if path else page), anchor


@pytest.mark.parametrize("english, japanese", EDITIONS, ids=IDS)
def test_each_edition_links_the_other_at_its_top(english, japanese):
    assert japanese.exists(), f"{japanese.relative_to(REPO)} is missing: the Japanese edition of {english.name}"
    for page, other in ((english, japanese), (japanese, english)):
        first = links(page)[0] if links(page) else None
        assert first and resolve(page, first)[0] == other, (
            f"{page.relative_to(REPO)}: its first link should lead to {other.relative_to(REPO)}, not {first!r}"
        )


@pytest.mark.parametrize("english, japanese", EDITIONS, ids=IDS)
def test_every_command_of_the_english_page_is_in_the_japanese_one(english, japanese):
    missing = commands(read(english)) - code(read(japanese))
    assert not missing, f"{japanese.relative_to(REPO)} lacks these commands of {english.name}: {sorted(missing)}"


def test_commands_are_found():
    """The comparison above is only as good as what it finds: the README's own first commands."""
    found = commands(read(REPO / "README.md"))
    assert {"make lab", "make test", "vagrant up", "sudo .venv/bin/ebpflab doctor"} <= found
    assert not {c for c in found if c.startswith(("vagrant/", "ebpflab/", "/vagrant"))}


@pytest.mark.parametrize("english, japanese", EDITIONS, ids=IDS)
def test_tables_have_as_many_rows(english, japanese):
    assert tables(read(japanese)) == tables(read(english)), (
        f"{japanese.relative_to(REPO)}: lines per table {tables(read(japanese))}, {english.name} has {tables(read(english))}"
    )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_relative_links_lead_somewhere(page):
    if not page.exists():
        pytest.skip(f"{page.relative_to(REPO)} is missing (the test above says so)")
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, anchor = resolve(page, target)
        if not path.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target} (no such heading in {path.relative_to(REPO)})")
    assert not broken, f"{page.relative_to(REPO)}: {broken}"
