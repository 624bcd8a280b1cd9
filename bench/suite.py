# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The lab suite: wall time of every notebook run headless, and the share spent compiling with BCC (issue 10, part 4).

Each ``labs/NN_*.ipynb`` runs once, as ``tests/kernel/test_notebooks.py`` runs it with the reference
solutions (EBPFLAB_HEADLESS=1, a fresh kernel). A first cell wraps ``bcc.BPF.__init__`` (the
real one still runs) to add up the seconds spent in it: clang's compile of the C text plus
loading whatever BCC attaches by itself; a last cell hands the total back.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ebpflab import LABS_DIR
from ebpflab.check import fill_in_solutions
from ebpflab.system import capture_stderr

TIMER = """\
import time as _ebl_t, bcc as _ebl_bcc
_ebl_bench = {"compile": 0.0, "programs": 0}
_ebl_init = _ebl_bcc.BPF.__init__
def _ebl_timed_init(self, *a, **kw):
    t = _ebl_t.perf_counter()
    try:
        return _ebl_init(self, *a, **kw)
    finally:
        _ebl_bench["compile"] += _ebl_t.perf_counter() - t
        _ebl_bench["programs"] += 1
_ebl_bcc.BPF.__init__ = _ebl_timed_init
"""
REPORT = 'import json as _ebl_json; print("EBL-BENCH", _ebl_json.dumps(_ebl_bench))'


def run_notebook(path: Path, timeout: float = 300) -> dict:
    """Execute one notebook headless with its solutions; wall seconds, compile seconds, programs, error."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    fill_in_solutions(nb, path)
    nb.cells.insert(0, nbformat.v4.new_code_cell(TIMER))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(LABS_DIR)}})
    t0 = time.perf_counter()
    error = ""
    try:
        with capture_stderr():  # the kernels' start-up chatter, not ours to show
            client.execute(env=dict(os.environ, EBPFLAB_HEADLESS="1"))
    except Exception as exc:  # a lab mid-edit: report it, keep going
        error = (
            (getattr(exc, "ename", "") or type(exc).__name__)
            + ": "
            + str(getattr(exc, "evalue", exc)).splitlines()[0][:70]
        )
    wall = time.perf_counter() - t0
    stats = {"compile": 0.0, "programs": 0}
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "")
        if "EBL-BENCH" in text:
            stats = json.loads(text.split("EBL-BENCH", 1)[1])
    return {"lab": path.stem, "wall": wall, **stats, "error": error}


def run() -> list[dict]:
    """Every lab notebook, in order."""
    return [run_notebook(p) for p in sorted(LABS_DIR.glob("[0-9][0-9]_*.ipynb"))]


def table(rows: list[dict]) -> str:
    """Wall time per lab, BCC's share, and the totals."""
    lines = [f"{'lab':<22} {'wall s':>7} {'BCC s':>7} {'share':>6} {'programs':>9}"]
    for r in rows:
        share = r["compile"] / r["wall"] if r["wall"] else 0
        note = f"  FAILED {r['error']}" if r["error"] else ""
        lines.append(f"{r['lab']:<22} {r['wall']:>7.1f} {r['compile']:>7.1f} {share:>6.0%} {r['programs']:>9}{note}")
    wall = sum(r["wall"] for r in rows)
    comp = sum(r["compile"] for r in rows)
    lines.append(
        f"{'all labs':<22} {wall:>7.1f} {comp:>7.1f} {comp / wall if wall else 0:>6.0%} "
        f"{sum(r['programs'] for r in rows):>9}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
