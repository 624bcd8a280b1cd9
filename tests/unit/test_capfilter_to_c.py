# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Filter expressions to C for the capture program: libpcap's classic BPF turned into loop-free C (no kernel)."""

from __future__ import annotations

import pytest

from ebpflab import cbpf
from ebpflab.tcpdump.capfilter import FilterError, compile_filter, to_c


def test_unparsable_expression_is_one_sentence():
    with pytest.raises(FilterError, match="cannot compile filter expression 'port 99999'"):
        compile_filter("port 99999")
    with pytest.raises(FilterError, match="syntax error"):
        compile_filter("tcp and (")


def test_generated_c_is_loop_free_and_says_where_it_came_from():
    f = compile_filter("tcp and port 8000")
    code = f.c_code()
    assert "capture_filter" in code and "libpcap" in code
    jumps = [line for line in code.splitlines() if "goto" in line]
    for line in jumps:  # classic BPF only jumps forward: the verifier sees no loop
        here = int(line.split("L", 1)[1].split(":", 1)[0])
        assert all(int(t.split(";")[0]) > here for t in line.split("goto L")[1:])


def test_every_instruction_class_translates():
    from cbpf_corpus import EVERY_INSTRUCTION

    code = to_c([tuple(i) for i in cbpf.assemble(EVERY_INSTRUCTION)])
    for piece in (
        "A = len;",
        "M[3] = A;",
        "M[2] = X;",
        "X = A;",
        "A = X;",
        "A = -A;",
        "return A != 0;",
        "if (X == 0) return 0;",
        "X = (X & 0xf) << 2;",
    ):
        assert piece in code, piece
