"""Shared fixtures. The suite runs as root on the real kernel: no mocks of BCC or the kernel."""
from __future__ import annotations

import os

import pytest

from ebpflab.netlab import LabNet

os.environ.setdefault("EBPFLAB_HEADLESS", "1")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="needs root: run `make test` (it uses sudo when needed)")
        for item in items:
            item.add_marker(skip)


@pytest.fixture
def net():
    """A two-host lab network (client, server), torn down after the test."""
    with LabNet() as n:
        yield n
