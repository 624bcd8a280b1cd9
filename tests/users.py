# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Who stands in for "not root" in the tests: the checkout's owner when that is not root (`make test`
run by a user through sudo; their home may be mode 0700, out of nobody's reach), else nobody."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def not_root() -> tuple[int, int]:
    """(uid, gid) of a user without root who can reach this checkout and its venv."""
    st = os.stat(REPO)
    return (st.st_uid, st.st_gid) if st.st_uid != 0 else (65534, 65534)
