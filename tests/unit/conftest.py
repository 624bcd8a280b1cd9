# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Unit tests: pure code only (no root, no kernel, no BCC). `import bcc` fails inside them, so a
test that needs BCC cannot sneak into this tree."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def no_bcc(monkeypatch):
    monkeypatch.setitem(sys.modules, "bcc", None)
