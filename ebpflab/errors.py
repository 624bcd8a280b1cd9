# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The exceptions a learner may meet: each carries one clear sentence, plus any log behind it (lab 00)."""

from __future__ import annotations

from .messages import _


class LabError(Exception):
    """Something the learner can fix; shown as its message alone (no traceback) in notebooks and the CLI."""


class NotRootError(LabError):
    """The kit needs root (or CAP_BPF + CAP_NET_ADMIN) to load programs and build namespaces."""


class MissingBCCError(LabError):
    """BCC's Python module (Debian's python3-bpfcc) is not installed."""


class CompileError(LabError):
    """A BPF C program did not compile; ``output`` holds clang's messages."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(f"{message}\n{output.rstrip()}" if output.strip() else message)
        self.output = output


class VerifierError(LabError):
    """The kernel's verifier rejected a program; ``log`` holds the verifier's full log."""

    def __init__(self, message: str, log: str, program: str = "", func: str = "") -> None:
        self.log = log
        self.program = program
        self.func = func
        tail = "\n".join(log.rstrip().splitlines()[-12:])
        # Say how to get the rest: in a notebook the exception is sys.last_value after the cell fails.
        how = _(
            "--- last lines of the verifier log (the whole log: `import sys; print(sys.last_value.log)` "
            "in a new cell, or `err.log` after `except VerifierError as err`) ---"
        )
        super().__init__(f"{message}\n{how}\n{tail}")


class CheckFailed(LabError):
    """A check cell found something other than what the lab expects."""
