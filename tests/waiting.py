# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wait for the event itself, with a bounded timeout, never for a fixed time: a sleep long enough on a quiet
machine is too short under load (the suite must pass while a CPU hog busies both cores)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10, what: str = "the condition") -> T:
    """Call ``predicate`` until it returns something true and return that; AssertionError after ``timeout`` s."""
    deadline, pause = time.monotonic() + timeout, 0.001
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}: last seen {got!r}")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)  # quick for events that come at once, gentle for slow ones
