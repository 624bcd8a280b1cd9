# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The exercises' shape, without a kernel: how many, their minutes, one-call check cells that show no answer,
a solution and shortcuts for each, a C exercise of several lines in every lab that loads C, and the
progress table. Their behaviour is tests/kernel/test_shortcuts.py's and test_notebooks.py's."""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import re

import pytest
from exercises import NOTEBOOKS, exercises

from ebpflab import REPO, check, progress

ALL = exercises()
BY_ID = {f"{ex.lab}-{ex.name}": ex for ex in ALL}


def test_at_least_36_exercises():
    assert len(ALL) >= 36, f"{len(ALL)} exercises"


@pytest.mark.parametrize("ex_id", BY_ID)
def test_an_exercise_says_its_minutes(ex_id):
    ex = BY_ID[ex_id]
    assert 1 <= ex.minutes <= 60, f"{ex_id}: metadata ebpflab.minutes is {ex.minutes}"
    assert f"({ex.minutes} min)" in ex.text, f"{ex_id}: its text should say ({ex.minutes} min)"


@pytest.mark.parametrize("ex_id", BY_ID)
def test_a_check_cell_is_one_call_to_its_labs_check(ex_id):
    """No reference answer in sight: the cell calls ebpflab.exercises.labNN, which records the outcome."""
    ex = BY_ID[ex_id]
    tree = ast.parse(ex.check)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Call), (
        f"{ex_id}: the check cell should be a single call, not\n{ex.check}"
    )
    func = tree.body[0].value.func
    module = f"lab{ex.lab[:2]}"
    assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == module, (
        f"{ex_id}: the check cell should call {module}.<check>(...)"
    )
    checker = getattr(importlib.import_module(f"ebpflab.exercises.{module}"), func.attr)
    assert check.EXERCISES.get((ex.lab, ex.name)) is checker, (
        f"{ex_id}: {module}.{func.attr} is not decorated @check.exercise({ex.lab!r}, {ex.name!r})"
    )


@pytest.mark.parametrize("ex_id", BY_ID)
def test_an_exercise_has_a_solution_and_shortcuts(ex_id):
    ex = BY_ID[ex_id]
    assert ex.solution.strip(), f"{ex_id}: no block '# %% exercise: {ex.name}' in labs/solutions/{ex.lab}.py"
    assert ex.shortcuts, f"{ex_id}: no wrong answers '# %% shortcut: {ex.name}' in tests/shortcuts/{ex.lab}.py"


def c_function_lines(solution: str) -> int:
    """Lines of the longest C function body in a solution's string constants (0 if none)."""
    longest = 0
    for node in ast.walk(ast.parse(solution)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for body in re.findall(r"\)\s*\n?\{\n(.*?)\n\}", node.value, flags=re.S):
                longest = max(longest, sum(1 for line in body.splitlines() if line.strip()))
    return longest


# Lab 01 compiles xdp_pass only to show eBPF bytecode, history's last step: the first C a learner writes is lab 02's.
NOT_A_C_LAB = {"01_history"}


def loads_c(nb) -> bool:
    return nb.stem not in NOT_A_C_LAB and any(
        re.search(r"\b(Program|CoreProgram)\(", "".join(c["source"]))
        for c in json.loads(nb.read_text())["cells"]
        if c["cell_type"] == "code"
    )


@pytest.mark.parametrize("nb", [nb for nb in NOTEBOOKS if loads_c(nb)], ids=lambda nb: nb.stem)
def test_every_lab_that_loads_c_has_a_c_exercise_of_several_lines(nb):
    lengths = {ex.name: c_function_lines(ex.solution) for ex in ALL if ex.lab == nb.stem}
    assert max(lengths.values(), default=0) >= 5, f"{nb.stem}: C function lines per exercise: {lengths}"


def test_lab_times_in_both_readmes_add_up():
    """Each lab's time = its steps' minutes (notebook metadata ebpflab.steps_minutes) + its exercises' minutes."""
    readme = (REPO / "README.md").read_text()
    guide = (REPO / "labs" / "README.md").read_text()
    wrong = []
    for nb in NOTEBOOKS:
        steps = json.loads(nb.read_text())["metadata"].get("ebpflab", {}).get("steps_minutes", 0)
        total = steps + sum(ex.minutes for ex in ALL if ex.lab == nb.stem)
        m = re.search(rf"^\| `{nb.stem}` \|.*\| (\d+) min \|$", readme, flags=re.M)
        if not m or int(m.group(1)) != total:
            wrong.append(f"README.md: {nb.stem} says {m and m.group(1)} min, steps {steps} + exercises = {total}")
        for said in re.findall(rf"\b{nb.stem[:2]} [a-z ]+\((\d+) min\)", guide):
            if int(said) != total:
                wrong.append(f"labs/README.md: lab {nb.stem[:2]} says {said} min, it is {total}")
    assert not wrong, "\n".join(wrong)


def test_progress_table_reads_the_file_and_lists_every_exercise(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPFLAB_PROGRESS", str(tmp_path / "p.csv"))
    progress.record("03_maps", "busiest", False, "wrong\nsecond line")
    progress.record("03_maps", "busiest", True, "")
    rows = progress.read()
    assert [r["result"] for r in rows] == ["fail", "pass"] and rows[0]["detail"] == "wrong"
    table = progress.table(rows, progress.exercises())
    line = next(line for line in table.splitlines() if "busiest" in line)
    assert line.split()[3:5] == ["pass", "2"], line
    assert table.splitlines()[-1] == f"1 of {len(ALL)} exercises passed"


def test_a_check_records_pass_and_fail(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPFLAB_PROGRESS", str(tmp_path / "p.csv"))

    @check.exercise("99_test", "demo")
    def demo(answer):
        check.that(answer() == 1, "right", "wrong")

    for answer in (None, lambda: 2, lambda: 1 / 0, lambda: 1):
        with contextlib.suppress(check.CheckFailed):
            demo(answer)
    check.EXERCISES.pop(("99_test", "demo"))
    assert [(r["result"], r["detail"][:20]) for r in progress.read()] == [
        ("fail", "demo: the answer is "),
        ("fail", "wrong"),
        ("fail", "your answer raised Z"),
        ("pass", ""),
    ]
