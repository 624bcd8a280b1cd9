# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What the ``ebpflab`` sub-commands share: argument types that refuse a bad value in one sentence, and a quiet stdout.

No lab imports it: ``ebpflab tcpdump``, ``ebpflab export`` and ``ebpflab events`` do.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable

from .messages import _


def bounded_int(what: str, lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``lo`` to ``hi``, else one sentence saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                _(
                    "invalid {what} {text!r} (must be an integer from {lo} to {hi})",
                    what=_(what),
                    text=text,
                    lo=lo,
                    hi=hi,
                )
            )
        return value

    return parse


def bounded_float(what: str, lo: float, hi: float) -> Callable[[str], float]:
    """An argparse type: a finite number above ``lo`` and at most ``hi`` (NaN and infinity refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and lo < value <= hi):
            raise argparse.ArgumentTypeError(
                _(
                    "invalid {what} {text!r} (must be a number above {lo:g} and at most {hi:g})",
                    what=_(what),
                    text=text,
                    lo=lo,
                    hi=hi,
                )
            )
        return value

    return parse


def name(what: str, pattern: str, longest: int) -> Callable[[str], str]:
    """An argparse type: a non-empty name of at most ``longest`` characters matching ``pattern``."""

    def parse(text: str) -> str:
        if not text or len(text) > longest or not re.fullmatch(pattern, text):
            raise argparse.ArgumentTypeError(
                _(
                    "invalid {what} {text!r} (1 to {longest} characters: {pattern})",
                    what=_(what),
                    text=text,
                    longest=longest,
                    pattern=pattern,
                )
            )
        return text

    return parse


def quiet_stdout() -> None:
    """The reader of stdout went away (`| head`): stop writing there, as tcpdump does, without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
