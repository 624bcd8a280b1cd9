# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Fixtures of the kernel tests (marked `kernel` by tests/conftest.py; they run as root)."""

from __future__ import annotations

import pytest

from ebpflab.netlab import LabNet


@pytest.fixture
def net():
    """A two-host lab network (client, server), torn down after the test."""
    with LabNet() as n:
        yield n
