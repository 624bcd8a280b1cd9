# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Licences, lint and types hold for the whole checkout: reuse lint, ruff check, ruff format --check and mypy
(configured in pyproject.toml and REUSE.toml; `make lint` runs the same). They run as any user, in seconds,
with their caches in a temporary folder, never in the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ebpflab import REPO


def tool(name: str) -> str:
    """The venv's copy of a dev tool (the dev extras install it), else one on PATH; skip if there is none."""
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: `make setup` installs the dev extras of pyproject.toml, which list it")
    return found


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool on the checkout; git (which reuse asks for the tracked files) may find it owned by another user."""
    env = dict(
        os.environ,
        XDG_CACHE_HOME=str(tmp_path),
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="safe.directory",
        GIT_CONFIG_VALUE_0=str(REPO),
    )
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_every_file_names_its_licence(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        # Without git, reuse cannot tell the project's files from .venv/ and build/ (.gitignore): it would
        # judge thousands of files that are not the kit's (seen in a minimal Debian without git).
        pytest.skip("reuse lint needs a git checkout and git to skip what .gitignore names (.venv/, build/)")
    res = run([tool("reuse"), "lint"], tmp_path)
    assert res.returncode == 0, (
        f"reuse lint (add the header with `make spdx`):\n{res.stdout[-3000:]}{res.stderr[-1000:]}"
    )


def test_ruff_check(tmp_path):
    res = run([tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."], tmp_path)
    assert res.returncode == 0, f"ruff check:\n{res.stdout[-3000:]}{res.stderr[-1000:]}"


def test_ruff_format(tmp_path):
    res = run([tool("ruff"), "format", "--no-cache", "--check", "."], tmp_path)
    assert res.returncode == 0, (
        f"ruff format --check (fix with `make format`):\n{res.stdout[-3000:]}{res.stderr[-1000:]}"
    )


def test_mypy(tmp_path):
    res = run([tool("mypy"), "--cache-dir", str(tmp_path / "mypy")], tmp_path)
    assert res.returncode == 0, f"mypy:\n{res.stdout[-3000:]}{res.stderr[-1000:]}"
