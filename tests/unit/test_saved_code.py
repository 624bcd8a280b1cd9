# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Code a lab defines in the cell that teaches it, and saves into the package, is the same in both places."""

from __future__ import annotations

import ast
import json

from ebpflab import LABS_DIR, REPO

SAVED = {
    "04_parsing.ipynb": "ebpflab/crafted.py",
    "09_aiops.ipynb": "ebpflab/detector.py",
}  # lab -> module it saves cells into


def definitions(text: str) -> dict[str, str]:
    """Top-level classes and functions of some Python text, as AST dumps (comments and spacing ignored)."""
    return {n.name: ast.dump(n) for n in ast.parse(text).body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}


def test_cells_saved_into_the_package_match_the_module():
    for lab, module in SAVED.items():
        cells = json.loads((LABS_DIR / lab).read_text())["cells"]
        saved = [
            c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).startswith(f"# saved as {module}")
        ]
        assert saved, f"{lab} has no cell saved as {module}"
        in_lab = {k: v for c in saved for k, v in definitions("".join(c["source"])).items()}
        assert in_lab == definitions((REPO / module).read_text()), f"{lab}'s cells and {module} differ"
