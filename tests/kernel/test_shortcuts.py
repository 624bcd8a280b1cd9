# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Every exercise's check, run on the real kernel with its reference solution (it must pass) and with each
wrong answer in tests/shortcuts/ (each must fail with CheckFailed): a check that a shortcut passes is a defect.

Only three cells run, in a fresh namespace: the notebook's first code cell (its imports), the exercise cell
(the answer) and the check cell. That the solution passes this way proves a check needs nothing else, so a
shortcut's failure is the check's verdict, not a missing name.
"""

from __future__ import annotations

import os

import pytest
from exercises import Exercise, exercises

from ebpflab import LABS_DIR
from ebpflab.errors import CheckFailed

CASES = [
    pytest.param(ex, answer, why, id=f"{ex.lab}-{ex.name}-{'solution' if why is None else f'shortcut{n}'}")
    for ex in exercises()
    for n, (why, answer) in enumerate([(None, ex.solution), *ex.shortcuts])
]


def run(ex: Exercise, answer: str) -> None:
    """The notebook's imports, then the answer, then the check, as a learner's kernel would run them."""
    namespace: dict = {"__name__": "__main__"}
    for cell in (ex.prelude, answer, ex.check):
        exec(compile(cell, f"<{ex.lab}:{ex.name}>", "exec"), namespace)


@pytest.mark.parametrize("ex, answer, why", CASES)
def test_check_passes_the_solution_and_refuses_each_shortcut(ex: Exercise, answer: str, why, monkeypatch):
    monkeypatch.chdir(LABS_DIR)  # where a notebook's kernel starts
    if why is None:
        run(ex, answer)
        return
    with pytest.raises(CheckFailed) as failed:
        run(ex, answer)
    assert "not filled in" not in str(failed.value), f"the shortcut ({why}) was taken for the stub"
    assert os.environ.get("EBPFLAB_PROGRESS"), "the suite must not write the checkout's progress file"
