# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Check cells: each says in one sentence what is right, or raises CheckFailed saying what is wrong (lab 00).

Lab cells assert what the lab teaches; exercise check cells use the same functions, so that a
stub left as shipped fails with a sentence the learner can act on.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from . import progress
from .errors import CheckFailed, LabError
from .messages import _

Check = TypeVar("Check", bound=Callable[..., None])


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
    that(
        actual == expected,
        _("{what}: {actual!r}", what=what, actual=actual),
        _("{what} should be {expected!r}, but is {actual!r}", what=what, expected=expected, actual=actual),
    )


def between(actual: float, low: float, high: float, what: str) -> None:
    """Check that ``low <= actual <= high``."""
    that(
        low <= actual <= high,
        _("{what}: {actual!r} (expected {low}..{high})", what=what, actual=actual, low=low, high=high),
        _("{what} should be between {low} and {high}, but is {actual!r}", what=what, low=low, high=high, actual=actual),
    )


def window_totals(plot: Any) -> dict[str, dict[str, float]]:
    """Packets per series of a live rate plot in each stretch between its marks, keyed "start" then by mark.

    Each sample's rate times its interval, summed: a judgement over a whole window, never the last sample,
    which may land after the sender stopped or late on a busy machine.
    """
    marks = sorted(plot.marks)
    windows = {label: {s: 0.0 for s in plot.series} for label in ["start", *(label for _, label in marks)]}
    prev = 0.0
    for i, t in enumerate(plot.t):
        label = next((lb for mt, lb in reversed(marks) if mt < t), "start")
        for s in plot.series:
            windows[label][s] += plot.data[s][i] * (t - prev)
        prev = t
    return windows


def until(done: Callable[[], Any], seconds: float = 5.0) -> bool:
    """Poll ``done()`` every 20 ms until it holds or ``seconds`` pass; whether it held.

    A check's wait for its own traffic: frames cross a veth asynchronously and arrive late on a busy
    machine, so a check waits for the count it expects, bounded, never for a fixed time.
    """
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def filled(value: Any, name: str) -> None:
    """Fail with a hint while an exercise's answer is still the shipped placeholder (None or ...)."""
    if value is None or value is Ellipsis:
        raise CheckFailed(
            _("{name} is not filled in yet: replace the placeholder in the exercise cell above", name=name)
        )


# --- exercises and their reference solutions (CONTRIBUTING.md) ----------------------------------
EXERCISES: dict[tuple[str, str], Callable[..., None]] = {}  # (lab, exercise) -> its check


def exercise(lab: str, name: str) -> Callable[[Check], Check]:
    """Make a function the check of exercise ``name`` of ``lab`` (ebpflab/exercises/): it records pass or fail.

    The check cell calls it with the exercise cell's answer. A placeholder left in (None, ...) fails at
    once; anything the learner's code raises becomes one sentence (CheckFailed), never a traceback.
    """

    def wrap(fn: Check) -> Check:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                if any(a is None or a is Ellipsis for a in (*args, *kwargs.values())):
                    raise CheckFailed(
                        _(
                            "{name}: the answer is not filled in yet: replace the placeholder in the cell above",
                            name=name,
                        )
                    )
                fn(*args, **kwargs)
            except CheckFailed as exc:
                progress.record(lab, name, False, str(exc))
                raise
            except LabError as exc:  # the learner's C did not compile or verify, a bad value, ...
                progress.record(lab, name, False, str(exc))
                raise CheckFailed(str(exc)) from exc
            except Exception as exc:
                why = _(
                    "your answer raised {error}: {exc} (run it in a cell of its own to see where)",
                    error=type(exc).__name__,
                    exc=exc,
                )
                progress.record(lab, name, False, why)
                raise CheckFailed(why) from exc
            progress.record(lab, name, True, "")

        EXERCISES[lab, name] = run
        return run  # type: ignore[return-value]  # same signature as fn

    return wrap


@contextlib.contextmanager
def refusing(owner: Any, attr: str, what: str) -> Iterator[None]:
    """While the block runs, ``owner.attr`` (the package's reference for an exercise) fails the check if called."""
    original = getattr(owner, attr)

    def trap(*args: Any, **kwargs: Any) -> Any:
        raise CheckFailed(
            _("your answer calls the kit's own {what}: this exercise asks you to write it yourself", what=what)
        )

    setattr(owner, attr, trap)
    try:
        yield
    finally:
        setattr(owner, attr, original)


def solutions(lab: str | Path) -> dict[str, str]:
    """The reference solutions of a lab: the ``# %% exercise: NAME`` blocks of labs/solutions/<lab>.py."""
    from . import LABS_DIR

    path = LABS_DIR / "solutions" / f"{Path(lab).stem}.py"
    blocks: dict[str, str] = {}
    name = None
    for line in path.read_text().splitlines(keepends=True) if path.exists() else []:
        m = re.match(r"# %% exercise: (\S+)", line)
        if m:
            name = m.group(1)
            blocks[name] = ""
        elif name is not None:
            blocks[name] += line
    return {k: v.strip() + "\n" for k, v in blocks.items()}


def exercise_of(cell: Any) -> str | None:
    """The exercise a notebook cell belongs to (metadata ``ebpflab.exercise``), if any."""
    return cell.get("metadata", {}).get("ebpflab", {}).get("exercise")


def fill_in_solutions(nb: Any, lab: str | Path) -> None:
    """Replace each exercise cell of notebook ``nb`` by its reference solution (tests and benchmarks)."""
    sols = solutions(lab)
    for cell in nb.cells:
        ex = exercise_of(cell)
        if ex and "exercise" in cell.get("metadata", {}).get("tags", []):
            if ex not in sols:
                path = f"labs/solutions/{Path(lab).stem}.py"
                raise CheckFailed(_("no reference solution for exercise {ex!r} in {path}", ex=ex, path=path))
            cell.source = sols[ex]
