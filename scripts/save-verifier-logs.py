#!/usr/bin/env python3

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Save the running kernel's verifier logs of every gallery pair as fixtures for tests/unit.

    sudo .venv/bin/python scripts/save-verifier-logs.py tests/unit/verifier_logs

writes ``<DIR>/<major.minor>/NN_name.log`` (the broken version's whole log) and ``expected.json``
(what the pair's label says the log means: its category when this kernel refused it, "accepted"
otherwise). The expectation comes from the label, never from explain(), so that
tests/unit/test_verifierlog.py checks explain() against every saved kernel's wording on any machine.
`make vm-test` runs this inside Debian's own kernels and copies the result out.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

from ebpflab import REPO, verifier


def main(out: Path) -> int:
    """Write one log per pair and the expectations; 1 when a pair did not behave as labelled."""
    release = ".".join(platform.release().split(".")[:2])
    dest = out / release
    dest.mkdir(parents=True, exist_ok=True)
    expected, strays = {}, []
    for p in verifier.gallery():
        broken = verifier.verify(p.broken, prog_type=p.prog_type)
        key = f"{p.number}_{p.name}"
        (dest / f"{key}.log").write_text(broken.log)
        expected[key] = {
            "category": "accepted" if broken.accepted else p.category,
            "source": str(p.broken.relative_to(REPO)),
        }
        if not p.as_labelled(broken):
            strays.append(key)
    (dest / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(
        f"saved {len(expected)} verifier logs of kernel {platform.release()} in {dest}"
        + (f"; not as labelled: {', '.join(strays)}" if strays else "")
    )
    return 1 if strays else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: save-verifier-logs.py DIR (the logs land in DIR/<kernel major.minor>/)")
    sys.exit(main(Path(sys.argv[1])))
