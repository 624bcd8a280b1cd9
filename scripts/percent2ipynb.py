#!/usr/bin/env python3

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Authoring aid: turn a percent-format script into a lab notebook without outputs.

    python scripts/percent2ipynb.py draft.py labs/NN_topic.ipynb

Cells start with ``# %%`` (code) or ``# %% [markdown]`` (markdown lines are ``# ``-prefixed).
A code cell header may carry ``tags=["exercise"]`` or ``tags=["check"]`` and ``exercise="name"``,
which become the metadata the test suite reads (see CONTRIBUTING.md). The notebook in labs/ is
the source of truth afterwards; edit it in JupyterLab and clear outputs before committing.
"""

import json
import re
import sys
from pathlib import Path

import nbformat


def convert(text: str) -> nbformat.NotebookNode:
    """Parse percent-format text into a notebook."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ebpflab)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    header, lines = None, []

    def flush() -> None:
        if header is None:
            return
        body = "\n".join(lines).strip("\n")
        if "[markdown]" in header:
            body = "\n".join(re.sub(r"^# ?", "", ln) for ln in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
            m = re.search(r"tags=(\[[^\]]*\])", header)
            if m:
                cell.metadata["tags"] = json.loads(m.group(1))
            m = re.search(r'exercise="([^"]+)"', header)
            if m:
                cell.metadata["ebpflab"] = {"exercise": m.group(1)}
        nb.cells.append(cell)

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            header, lines = line, []
        else:
            lines.append(line)
    flush()
    for cell in nb.cells:  # stable ids keep diffs small
        cell.pop("id", None)
    nb.nbformat_minor = 4
    return nb


if __name__ == "__main__":
    src, dst = sys.argv[1], sys.argv[2]
    nbformat.write(convert(Path(src).read_text()), dst)
    print(f"wrote {dst}")
