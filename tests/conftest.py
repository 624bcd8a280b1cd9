# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Shared set-up. tests/unit needs no root, no kernel and no BCC; tests/kernel loads real programs
on the running kernel as root (no mocks of BCC or the kernel) and is skipped without root."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from ebpflab.owner import give_back_tree

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # shared helpers (httputil, cbpf_corpus) for both trees
os.environ.setdefault("EBPFLAB_HEADLESS", "1")
# The kit's sentences in English whatever this machine's locale (tests compare them); the Japanese runs
# set EBPFLAB_LANG=ja themselves.
os.environ["EBPFLAB_LANG"] = "en"
# Checks run by the suite (notebooks, shortcuts) record their outcome here, not in the learner's progress.csv.
os.environ["EBPFLAB_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="ebpflab-progress-"), "progress.csv")


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs root: run `make test` (it uses sudo when needed)")
    for item in items:
        if (TESTS / "kernel") in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.kernel)
        if item.get_closest_marker("kernel") and os.geteuid() != 0:
            item.add_marker(skip)


def pytest_unconfigure(config):
    """`make test` by a user runs pytest through sudo: what it left in their checkout (.pytest_cache,
    tests/artifacts/, build/*.o, __pycache__) goes back to them, as the last thing pytest does."""
    give_back_tree(TESTS.parent)
    shutil.rmtree(Path(os.environ["EBPFLAB_PROGRESS"]).parent, ignore_errors=True)
