# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Every lab notebook, executed end to end on the real kernel (nbclient), twice in each language:

- ``solutions``: each exercise cell is replaced by its reference solution from
  ``labs/solutions/NN_topic.py``; every cell, every check included, must pass;
- ``stubs``: the notebook as shipped; each exercise's check cell must fail with CheckFailed
  (a check that cannot fail is a defect) and every other cell must pass.

The Japanese edition (ebpflab/i18n.py: the same code cells, markdown from locale/ja/labs/) runs with
EBPFLAB_LANG=ja, so that every sentence the kit shows there comes from locale/ja/messages/: a
translation that breaks a sentence's fields fails here, and a stub's failed check must speak Japanese.

Executed copies (and each kernel's stderr) are kept in ``tests/artifacts/`` for a human to look at.

The runs wait far more than they compute (traffic, live plots, compiles of one file), so they go
``EBPFLAB_NOTEBOOK_WORKERS`` (default 2) at a time: each lab builds its own namespaces, programs and
ports, as two participants' notebooks on one VM would. Each test waits for its own run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from japanese import has_japanese
from nbclient import NotebookClient

from ebpflab.check import exercise_of, fill_in_solutions
from ebpflab.i18n import translate_notebook

LABS = Path(__file__).resolve().parents[2] / "labs"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
NOTEBOOKS = sorted(LABS.glob("[0-9][0-9]_*.ipynb"))
# A bound for a cell that hangs, not a judgement of speed: lab 05's gallery cell compiles 36 programs,
# over 5 min in an emulated arm64 VM. `make vm-test` raises it (EBPFLAB_CELL_TIMEOUT, seconds).
CELL_TIMEOUT = int(os.environ.get("EBPFLAB_CELL_TIMEOUT", "300"))
WORKERS = int(os.environ.get("EBPFLAB_NOTEBOOK_WORKERS", "2"))


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def execute(nb, name: str, allow_errors: bool, lang: str = "en"):
    """Run a notebook in a fresh kernel from this interpreter and keep the executed copy."""
    # `!ebpflab ...` in a cell must find this environment's command, as under `make lab`.
    env = dict(
        os.environ, EBPFLAB_HEADLESS="1", EBPFLAB_LANG=lang, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    )
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(LABS)}},
    )
    ARTIFACTS.mkdir(exist_ok=True)
    # The kernel's own stderr goes beside the executed copy: a run in a pool thread is not inside the
    # pytest test that captures it, and it would print over pytest's progress line.
    with open(ARTIFACTS / Path(name).with_suffix(".stderr"), "w") as log:
        try:
            # A loop of its own, closed at the end: execute() leaves one open per pool thread, and with it
            # a zmq I/O thread, so a later fork() in the suite forked a multi-threaded process.
            asyncio.run(client.async_execute(env=env, stderr=log))
        finally:
            nbformat.write(nb, ARTIFACTS / name)
    return nb


def errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def read(path: Path, lang: str):
    """The lab in ``lang``: the English notebook, or the Japanese one built from it (every cell translated)."""
    if lang == "en":
        return nbformat.read(path, as_version=4)
    nb, untranslated = translate_notebook(json.loads(path.read_text(encoding="utf-8")), path.stem, lang)
    assert not untranslated, f"{len(untranslated)} markdown cells of {path.name} have no {lang} translation"
    return nbformat.reads(json.dumps(nb), as_version=4)  # (as nbformat.read: each source one string)


def with_solutions(path: Path, lang: str = "en"):
    """The notebook with every exercise filled in from labs/solutions/, executed; no cell may fail."""
    nb = read(path, lang)
    fill_in_solutions(nb, path)
    return execute(nb, f"{path.stem}{SUFFIX[lang]}.solutions.ipynb", allow_errors=False, lang=lang)


def as_shipped(path: Path, lang: str = "en"):
    """The notebook as shipped (stubs in the exercises), executed; failing cells are kept, not raised."""
    return execute(read(path, lang), f"{path.stem}{SUFFIX[lang]}.stubs.ipynb", allow_errors=True, lang=lang)


SUFFIX = {"en": "", "ja": ".ja"}
RUNNERS = {
    "test_notebook_with_solutions": (with_solutions, "en"),
    "test_notebook_stubs_fail_their_checks": (as_shipped, "en"),
    "test_japanese_notebook_with_solutions": (with_solutions, "ja"),
    "test_japanese_notebook_stubs_fail_their_checks": (as_shipped, "ja"),
}


@pytest.fixture(scope="module")
def runs(request) -> dict[tuple[str, str], Future]:
    """Start the run of every selected notebook test, in the order they are collected, on WORKERS threads."""
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="notebook")
    futures = {}
    for item in request.session.items:
        if item.module is request.module and item.originalname in RUNNERS:
            path = item.callspec.params["path"]
            run, lang = RUNNERS[item.originalname]
            futures[item.originalname, path.stem] = pool.submit(run, path, lang)
    yield futures
    # Interrupted or stopped early (-x): drop what has not started, wait for what runs (it cleans up).
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_with_solutions(path: Path, runs):
    runs["test_notebook_with_solutions", path.stem].result()


WITH_EXERCISES = [p for p in NOTEBOOKS if any("exercise" in tags(c) for c in nbformat.read(p, as_version=4).cells)]


@pytest.mark.notebook
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_notebook_stubs_fail_their_checks(path: Path, runs):
    stubs_fail(runs["test_notebook_stubs_fail_their_checks", path.stem].result())


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_japanese_notebook_with_solutions(path: Path, runs):
    nb = runs["test_japanese_notebook_with_solutions", path.stem].result()
    shown = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    if path in WITH_EXERCISES:  # its checks said ✔ in Japanese
        assert has_japanese(shown), f"no Japanese in what the cells of {path.name} printed"


@pytest.mark.notebook
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_japanese_notebook_stubs_fail_their_checks(path: Path, runs):
    nb = runs["test_japanese_notebook_stubs_fail_their_checks", path.stem].result()
    stubs_fail(nb)
    for i, cell in enumerate(nb.cells):
        for err in errors(cell) if cell.cell_type == "code" else []:
            assert has_japanese(err["evalue"]), f"cell {i}: the failed check speaks English: {err['evalue']}"


def stubs_fail(nb) -> None:
    """Each exercise's check cell failed with CheckFailed; every other cell passed."""
    checks = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errs = errors(cell)
        if exercise_of(cell) and "check" in tags(cell):
            checks += 1
            assert errs and errs[0]["ename"] == "CheckFailed", (
                f"cell {i}: the check of exercise {exercise_of(cell)!r} passed on the shipped stub"
            )
        else:
            assert not errs, f"cell {i} failed with the stubs: {errs[0]['ename']}: {errs[0]['evalue']}"
    assert checks, "a notebook with exercises must have check cells tagged 'check'"


def test_notebooks_are_stored_without_outputs():
    for path in sorted(LABS.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name} cell {i} has outputs: clear them before committing"
                assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


def test_every_lab_follows_the_conventions():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for heading in ("What you will learn", "Steps", "Summary"):
            assert re.search(rf"^#+ .*{heading}", text, re.M | re.I), f"{path.name} lacks the heading {heading!r}"
        for cell in nb.cells:
            if "exercise" in tags(cell):
                assert exercise_of(cell), f"{path.name}: an exercise cell needs metadata ebpflab.exercise"
