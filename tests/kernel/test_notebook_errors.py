# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""In a notebook, a learner's mistake shows as one clear line, the cell still fails, and logs arrive."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def run_cells(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return nb


def test_lab_errors_are_one_line_and_fail_the_cell():
    nb = run_cells(
        "import ebpflab\nfrom ebpflab.netlab import LabNet\nLabNet(subnet='10.0.0.0/24')",
        "from ebpflab.loader import Program\nProgram('int f(struct xdp_md *c) { return oops; }').build()",
    )
    first = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert first and first[0].ename == "LabError"
    assert len(first[0].traceback) == 1, "a LabError is shown without a traceback"
    assert "outside the lab range" in first[0].traceback[0]
    second = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert second and second[0].ename == "CompileError"
    assert "use of undeclared identifier 'oops'" in second[0].evalue, "clang's message reaches the notebook"


def test_verifier_log_reaches_the_notebook():
    src = (
        "from ebpflab.loader import Program\n"
        "p = Program('''#include <uapi/linux/bpf.h>\n"
        "int xdp_oob(struct xdp_md *ctx) { unsigned char *p = (void *)(long)ctx->data; return p[40]; }''')\n"
        "p.build(); p.load('xdp_oob')"
    )
    nb = run_cells(src)
    err = next(o for o in nb.cells[0].outputs if o.output_type == "error")
    assert err.ename == "VerifierError"
    assert "invalid access to packet" in err.evalue
