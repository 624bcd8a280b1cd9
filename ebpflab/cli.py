# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The ``ebpflab`` command. Each sub-command lives in the module that does the work.

A module listed in ``COMMANDS`` provides ``add_arguments(parser)`` and ``main(args) -> int``;
it is imported only when its sub-command runs, so ``ebpflab doctor`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import LabError

COMMANDS = {
    "doctor": ("ebpflab.doctor", "check this machine for the labs and list the hook points it offers"),
    "cleanup": ("ebpflab.cleanup", "remove namespaces and pinned maps left behind by a killed lab"),
    "lab": ("ebpflab.labserver", "serve JupyterLab on 127.0.0.1 with a token (what `make lab` runs)"),
    "url": ("ebpflab.labserver", "print the JupyterLab address with its token"),
    "tcpdump": ("ebpflab.tcpdump.command", "capture packets with XDP and a ring buffer, printed like tcpdump (lab 06)"),
    "export": ("ebpflab.export", "serve the running lab's counters in Prometheus' text format (lab 09)"),
    "progress": ("ebpflab.progress", "print which exercises you have passed, from the progress file (lab 00)"),
    "events": (
        "ebpflab.security",
        "print exec/open/connect/exit events as JSON lines, filtered in the kernel (lab 10)",
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (and exit status 2), like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sub = self.prog.split(" ", 1)[1:]  # "ebpflab tcpdump" -> ["tcpdump"]
        where = f"{sub[0]}: " if sub else ""
        self.exit(2, f"ebpflab: {where}{message} (see {self.prog} --help)\n")


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """The parser; only the sub-command named in ``argv`` has its module imported."""
    p = _Parser(prog="ebpflab", description="Hands-on eBPF labs: the helper commands.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        if name in argv:
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name == module:  # a sub-command from a lab not built yet
                    continue
                raise
            if hasattr(mod, "add_arguments"):
                mod.add_arguments(sp)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; a LabError becomes one line on stderr and exit status 2."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        mod = importlib.import_module(COMMANDS[args.command][0])
        return mod.main(args)
    except ModuleNotFoundError as exc:
        if exc.name == COMMANDS[args.command][0]:
            print(f"ebpflab: `{args.command}` is not available in this version", file=sys.stderr)
            return 2
        raise
    except LabError as exc:
        print(f"ebpflab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ebpflab progress | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
