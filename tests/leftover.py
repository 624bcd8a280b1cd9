# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What a lab left running, found by the owner tag the kit writes into every name (``system.owner_tag``)."""

from __future__ import annotations

from ebpflab.cleanup import lab_namespaces
from ebpflab.netlab import owner_of
from ebpflab.system import start_time


def namespaces_of(pids: list[int]) -> list[str]:
    """The kit's namespaces owned by these running processes (tag ``<pid>_<start>``, pid and start time)."""
    tags = {f"{pid}_{start_time(int(pid))}" for pid in pids}
    return [ns for ns in lab_namespaces() if owner_of(ns) in tags]
