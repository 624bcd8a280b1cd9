# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 05: every gallery pair behaves as labelled on the running kernel, and explain() names the rule.

Kernel messages change between versions: these tests assert the category explain() finds in
the log this kernel produced, never a verbatim message.
"""

from __future__ import annotations

import re

import pytest

from ebpflab import LabError, verifier, verifierlog
from ebpflab.errors import CompileError, VerifierError
from ebpflab.loader import Program

PAIRS = verifier.gallery()


def test_the_gallery_has_at_least_14_pairs_with_a_rule_each():
    assert len(PAIRS) >= 14
    assert sum(p.expect == "rejected" for p in PAIRS) >= 14
    for p in PAIRS:
        assert p.fixed.is_file(), f"{p.broken.name} has no fixed version"
        assert p.rule.endswith("."), f"{p.broken.name} lacks a 'Rule: ...' sentence in its header"
        assert p.expect in ("rejected", "accepted", "root-accepted")
        assert p.category in {r.category for r in verifierlog.RULES}, f"{p.broken.name}: unknown category {p.category}"


@pytest.mark.parametrize("p", PAIRS, ids=[f"{p.number}_{p.name}" for p in PAIRS])
def test_pair_behaves_as_labelled(p):
    broken = verifier.verify(p.broken, prog_type=p.prog_type)
    assert p.as_labelled(broken), f"{p.broken.name} is labelled {p.label!r}:\n{broken.log[-2000:]}"
    if not broken.accepted:
        exp = broken.explanation
        assert exp.category == p.category, f"{p.broken.name}: explained as {exp.category}: {exp.message}"
        assert exp.rule and exp.fix and exp.message
        assert exp.insn is not None, "the failing instruction is not named"
        assert exp.line and exp.line_text, "the failing C line is not named"
        assert p.broken.read_text().splitlines()[exp.line - 1].strip() == exp.line_text
    fixed = verifier.verify(p.fixed, prog_type=p.prog_type)
    assert fixed.accepted, f"{p.fixed.name} was rejected:\n{fixed.log[-2000:]}"
    assert fixed.insns and fixed.insns > 0


def test_explanation_points_at_the_failing_c_line():
    p = verifier.pair("packet_bounds")
    res = verifier.verify(p.broken)
    exp = res.explanation
    assert "h_proto" in exp.line_text
    assert p.broken.read_text().splitlines()[exp.line - 1].strip() == exp.line_text
    assert re.search(r"offset 12", exp.detail)  # the numbers come from this kernel's message
    assert "h_proto" in str(exp) and "Fix:" in str(exp)
    assert "h_proto" in res._repr_html_()


def test_accepted_programs_keep_their_log_at_level_2():
    res = verifier.verify(verifier.pair("null_check").fixed, log_level=2)
    assert res.accepted and res.explanation.category == "accepted"
    assert res.insns > 0 and res.states is not None
    assert re.search(r"^\d+: \([0-9a-f]{2}\) ", res.log, re.M), "level 2 shows every instruction"
    assert len(res.log) > len(verifier.verify(verifier.pair("null_check").fixed, log_level=1).log)


def test_a_program_written_in_a_cell():
    text = """
    #include <uapi/linux/bpf.h>
    BPF_HASH(seen, __u32, __u64, 4);
    int mine(struct xdp_md *ctx) { __u32 k = 1; __u64 *v = seen.lookup(&k); return *v ? XDP_DROP : XDP_PASS; }
    """
    res = verifier.verify(text, "mine")
    assert not res.accepted and res.explanation.category == "null-check"


def test_loader_rejection_names_the_rule():
    with Program(verifier.pair("null_check").broken) as prog:
        with pytest.raises(VerifierError) as info:
            prog.load("broken")
    assert "may be NULL" in str(info.value)
    assert "map_value_or_null" in info.value.log


def test_bad_input_is_one_sentence():
    with pytest.raises(LabError):
        verifier.verify(verifier.pair(1).broken, log_level=7)
    with pytest.raises(LabError):
        verifier.pair("no_such_rule")
    with pytest.raises(LabError):
        verifier.verify(verifier.pair(1).broken, "no_such_function")


def test_unprivileged_loading_is_stated_and_tried():
    assert verifier.unprivileged_loading().endswith(".")
    tried = verifier.unprivileged_attempt()
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        if f.read().strip() != "0":
            assert "refused: Operation not permitted" in tried
        else:
            assert "loads" in tried


def test_a_stack_clang_refuses_does_not_end_the_process():
    text = """
    #include <uapi/linux/bpf.h>
    int huge(struct xdp_md *ctx) { volatile char buf[600]; buf[0] = 1; buf[599] = 2; return buf[ctx->data & 1]; }
    """
    with pytest.raises(CompileError) as info:
        verifier.verify(text, "huge")
    assert "512" in str(info.value)


def test_the_picker_widget_renders_on_every_change(monkeypatch):
    from ebpflab import plots

    assert verifier.picker() is None  # headless: the first page only, nothing to wait on
    monkeypatch.setattr(plots, "headless", lambda: False)
    box = verifier.picker()
    choose, number, toggle, _hint = box.children[0].children
    choose.value = verifier.pair("return_value").number  # a cgroup_skb pair: the type comes from the header
    toggle.value = True
    assert choose.value == "08" and number.value == 8 and toggle.value  # the number box follows the dropdown
