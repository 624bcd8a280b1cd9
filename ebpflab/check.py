"""Check cells: each says in one sentence what is right, or raises CheckFailed saying what is wrong (lab 02).

Lab cells assert what the lab teaches; exercise check cells use the same functions, so that a
stub left as shipped fails with a sentence the learner can act on.
"""
from __future__ import annotations

from typing import Any

from .errors import CheckFailed


def ok(message: str) -> None:
    """Print a passed check."""
    print(f"✔ {message}")


def that(condition: Any, passed: str, failed: str) -> None:
    """Pass with ``passed`` when ``condition`` holds, else raise CheckFailed(``failed``)."""
    if not condition:
        raise CheckFailed(failed)
    ok(passed)


def equal(actual: Any, expected: Any, what: str) -> None:
    """Check that ``what`` is exactly ``expected``."""
    that(actual == expected, f"{what}: {actual!r}", f"{what} should be {expected!r}, but is {actual!r}")


def between(actual: float, low: float, high: float, what: str) -> None:
    """Check that ``low <= actual <= high``."""
    that(low <= actual <= high, f"{what}: {actual!r} (expected {low}..{high})",
         f"{what} should be between {low} and {high}, but is {actual!r}")


def filled(value: Any, name: str) -> None:
    """Fail with a hint while an exercise's answer is still the shipped placeholder (None or ...)."""
    if value is None or value is Ellipsis:
        raise CheckFailed(f"{name} is not filled in yet: replace the placeholder in the exercise cell above")
