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
from .messages import N_, _

COMMANDS = {
    "doctor": ("ebpflab.doctor", N_("check this machine for the labs and list the hook points it offers")),
    "cleanup": ("ebpflab.cleanup", N_("remove namespaces and pinned maps left behind by a killed lab")),
    "lab": ("ebpflab.labserver", N_("serve JupyterLab on 127.0.0.1 with a token (what `make lab` runs)")),
    "url": ("ebpflab.labserver", N_("print the JupyterLab address with its token")),
    "tcpdump": (
        "ebpflab.tcpdump.command",
        N_("capture packets with XDP and a ring buffer, printed like tcpdump (lab 06)"),
    ),
    "export": ("ebpflab.export", N_("serve the running lab's counters in Prometheus' text format (lab 09)")),
    "progress": ("ebpflab.progress", N_("print which exercises you have passed, from the progress file (lab 00)")),
    "events": (
        "ebpflab.security",
        N_("print exec/open/connect/exit events as JSON lines, filtered in the kernel (lab 10)"),
    ),
}


# argparse's own words (its headings and errors), in the participant's language: argparse looks each up
# through its module-level gettext ``_`` when it formats help or an error, so that is where the kit's
# catalogue goes in (only for these sentences; any other is left to gettext, as before).
ARGPARSE = {
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
}
_argparse_gettext = argparse._  # type: ignore[attr-defined]


def _argparse_text(message: str) -> str:
    return _(message) if message in ARGPARSE else _argparse_gettext(message)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (and exit status 2), like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sub = self.prog.split(" ", 1)[1:]  # "ebpflab tcpdump" -> ["tcpdump"]
        where = f"{sub[0]}: " if sub else ""
        self.exit(
            2, _("ebpflab: {where}{message} (see {prog} --help)", where=where, message=message, prog=self.prog) + "\n"
        )


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """The parser; only the sub-command named in ``argv`` has its module imported."""
    argparse._ = _argparse_text  # type: ignore[attr-defined]
    p = _Parser(prog="ebpflab", description=_("Hands-on eBPF labs: the helper commands."))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=_(help_), description=_(help_))
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
            print(_("ebpflab: `{command}` is not available in this version", command=args.command), file=sys.stderr)
            return 2
        raise
    except LabError as exc:
        print(f"ebpflab: {exc}", file=sys.stderr)  # i18n: as is (the program's name, then the error's own sentence)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ebpflab progress | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
