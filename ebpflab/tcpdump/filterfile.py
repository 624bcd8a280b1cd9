# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The name of the C filter header a capture writes for clang, and whose it is (lab 06).

Apart from ``capture`` so that ``ebpflab cleanup`` can find a dead owner's headers without importing
the capture machinery (BCC, ring readers) at every start.
"""

from __future__ import annotations

FILTER_PREFIX = "ebpflab-filter-"  # + owner tag + "-": the C filter written for clang, in the temp folder


def filter_header_owner(name: str) -> str | None:
    """The owner tag in a filter header's file name (``ebpflab cleanup`` removes a dead owner's); None if it is not one."""
    if not (name.startswith(FILTER_PREFIX) and name.endswith(".h")):
        return None
    return name[len(FILTER_PREFIX) :].split("-", 1)[0]
