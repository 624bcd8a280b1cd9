# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Read a verifier log for the learner: the rule broken, in one sentence, where, and the fix (lab 01; lab 05 teaches it).

Pure text in, ``Explanation`` out: no BCC and no kernel here, so the loader can explain every
rejection and the unit tests can read logs saved from several kernels. Messages differ between
kernel versions, so rules are matched by pattern; a message no rule knows falls back to the last
lines of the log, never to an empty answer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .messages import N_, _

TAIL_LINES = 8
# BCC's line annotations number the lines of its rewritten copy (main.c), which starts with
# this many lines of its own before the learner's first line.
BCC_LINE_OFFSET = 12

INSN_RE = re.compile(r"^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+;.*)?$")
SOURCE_RE = re.compile(r"^; (.*) @ (\S+):(\d+)$")
DISASM_FUNC_RE = re.compile(r"^Disassembly of function (\w+)")
DISASM_LINE_RE = re.compile(r"^; (.*?) // Line\s+(\d+)$")
DISASM_INSN_RE = re.compile(r"^\s*(\d+):\s")
STATS_RE = re.compile(r"processed (\d+) insns \(limit (\d+)\).*?total_states (\d+) peak_states (\d+)")


@dataclass
class LogRule:
    """One verifier rule: the messages that break it, the rule in a sentence, and the usual fix."""

    category: str
    pattern: str
    rule: str
    fix: str
    detail: Callable[[re.Match], str] | None = None


def _pkt_detail(m: re.Match) -> str:
    off, size, rng = int(m["off"]), int(m["size"]), int(m["r"])
    return _(
        "The instruction reads {size} byte(s) at offset {off} of the packet pointer, but the checks "
        "so far prove only {range} byte(s) exist there (bytes {off}..{last} are needed).",
        size=size,
        off=off,
        range=rng,
        last=off + size - 1,
    )


RULES = [
    LogRule(
        "packet-variable-offset",
        r"invalid access to packet, off=(?P<off>-?\d+) size=(?P<size>\d+), R\d+\(id=[1-9]\d*,off=-?\d+,r=(?P<r>\d+)\)",
        N_(
            "A packet pointer moved by a variable amount needs its own bounds check: the earlier check "
            "covered the old pointer, not this one."
        ),
        N_(
            "After adding the variable offset, check the new pointer itself: `if ((void *)(p + 1) > data_end) return XDP_PASS;`."
        ),
        _pkt_detail,
    ),
    LogRule(
        "packet-bounds",
        r"invalid access to packet, off=(?P<off>-?\d+) size=(?P<size>\d+), R\d+\(.*?r=(?P<r>\d+)\)",
        N_("A packet byte may be read only after a comparison with data_end proves it is inside the packet."),
        N_(
            "Compare the end of what you read with data_end first, e.g. `if (data + sizeof(*eth) > data_end) return XDP_PASS;`, "
            "and make the check cover the last byte you read."
        ),
        _pkt_detail,
    ),
    LogRule(
        "packet-bounds",
        r"invalid access to packet",
        N_("A packet byte may be read only after a comparison with data_end proves it is inside the packet."),
        N_("Compare the end of what you read with data_end before reading."),
    ),
    LogRule(
        "pkt-end-arith",
        r"pointer arithmetic on pkt_end prohibited",
        N_("data_end may only be compared with, never moved: the check must move the packet pointer instead."),
        N_("Write the check as `if (data + N > data_end)` rather than adjusting data_end."),
    ),
    LogRule(
        "null-check",
        r"invalid mem access '(?P<t>\w*or_null)'",
        N_("A pointer that may be NULL (a map lookup's result, a reservation) must be tested before it is used."),
        N_("Test it first: `if (!value) return XDP_PASS;` (or `if (value) { ... }`)."),
    ),
    LogRule(
        "scalar-deref",
        r"invalid mem access '(scalar|inv)'",
        N_(
            "Only pointers the verifier produced itself may be dereferenced: this register holds a plain number, "
            "either an integer cast to a pointer or a packet pointer a helper such as bpf_xdp_adjust_head() invalidated."
        ),
        N_(
            "Read through a pointer the verifier tracks (ctx->data, a map value); after a helper that changes the packet, "
            "reload data/data_end from ctx and check the bounds again."
        ),
    ),
    LogRule(
        "uninit-stack",
        r"invalid (indirect )?read from stack|invalid read from stack|!read_ok.*stack",
        N_("Stack memory must be written before it is read (by your code or by a helper you pass it to)."),
        N_("Initialise the variable (`__u32 key = 0;`, `struct s x = {};` or __builtin_memset)."),
    ),
    LogRule(
        "stack-bounds",
        r"invalid (indirect )?(write to|access to) stack|invalid (write to|variable-offset \w+) stack|"
        r"invalid stack off|stack (depth|limit)|combined stack size",
        N_("Every stack access must stay inside its buffer, and a program has at most 512 bytes of stack."),
        N_("Pass sizeof(buf) as the size, keep buffers small, and move big data into a per-CPU array map."),
    ),
    LogRule(
        "loop",
        r"infinite loop detected|back-edge from insn|unbounded loop|loop is not bounded",
        N_("Every loop must provably end: the verifier found a loop whose exit depends on nothing that changes."),
        N_("Give the loop a constant upper bound (`for (int i = 0; i < MAX; i++)`) and break out early when done."),
    ),
    LogRule(
        "too-complex",
        r"BPF program is too large|is too complex|too many states|The sequence of \d+ jumps is too complex",
        N_(
            "The verifier simulates every path of the program and gives up after 1,000,000 instructions (or too many "
            "pending branches), even if the program is correct."
        ),
        N_(
            "Do less per run: give loops a constant trip count and test the data inside them, cut branches inside "
            "loops, or split the work (bpf_loop(), tail calls)."
        ),
    ),
    LogRule(
        "unreachable",
        r"unreachable insn (?P<insn>\d+)",
        N_("Every instruction must be reachable: dead code after an unconditional exit or jump is refused."),
        N_("Remove the dead instructions (they usually come from hand-written assembly)."),
    ),
    LogRule(
        "return-value",
        r"At program exit the register R0 (has|is)",
        N_("A program may only return the values its program type defines (checked at every exit)."),
        N_("Return one of the type's verdicts, e.g. 0 or 1 for a cgroup socket-buffer program."),
    ),
    LogRule(
        "return-value",
        r"R0 !read_ok",
        N_("Every path must set the return value (R0) before the program exits."),
        N_("Make every path end with `return <verdict>;`."),
    ),
    LogRule(
        "helper",
        r"unknown func (?P<f>\w+)|program of this type cannot use helper (?P<g>\w+)|helper call is not allowed",
        N_("A program may call only the helpers its program type offers: this one does not exist for this type."),
        N_(
            "Use the helper made for this program type (e.g. bpf_xdp_load_bytes() in XDP instead of bpf_skb_load_bytes())."
        ),
    ),
    LogRule(
        "gpl",
        r"cannot call GPL-restricted function",
        N_("Some helpers are only for GPL-licensed programs."),
        N_("Declare a GPL-compatible license (BCC: `#define BPF_LICENSE GPL`)."),
    ),
    LogRule(
        "helper-args",
        r"R\d+ type=\w+ expected=",
        N_("Each helper argument must have the type the helper expects (a map, a stack buffer, a function, ...)."),
        N_("Pass the kind of pointer the helper's documentation asks for."),
    ),
    LogRule(
        "ctx-access",
        r"invalid bpf_context access",
        N_(
            "The context may be read only through its documented fields, and written only where the program type allows."
        ),
        N_("Read ctx fields, and change the packet through helpers (bpf_xdp_adjust_head(), bpf_xdp_adjust_tail())."),
    ),
    LogRule(
        "pointer-leak",
        r"leaks addr|leaking pointer",
        N_("Kernel addresses must not reach user space (through a map, a return value or a helper argument)."),
        N_("Store the numbers user space needs, never pointers."),
    ),
    LogRule(
        "packet-variable-offset",
        r"math between pkt pointer and register with unbounded min value",
        N_("A packet pointer may only move by an amount the verifier can bound: this offset has no known minimum."),
        N_(
            "Bound the offset first (an unsigned type, `off &= 0xff` or `if (off > MAX) return XDP_PASS;`), then check the new pointer."
        ),
    ),
    LogRule(
        "map-value-bounds",
        r"math between map_value pointer and register with unbounded min value",
        N_("A map-value pointer may only move by an amount the verifier can bound: this index has no known minimum."),
        N_("Use an unsigned index and check it against the value's size first."),
    ),
    LogRule(
        "pointer-arith",
        r"(pointer arithmetic|bitwise operator|operator) .*(on|with) pointer prohibited|"
        r"pointer arithmetic .* prohibited|math between .* pointer",
        N_(
            "Only some arithmetic on pointers is allowed (adding a bounded number); other operations make the pointer untrackable."
        ),
        N_("Do the arithmetic on integers, then add a bounded offset to the pointer."),
    ),
    LogRule(
        "map-value-bounds",
        r"invalid access to map value|unbounded memory access|min value is negative|"
        r"value is outside of the allowed memory range",
        N_(
            "An access inside a map value must be bounded by the value's size: the verifier needs a range check on the index."
        ),
        N_("Check the index first (`if (i < N)`), so that the verifier knows its range."),
    ),
    LogRule(
        "reference-leak",
        r"Unreleased reference id=\d+ alloc_insn=(?P<insn>\d+)|Unreleased reference",
        N_("Every acquired reference (a ring-buffer reservation, a socket) must be released on every path."),
        N_("Submit or discard the reservation on every path (`ringbuf_submit` / `ringbuf_discard`)."),
        lambda m: (
            _("The reference taken at instruction {insn} is still held at this exit.", insn=m["insn"])
            if m["insn"]
            else ""
        ),
    ),
    LogRule(
        "divide-by-zero",
        r"div by zero",
        N_(
            "A division by the constant zero is refused; by a register that may be zero, eBPF defines x / 0 = 0 and x % 0 = x."
        ),
        N_("Test the divisor and decide what zero means before dividing."),
    ),
    # BCC prints this instead of the log when the kernel answers E2BIG without one
    LogRule(
        "too-complex",
        r"Argument list too long",
        N_("The verifier gave up: the program is too large or has too many paths to walk (E2BIG)."),
        N_("Do less per run: lower the loop bounds, cut branches inside loops, or split the work."),
    ),
]


@dataclass
class Explanation:
    """What the verifier objected to, in plain words, with where and how to fix it (lab 05)."""

    category: str
    rule: str
    detail: str = ""
    fix: str = ""
    message: str = ""
    insn: int | None = None
    insn_text: str = ""
    line: int | None = None
    line_text: str = ""
    tail: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [self.rule]
        if self.detail:
            parts.append(self.detail)
        if self.insn is not None:
            insn = f"{self.insn}: {self.insn_text}"
            parts.append(_("Failing instruction: {insn}", insn=insn))
        if self.line_text:
            if self.line:
                parts.append(_("C source (line {line}): {text}", line=self.line, text=self.line_text))
            else:
                parts.append(_("C source (C source): {text}", text=self.line_text))
        if self.message:
            parts.append(_("Kernel's words: {message}", message=self.message))
        if self.fix:
            parts.append(_("Fix: {fix}", fix=self.fix))
        if self.category == "unknown" and self.tail:
            parts.append(_("Last lines of the log:") + "\n" + "\n".join(f"  > {t}" for t in self.tail))
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        rows = [f"<b>{html.escape(self.rule)}</b>"]
        if self.detail:
            rows.append(html.escape(self.detail))
        if self.insn is not None:
            insn = f"<code>{self.insn}: {html.escape(self.insn_text)}</code>"
            rows.append(_("Failing instruction: {insn}", insn=insn))
        if self.line_text:
            code = f"<code>{html.escape(self.line_text)}</code>"
            if self.line:
                rows.append(_("C source line {line}: {code}", line=self.line, code=code))
            else:
                rows.append(_("C source: {code}", code=code))
        if self.message:
            message = f"<code>{html.escape(self.message)}</code>"
            rows.append(_("Kernel's words: {message}", message=message))
        if self.fix:
            rows.append(_("Fix: {fix}", fix=html.escape(self.fix)))
        if self.category == "unknown" and self.tail:
            rows.append("<pre style='background:#fee'>" + html.escape("\n".join(self.tail)) + "</pre>")
        return "<div>" + "<br>".join(rows) + "</div>"


def line_map(disassembly: str, func: str) -> dict[int, tuple[int, str]]:
    """Instruction number -> (BCC's main.c line, C text), from BCC's DEBUG_SOURCE disassembly of ``func``."""
    lines: dict[int, tuple[int, str]] = {}
    current, inside = None, False
    for ln in disassembly.splitlines():
        fm = DISASM_FUNC_RE.match(ln)
        if fm:
            inside = fm[1] == func
            continue
        if not inside:
            continue
        lm = DISASM_LINE_RE.match(ln)
        if lm:
            current = (int(lm[2]), lm[1].strip())
        elif current and (im := DISASM_INSN_RE.match(ln)):
            lines[int(im[1])] = current
    return lines


def source_line(text: str, number: int, source: str | None) -> tuple[int | None, str]:
    """Map a line of BCC's rewritten copy (main.c) back to the learner's own line."""
    text = text.strip()
    if not source:
        return None, text
    lines = [ln.strip() for ln in source.splitlines()]
    hits = [i + 1 for i, ln in enumerate(lines) if ln == text]
    guess = number - BCC_LINE_OFFSET
    if hits:  # the same text may appear twice: take the one nearest BCC's numbering
        best = min(hits, key=lambda n: abs(n - guess))
        return best, source.splitlines()[best - 1].strip()
    if 1 <= guess <= len(lines):  # BCC rewrote the line (map helpers): trust the numbering
        return guess, source.splitlines()[guess - 1].strip()
    return None, text


def explain(log: str, source: str | None = None, lines_of: Mapping[int, tuple[int, str]] | None = None) -> Explanation:
    """Name the rule behind a verifier log in one sentence, with the failing instruction, C line and fix.

    ``source`` (the C text) turns line numbers into the learner's own; ``lines_of`` (see ``line_map``)
    finds the C line when the log has no line annotations (BCC retries a refused load without BTF
    when the kernel answers EINVAL, and that log has none).
    """
    lines = [ln.rstrip() for ln in (log or "").splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("processed ", "verification time", "stack depth"))]
    tail = useful[-TAIL_LINES:]
    found: tuple[int, LogRule, re.Match] | None = None
    for i in range(len(lines) - 1, -1, -1):  # the complaint is at the end: search backwards
        for rule in RULES:
            m = re.search(rule.pattern, lines[i])
            if m:
                found = (i, rule, m)
                break
        if found:
            break
    if found is None:
        stats = STATS_RE.search(log or "")
        if stats and not any("Failed to load" in ln or "failed" in ln.lower() for ln in lines):
            return Explanation(
                "accepted",
                _(
                    "The verifier accepted the program after walking {insns} instructions ({states} states kept).",
                    insns=stats[1],
                    states=stats[3],
                ),
            )
        last = tail[-1] if tail else _("(the log is empty)")
        return Explanation(
            "unknown",
            _(
                "The verifier refused the program with a message this kit does not recognise "
                "yet: read the highlighted last lines of the log, the last one is the reason."
            ),
            message=last,
            tail=tail or [_("(the log is empty: load with log_level=1 or 2)")],
        )
    i, rule, m = found
    exp = Explanation(
        rule.category,
        _(rule.rule),
        rule.detail(m) if rule.detail else "",
        _(rule.fix),
        message=lines[i].strip(),
        tail=tail,
    )
    for j in range(i, -1, -1):  # the instruction the complaint is about: the last one shown before it
        im = INSN_RE.match(lines[j])
        if im:
            exp.insn, exp.insn_text = int(im[1]), im[3].strip()
            head = INSN_RE.match(lines[j][: m.start()].rstrip()) if j == i else None
            if head:  # the complaint shares the instruction's line ("... infinite loop detected")
                exp.insn_text = head[3].strip()
            for k in range(j, -1, -1):
                sm = SOURCE_RE.match(lines[k])
                if sm and sm[1].strip() and int(sm[3]) > 0:  # "; @ main.c:0" marks compiler-made code
                    exp.line, exp.line_text = source_line(sm[1], int(sm[3]), source)
                    break
            break
    if rule.category == "unreachable":
        exp.insn = int(m["insn"])
    if exp.insn is not None and lines_of:
        known = [n for n in lines_of if n <= exp.insn]
        if known:
            number, text = lines_of[max(known)]
            exp.line, exp.line_text = source_line(text, number, source)
    return exp
