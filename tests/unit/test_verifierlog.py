# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""explain() reads verifier logs without a kernel: messages of several kernel versions, and logs saved from real kernels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ebpflab import REPO, verifierlog

LOGS = Path(__file__).parent / "verifier_logs"  # <kernel release>/<gallery pair>.log, saved from that kernel


# What other kernel versions print for the same rules: explain() must recognise them too.
CLASSIC_MESSAGES = {
    "back-edge from insn 10 to 5": "loop",
    "infinite loop detected at insn 7": "loop",
    "unknown func bpf_get_current_comm#16": "helper",
    "BPF program is too large. Processed 1000001 insn": "too-complex",
    "R1 invalid mem access 'inv'": "scalar-deref",
    "R1 invalid mem access 'map_value_or_null'": "null-check",
    "invalid indirect read from stack R2 off -8+0 size 4": "uninit-stack",
    "invalid read from stack off -8+0 size 8": "uninit-stack",
    "R0 leaks addr into map": "pointer-leak",
    "R0 !read_ok": "return-value",
    "At program exit the register R0 has value (0x2; 0x0) should have been in (0x0; 0x1)": "return-value",
    "unreachable insn 3": "unreachable",
    "Unreleased reference id=2 alloc_insn=5": "reference-leak",
    "math between pkt pointer and register with unbounded min value is not allowed": "packet-variable-offset",
    "invalid stack off=-520 size=1": "stack-bounds",
    "invalid indirect access to stack R3 off=-16 size=64": "stack-bounds",
    "combined stack size of 2 calls is 544. Too large": "stack-bounds",
    # clang's own refusal, worded differently by clang 14 (Debian 12) and clang 18/19 (Ubuntu 24.04, Debian 13)
    "Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF "
    "per-cpu array map.": "stack-bounds",
    "Looks like the BPF stack limit is exceeded. Please move large on stack variables into BPF per-cpu array map. "
    "For non-kernel uses, the stack can be increased using -mllvm -bpf-stack-size.": "stack-bounds",
    "invalid bpf_context access off=80 size=4": "ctx-access",
    "div by zero": "divide-by-zero",
    "cannot call GPL-restricted function from non-GPL compatible program": "gpl",
    "invalid access to map value, value_size=64 off=64 size=8": "map-value-bounds",
    "R1 min value is negative, either use unsigned index or do a if (index >=0) check.": "map-value-bounds",
    "invalid access to packet, off=12 size=2, R1(id=0,off=12,r=0)": "packet-bounds",
}


def test_unknown_messages_fall_back_to_the_last_lines():
    exp = verifierlog.explain("0: (b7) r0 = 0\n1: (95) exit\nsomething no kernel says yet\n")
    assert exp.category == "unknown"
    assert exp.message == "something no kernel says yet"
    assert "something no kernel says yet" in str(exp)
    empty = verifierlog.explain("")
    assert empty.category == "unknown" and str(empty).strip()


@pytest.mark.parametrize("message,category", CLASSIC_MESSAGES.items(), ids=list(CLASSIC_MESSAGES.values()))
def test_explain_knows_the_messages_of_other_kernel_versions(message, category):
    log = f"0: R1=ctx() R10=fp0\n0: (b7) r0 = 0\n1: (95) exit\n{message}\nprocessed 2 insns (limit 1000000)\n"
    exp = verifierlog.explain(log)
    assert exp.category == category, exp.message
    assert exp.rule.endswith(".") and exp.fix


SAVED = [
    (d.name, name, case)
    for d in sorted(LOGS.iterdir())
    if d.is_dir()
    for name, case in json.loads((d / "expected.json").read_text()).items()
]


@pytest.mark.parametrize("kernel,pair,case", SAVED, ids=[f"{k}-{p}" for k, p, _ in SAVED])
def test_saved_logs_of_real_kernels_are_explained(kernel, pair, case):
    exp = verifierlog.explain((LOGS / kernel / f"{pair}.log").read_text(), (REPO / case["source"]).read_text())
    assert exp.category == case["category"], f"kernel {kernel}, {pair}: {exp.message}"
    if exp.category not in ("accepted", "unknown"):
        assert exp.rule.endswith(".") and exp.fix and exp.message
