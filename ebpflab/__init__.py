# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""ebpflab: the helper package behind the eBPF labs in ``labs/``.

Each module hides one kind of plumbing so that a notebook's cells tell the story:
``netlab`` (the lab network), ``loader`` (compile, load, attach), ``traffic`` (packets),
``plots`` (live charts), ``check`` (check cells), ``doctor`` (what this machine can do).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import LabError
from .messages import _

__version__ = "0.1.0"

REPO = Path(__file__).resolve().parent.parent
BPF_DIR = REPO / "bpf"
LABS_DIR = REPO / "labs"

__all__ = ["BPF_DIR", "LABS_DIR", "REPO", "LabError", "__version__"]


def _install_notebook_error_display() -> None:
    """Show a LabError in a notebook as its message alone, not as a traceback wall."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or getattr(ip, "_ebpflab_errors", False):
        return

    # IPython calls a custom handler with this signature (tb and tb_offset unused)
    def show(
        shell: Any, etype: type[BaseException], value: BaseException, tb: Any, tb_offset: int | None = None
    ) -> list[str]:
        # IPython leaves displaying to the handler; the cell is still marked as failed.
        stb = [f"\x1b[31m{etype.__name__}\x1b[0m: {value}"]
        if etype.__name__ == "CheckFailed":  # Run All stops here: say so, or the cells below look broken
            note = _("(Run All stops at a failed check: the cells below wait until it passes)")
            stb[0] += f" \x1b[2m{note}\x1b[0m"
        shell._showtraceback(etype, value, stb)
        return stb

    ip.set_custom_exc((LabError,), show)
    ip._ebpflab_errors = True


def _install_file_hand_back() -> None:
    """In a notebook run as root for a user (`make lab` through sudo), give files cells write to the user."""
    import os

    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or os.geteuid() != 0 or getattr(ip, "_ebpflab_owner", False):
        return
    from .owner import give_back_after_cell

    # (the checkout's build/ named here: owner.py stays below this module, importing nothing of the package)
    ip.events.register("post_run_cell", lambda *_: give_back_after_cell(REPO / "build"))
    ip._ebpflab_owner = True


_install_notebook_error_display()
_install_file_hand_back()
