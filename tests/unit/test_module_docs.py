"""Each module's docstring names the first lab that imports it (directly, or through another module's top-level imports)."""
from __future__ import annotations

import ast
import json
import re

from ebpflab import LABS_DIR, REPO

PACKAGE = REPO / "ebpflab"


def imported(tree: ast.Module) -> set[str]:
    """The ebpflab modules an AST imports at its top level (a lazy import in a function is "only when needed")."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            if node.level == 1 or parts[0] == "ebpflab":  # from . import x / from .x import y / from ebpflab[.x] import y
                head = parts[1] if parts[0] == "ebpflab" and len(parts) > 1 else (parts[0] if node.level == 1 else "")
                if head:
                    out.add(head)
                out |= {a.name for a in node.names if not head and a.name in modules}
                out.add("__init__")
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("ebpflab.")}
    return out & (modules | {"__init__"})


def module_deps() -> dict[str, set[str]]:
    """For each module, the modules it imports."""
    return {p.stem: imported(ast.parse(p.read_text())) - {p.stem} for p in PACKAGE.glob("*.py")}


def closure(start: set[str], deps: dict[str, set[str]]) -> set[str]:
    """Every module reachable from ``start``."""
    seen, todo = set(), list(start)
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += deps.get(m, set())
    return seen


def first_lab() -> dict[str, int]:
    """Module -> number of the first lab whose code cells import it."""
    deps, first = module_deps(), {}
    for nb in sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb")):
        lab = int(nb.name[:2])
        cells = json.loads(nb.read_text())["cells"]
        direct: set[str] = set()
        for c in cells:
            if c["cell_type"] == "code":
                try:
                    direct |= imported(ast.parse("".join(c["source"])))
                except SyntaxError:  # cell magics: not Python
                    pass
        for m in closure(direct, deps):
            first.setdefault(m, lab)
    return first


def test_module_docstrings_name_the_first_lab_that_imports_them():
    first, wrong = first_lab(), []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in ("__init__", "__main__"):
            continue
        doc = (ast.get_docstring(ast.parse(path.read_text())) or "").split("\n\n")[0]
        named = [int(n) for n in re.findall(r"\(lab (\d\d)\b", doc)]
        if path.stem in first:
            if named[:1] != [first[path.stem]]:
                wrong.append(f"{path.name}: says lab {named[:1] or 'nothing'}, first imported by lab {first[path.stem]:02d}")
        elif named:
            wrong.append(f"{path.name}: says lab {named[0]:02d}, but no lab imports it (name its command instead)")
    assert not wrong, "\n".join(wrong)
