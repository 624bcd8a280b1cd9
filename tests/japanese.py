# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Whether a text a test read is (at least partly) Japanese: the Japanese edition's runs and sentences."""

from __future__ import annotations


def has_japanese(text: str) -> bool:
    """True when ``text`` holds a kana or a kanji."""
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)
