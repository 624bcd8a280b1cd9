# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Each module's docstring names the first lab that imports it (directly, or through another module's top-level imports)."""

from __future__ import annotations

import ast
import contextlib
import json
import re

from ebpflab import LABS_DIR, REPO

PACKAGE = REPO / "ebpflab"


def module_name(path) -> str:
    """A module's dotted name inside the package: ``loader``, ``tcpdump.print.text``; a package's own ``__init__``
    is its name (``tcpdump``), the top one's ``__init__``."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(tree: ast.Module, where: str = "__init__") -> set[str]:
    """The ebpflab modules an AST imports at its top level (a lazy import in a function is "only when needed"),
    ``where`` being the importing module's own name (for relative imports); each with the packages it lies in."""
    package = [] if where == "__init__" else where.split(".")
    if where != "__init__" and MODULES[where].name != "__init__.py":
        package = package[:-1]  # a plain module's relative imports start from its package
    out: set[str] = set()
    for node in tree.body:
        targets: list[list[str]] = []
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".") if node.module else []
            if node.level >= 1:
                base = package[: len(package) - (node.level - 1)]
            elif parts[:1] == ["ebpflab"]:
                base, parts = [], parts[1:]
            else:
                continue
            targets.append(base + parts)
            targets += [base + parts + [a.name] for a in node.names]
        elif isinstance(node, ast.Import):
            targets += [a.name.split(".")[1:] for a in node.names if a.name.startswith("ebpflab.")]
        for target in targets:
            if ".".join(target) in MODULES:
                out.add(".".join(target))
            out |= {".".join(target[:i]) for i in range(1, len(target)) if ".".join(target[:i]) in MODULES}
            out.add("__init__")
    return out


def module_deps() -> dict[str, set[str]]:
    """For each module, the modules it imports."""
    return {name: imported(ast.parse(p.read_text()), name) - {name} for name, p in MODULES.items()}


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
                with contextlib.suppress(SyntaxError):  # cell magics: not Python
                    direct |= imported(ast.parse("".join(c["source"])))
        for m in closure(direct, deps):
            first.setdefault(m, lab)
    return first


def test_module_docstrings_name_the_first_lab_that_imports_them():
    first, wrong = first_lab(), []
    for name, path in sorted(MODULES.items()):
        if path.stem in ("__init__", "__main__"):
            continue
        doc = (ast.get_docstring(ast.parse(path.read_text())) or "").split("\n\n")[0]
        named = [int(n) for n in re.findall(r"\(lab (\d\d)\b", doc)]
        where = path.relative_to(PACKAGE)
        if name in first:
            if named[:1] != [first[name]]:
                wrong.append(f"{where}: says lab {named[:1] or 'nothing'}, first imported by lab {first[name]:02d}")
        elif named:
            wrong.append(f"{where}: says lab {named[0]:02d}, but no lab imports it (name its command instead)")
    assert not wrong, "\n".join(wrong)
