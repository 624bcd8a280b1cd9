# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Load a program, keep the verifier's log, and read that log for the learner (lab 05).

``verify()`` hands one function to the running kernel and returns its verdict with the full log
(accepted programs too: the instruction count and the states are part of the lesson), explained
by ``ebpflab.verifierlog.explain()``: the rule in one sentence, the failing instruction and its C
line, and the fix. The gallery pairs broken programs in ``bpf/verifier/`` with their fixes.
"""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import BPF_DIR, bpfcall
from .errors import LabError, VerifierError
from .loader import Program, resolve_source
from .messages import N_, _
from .system import import_bcc
from .verifierlog import INSN_RE, SOURCE_RE, STATS_RE, Explanation, explain, line_map, source_line

GALLERY_DIR = BPF_DIR / "verifier"


@dataclass
class Verdict:
    """The running kernel's verdict on one function: accepted or not, the log, its figures, the explanation."""

    name: str
    func: str
    prog_type: str
    accepted: bool
    log: str
    source: str
    explanation: Explanation
    insns: int | None = None
    states: int | None = None
    peak_states: int | None = None
    lines_of: dict[int, tuple[int, str]] = field(default_factory=dict, repr=False)

    @property
    def verdict(self) -> str:
        """One line: accepted/rejected and the verifier's effort."""
        fields: dict[str, object] = {"func": self.func, "program": self.name, "prog_type": self.prog_type}
        if self.insns is None:
            if self.accepted:
                return _("{func}() from {program}: ACCEPTED as {prog_type} (no figures in the log)", **fields)
            return _("{func}() from {program}: REJECTED as {prog_type} (no figures in the log)", **fields)
        fields.update(insns=self.insns, states=self.states)
        if self.accepted:
            return _(
                "{func}() from {program}: ACCEPTED as {prog_type} ({insns} instructions processed, {states} states)",
                **fields,
            )
        return _(
            "{func}() from {program}: REJECTED as {prog_type} ({insns} instructions processed, {states} states)",
            **fields,
        )

    def annotated_log(self, last: int = 60) -> str:
        """The log's last lines as HTML: C lines in blue, the failing instruction and message in red."""
        lines = [ln for ln in self.log.splitlines() if ln.strip()]
        skipped = max(0, len(lines) - last)
        exp, out = self.explanation, []
        if skipped:
            earlier = _(
                "... {skipped} earlier lines (the whole log: <code>print(result.log)</code> on the value "
                "<code>verifier.verify()</code> returned)",
                skipped=skipped,
            )
            out.append(f"<span style='color:#888'>{earlier}</span>")
        annotated = any(SOURCE_RE.match(ln) for ln in lines)
        shown = None
        for ln in lines[skipped:]:
            esc = html.escape(ln)
            im = INSN_RE.match(ln)
            if not annotated and im and int(im[1]) in self.lines_of and self.lines_of[int(im[1])] != shown:
                shown = self.lines_of[int(im[1])]  # the log lost its C lines: add them from the compiler
                line, text = source_line(shown[1], shown[0], self.source)
                where = _("; {code}  [line {line}]", code=html.escape(text), line=line)
                out.append(f"<span style='color:#1f5fbf'>{where}</span>")
            if SOURCE_RE.match(ln):
                out.append(f"<span style='color:#1f5fbf'>{esc}</span>")
            elif ln.strip() == exp.message or (exp.category == "unknown" and ln in exp.tail):
                out.append(f"<b style='color:#c00'>{esc}</b>")
            elif exp.insn is not None and ln.startswith(f"{exp.insn}: ("):
                out.append(f"<span style='background:#fdd'>{esc}</span>")
            else:
                out.append(esc)
        return "<pre style='font-size:85%;max-height:24em;overflow:auto'>" + "\n".join(out) + "</pre>"

    def __str__(self) -> str:
        return f"{self.verdict}\n{self.explanation}"

    def _repr_html_(self) -> str:
        color = "#080" if self.accepted else "#c00"
        return (
            f"<p><b style='color:{color}'>{html.escape(self.verdict)}</b></p>"
            + self.explanation._repr_html_()
            + self.annotated_log()
        )


def _default_func(name: str) -> str:
    """Gallery files hold ``broken()`` or ``fixed()``; other programs are named after their file."""
    for suffix in (".broken", ".fixed"):
        if name.endswith(suffix):
            return suffix[1:]
    return name


def verify(
    source_or_path: str | Path,
    func: str | None = None,
    prog_type: str = "xdp",
    *,
    log_level: int = 1,
    defines: Mapping[str, Any] | None = None,
) -> Verdict:
    """Load ``func`` on the running kernel and return the verdict, the full log and its explanation."""
    bcc = import_bcc()
    flags = {1: bcc.DEBUG_BPF, 2: bcc.DEBUG_BPF_REGISTER_STATE}
    if log_level not in flags:
        raise LabError(
            _(
                "log_level must be 1 (the failing path) or 2 (every instruction with register states), not {log_level!r}",
                log_level=log_level,
            )
        )
    name, text, _path = resolve_source(source_or_path)
    func = func or _default_func(name)
    # DEBUG_SOURCE: BCC prints each function's instructions with their C lines while compiling
    with Program(source_or_path, defines, debug=flags[log_level] | bcc.DEBUG_SOURCE) as prog:
        lines_of = line_map(prog.warnings, func)
        try:
            prog.load(func, prog_type)
            accepted, log = True, prog.log
        except VerifierError as exc:
            accepted, log = False, exc.log
    stats = STATS_RE.search(log)
    insns, states, peak_states = (int(stats[g]) for g in (1, 3, 4)) if stats else (None, None, None)
    return Verdict(
        name,
        func,
        prog_type,
        accepted,
        log,
        text,
        explain(log, text, lines_of),
        insns,
        states,
        peak_states,
        lines_of=lines_of,
    )


# --- the gallery (bpf/verifier/NN_rule.broken.c + NN_rule.fixed.c) -------------------------------
@dataclass
class Pair:
    """One gallery entry: a program that breaks a rule and its fix, with what this kernel should do."""

    number: str
    name: str
    rule: str
    category: str
    expect: str
    prog_type: str
    broken: Path
    fixed: Path

    @property
    def title(self) -> str:
        """ "03 null check": the pair's number and name, for menus and tables."""
        return f"{self.number} {self.name.replace('_', ' ')}"

    @property
    def label(self) -> str:
        """What the broken version's header says the kernel does with it, in words."""
        said = {
            "rejected": N_("rejected"),
            "accepted": N_("accepted by every kernel"),
            "root-accepted": N_("rejected for unprivileged loaders; recent kernels accept it from root"),
        }.get(self.expect)
        return _(said) if said else self.expect

    def as_labelled(self, broken: Verdict) -> bool:
        """True when the kernel's verdict on the broken version matches the header's Expect line.

        ``root-accepted``: accepted from root on recent kernels; an older kernel may still refuse it,
        and then for the labelled rule.
        """
        refused_for_the_rule = not broken.accepted and broken.explanation.category == self.category
        if self.expect == "rejected":
            return refused_for_the_rule
        if self.expect == "root-accepted":
            return broken.accepted or refused_for_the_rule
        return broken.accepted


def _header(path: Path) -> dict[str, str]:
    """The ``// Key: value`` lines and the rule sentence of a gallery file's header comment."""
    head: list[str] = []
    for ln in path.read_text().splitlines():
        if not head and (ln.startswith("// SPDX-") or ln.strip() in ("", "//")):
            continue  # the licence header REUSE puts above the gallery's own comment
        if not ln.startswith("//"):
            break
        head.append(ln[2:].strip())
    meta = {m[1].lower(): m[2].strip() for h in head if (m := re.match(r"(Expect|Category|Type): (.*)", h))}
    text = " ".join(head)
    rule = re.search(r"Rule: (.*?\.)(?: |$)", text)
    meta["rule"] = rule[1] if rule else ""
    return meta


def gallery() -> list[Pair]:
    """Every pair in bpf/verifier/, in order."""
    pairs = []
    for broken in sorted(GALLERY_DIR.glob("*.broken.c")):
        stem = broken.name[: -len(".broken.c")]
        number, _sep, name = stem.partition("_")
        meta = _header(broken)
        pairs.append(
            Pair(
                number,
                name,
                meta["rule"],
                meta.get("category", "unknown"),
                meta.get("expect", "rejected"),
                meta.get("type", "xdp"),
                broken,
                GALLERY_DIR / f"{stem}.fixed.c",
            )
        )
    return pairs


def pair(key: str | int) -> Pair:
    """A gallery pair by number (5, "05") or name ("null_check")."""
    for p in gallery():
        if str(key).zfill(2) == p.number or key == p.name or key == f"{p.number}_{p.name}":
            return p
    known = ", ".join(p.number + "_" + p.name for p in gallery())
    raise LabError(_("no gallery pair {key!r}; pairs: {known}", key=key, known=known))


def unprivileged_loading() -> str:
    """One sentence on whether unprivileged users may load programs on this machine."""
    try:
        mode = Path("/proc/sys/kernel/unprivileged_bpf_disabled").read_text().strip()
    except OSError:
        return _("This kernel does not say whether unprivileged BPF is allowed.")
    if mode == "0":
        return _("Unprivileged users may load some programs here (unprivileged_bpf_disabled=0).")
    return _(
        "Unprivileged users cannot load any program here (unprivileged_bpf_disabled={mode}): "
        "the gallery shows what a privileged loader (root) gets.",
        mode=mode,
    )


# A two-instruction socket filter (r0 = 0; exit) loaded with the raw bpf() call, for a child that has
# dropped to user nobody with no capabilities: what an unprivileged user gets on this machine.
_UNPRIVILEGED_LOAD = r"""
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
insns = ctypes.create_string_buffer(struct.pack("<BBhi", 0xb7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0))
lic = ctypes.create_string_buffer(b"GPL")
attr = ctypes.create_string_buffer(struct.pack("<IIQQIIQ", 1, 2, ctypes.addressof(insns), ctypes.addressof(lic), 0, 0, 0), 128)
fd = libc.syscall(int(sys.argv[1]), 5, attr, 128)
print("loaded" if fd >= 0 else os.strerror(ctypes.get_errno()))
"""


def unprivileged_attempt() -> str:
    """Try to load a trivial socket filter as user nobody without capabilities; say what happened."""
    cmd = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "/usr/bin/python3",
        "-c",
        _UNPRIVILEGED_LOAD,
        str(bpfcall.number()),
    ]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _("Could not run a process as user nobody to try ({error}).", error=exc)
    said = (run.stdout.strip() or run.stderr.strip()).splitlines()
    answer = said[-1] if said else _("no answer")
    if answer == "loaded":
        return _(
            "As user nobody without capabilities, a 2-instruction socket filter loads: unprivileged rules apply here, "
            "to socket filters only (XDP always needs CAP_BPF and CAP_NET_ADMIN)."
        )
    return _(
        "As user nobody without capabilities, even a 2-instruction socket filter is refused: {answer}.", answer=answer
    )


def show(key: str | int, fixed: bool = False, log_level: int = 1) -> Verdict:
    """Check one side of a gallery pair (the broken one unless ``fixed``)."""
    p = pair(key)
    return verify(p.fixed if fixed else p.broken, prog_type=p.prog_type, log_level=log_level)


def picker(log_level: int = 1) -> Any:
    """A dropdown over the gallery: source, verdict, annotated log, explanation; a toggle shows the fix.

    Returns the widget (JupyterLab shows it as the cell's value); headless, it shows the first page
    and returns None, so that nothing waits on a browser.
    """
    import ipywidgets as w
    from IPython.display import HTML, display

    from .plots import headless

    pairs = gallery()
    choose = w.Dropdown(options=[(p.title, p.number) for p in pairs], description=_("program"))
    toggle = w.ToggleButton(value=False, description=_("show the fix"), icon="wrench")
    out = w.Output()

    def page() -> str:
        p = pair(choose.value)
        path = p.fixed if toggle.value else p.broken
        res = verify(path, prog_type=p.prog_type, log_level=2 if toggle.value else log_level)
        return (
            f"<h4>{html.escape(p.title)}: {html.escape(p.rule)}</h4>"
            + "<p>"
            + _("Labelled: broken version <b>{label}</b>; fixed version accepted.", label=html.escape(p.label))
            + "</p>"
            + f"<pre style='font-size:85%'>{html.escape(path.read_text())}</pre>"
            + res._repr_html_()
        )

    def render(*_changed: Any) -> None:
        try:
            text = page()
        except LabError as exc:  # a widget callback has no cell to show the error in
            text = f"<pre style='color:#c00'>{html.escape(str(exc))}</pre>"
        out.clear_output(wait=True)
        with out:
            display(HTML(text))

    if headless():  # tests: no widget round trips, just the first page
        display(HTML(page()))
        return None
    # JupyterLab takes the arrow keys from a focused dropdown (they move between cells); a number
    # box is a text field, whose keys JupyterLab leaves alone: click it, then ↑ ↓ step through.
    number = w.BoundedIntText(
        value=1,
        min=1,
        max=len(pairs),
        description=_("or no."),
        layout=w.Layout(width="9em"),
        style={"description_width": "initial"},
    )
    number.observe(lambda ch: setattr(choose, "index", ch["new"] - 1), names="value")
    choose.observe(lambda ch: setattr(number, "value", ch["new"] + 1), names="index")
    hint = w.HTML("<span style='color:#555'>" + _("keyboard: click the number, then ↑ ↓") + "</span>")
    choose.observe(render, names="value")
    toggle.observe(render, names="value")
    render()
    return w.VBox([w.HBox([choose, number, toggle, hint]), out])  # the cell's last expression shows it
