# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 05's exercises: a bounded loop, a refusal on purpose, a repair (lab 05)."""

from __future__ import annotations

import difflib
import random
import re
import time
from typing import Any

from .. import BPF_DIR, check, maps, traffic, verifier
from ..errors import CheckFailed
from ..loader import Program
from ..messages import _
from ..netlab import LabNet

LAB = "05_verifier"
GALLERY_LIKENESS = 0.9  # a renamed copy scores 1.0; the reference answers score below 0.75
_KEYWORDS = (
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register return short signed sizeof static struct switch typedef union unsigned void volatile while"
)
C_KEYWORDS = frozenset(_KEYWORDS.split())  # kept as they are: every other name is renamed


def tokens(text: str) -> list[str]:
    """C tokens without comments, whitespace or names: each identifier becomes its order of first appearance."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    names: dict[str, str] = {}
    out = []
    for tok in re.findall(r"[A-Za-z_]\w*|\d\w*|\S", text):
        if (tok[0].isalpha() or tok[0] == "_") and tok not in C_KEYWORDS:
            tok = names.setdefault(tok, f"id{len(names)}")
        out.append(tok)
    return out


def likeness(a: str, b: str) -> float:
    """How alike two C texts are once comments, layout and names are set aside (0 to 1)."""
    return difflib.SequenceMatcher(None, tokens(a), tokens(b), autojunk=False).ratio()


def refuse_gallery_copy(text: str) -> None:
    """Fail when ``text`` is one of bpf/verifier/'s programs with its names changed."""
    for path in sorted((BPF_DIR / "verifier").glob("*.c")):
        if likeness(text, path.read_text()) > GALLERY_LIKENESS:
            raise CheckFailed(
                _("your program is {name} from the gallery with other names: write your own program", name=path.name)
            )


def _c_text(answer: Any, name: str) -> str:
    if not isinstance(answer, str) or "{" not in answer:
        raise CheckFailed(
            _("{name} should be the C program, as a string, not {type}", name=name, type=type(answer).__name__)
        )
    return answer


def _poll(read: Any, done: Any, seconds: float = 5.0) -> Any:
    """Read until ``done(value)`` or the deadline: the last frames may still cross the veth on a busy machine."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.02)
        value = read()
    return value


@check.exercise(LAB, "bounded-loop")
def bounded_loop(answer: str) -> None:
    """Check SUM_PROGRAM: with a MAX_BYTES chosen here, byte_sum adds up the first MAX_BYTES bytes of each frame."""
    text = _c_text(answer, "SUM_PROGRAM")
    refuse_gallery_copy(text)
    rng = random.Random()
    limit = rng.choice([n for n in range(24, 97) if n != 64])  # not the 64 of the gallery and the lab's past
    defines = {"MAX_BYTES": limit}
    attempt = verifier.verify(text, "sum_bytes", defines=defines)
    if not attempt.accepted:
        raise CheckFailed(
            _(
                "the verifier refused sum_bytes() with MAX_BYTES={limit}: {rule}",
                limit=limit,
                rule=attempt.explanation.rule,
            )
        )
    check.ok(
        _(
            "the verifier accepts your loop with MAX_BYTES={limit} ({insns} instructions walked)",
            limit=limit,
            insns=attempt.insns,
        )
    )
    with LabNet() as net, Program(text, defines) as prog, prog.xdp(net["server"], func="sum_bytes"):
        sizes = [0, 120] + [rng.randint(0, 120) for _ in range(rng.randint(6, 12))]  # 42 to 162 bytes
        frames = [bytes(traffic.udp(net, "client", "server", payload=rng.randbytes(n))) for n in sizes]
        traffic.send(net, "client", frames)
        want = sum(sum(f[:limit]) for f in frames)
        got = _poll(lambda: prog["byte_sum"][0].value, lambda v: v == want)
    if got != want:
        counted = [sum(f[:n]) for f in frames for n in (limit - 1, limit + 1, len(f))]
        fields = {"count": len(frames), "shortest": min(map(len, frames)), "longest": max(map(len, frames))}
        if got == sum(counted[0::3]) or got == sum(counted[1::3]) or got == sum(counted[2::3]):
            raise CheckFailed(
                _(
                    "after {count} frames of {shortest} to {longest} bytes with MAX_BYTES={limit}, byte_sum is "
                    "{got}, not the sum of their first {limit} bytes (one byte too few or too many per frame, or "
                    "all of each frame: look at the loop's bound)",
                    limit=limit,
                    got=got,
                    **fields,
                )
            )
        raise CheckFailed(
            _(
                "after {count} frames of {shortest} to {longest} bytes with MAX_BYTES={limit}, byte_sum is {got}, "
                "not the sum of their first {limit} bytes",
                limit=limit,
                got=got,
                **fields,
            )
        )
    check.ok(
        _(
            "byte_sum is the sum of the first {limit} bytes of each of {count} frames of random sizes",
            limit=limit,
            count=len(frames),
        )
    )


@check.exercise(LAB, "break-it")
def break_it(answer: str) -> None:
    """Check BREAK_IT: refused for an unbounded index into a map value, and not a gallery program renamed."""
    text = _c_text(answer, "BREAK_IT")
    refuse_gallery_copy(text)
    yours = verifier.verify(text, "broken_on_purpose")
    check.that(
        not yours.accepted and yours.explanation.category == "map-value-bounds",
        _("refused for an unbounded index into a map value, as intended"),
        _("your program was accepted, not for an unbounded map-value index")
        if yours.accepted
        else _(
            "your program was refused for {category}, not for an unbounded map-value index",
            category=yours.explanation.category,
        ),
    )


def _arp(net: LabNet, ip: str) -> bytes:
    """An ARP request from the client, as if from ``ip``: an Ethernet frame that carries no IPv4 header."""
    from scapy.layers.l2 import ARP, Ether

    client, server = net["client"], net["server"]
    return bytes(Ether(src=client.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(hwsrc=client.mac, psrc=ip, pdst=server.ip))


@check.exercise(LAB, "repair")
def repair(answer: str) -> None:
    """Check REPAIR: it loads, and per_source counts exactly the IPv4 packets each source sent (ARP ignored)."""
    text = _c_text(answer, "REPAIR")
    rng = random.Random()
    sources = [f"198.18.5.{n}" for n in rng.sample(range(2, 250), rng.randint(3, 5))]
    sent = {src: rng.randint(2, 12) for src in sources}
    attempt = verifier.verify(text, "count_sources")
    if not attempt.accepted:
        raise CheckFailed(_("the verifier still refuses count_sources(): {rule}", rule=attempt.explanation.rule))
    check.ok(_("the verifier accepts count_sources()"))
    with LabNet() as net, Program(text) as prog, prog.xdp(net["server"], func="count_sources"):
        frames = [bytes(traffic.udp(net, "client", "server", src_ip=src)) for src, n in sent.items() for _ in range(n)]
        rng.shuffle(frames)
        traffic.send(net, "client", [_arp(net, rng.choice(sources)) for _ in range(3)])
        traffic.send(net, "client", frames)
        table = prog["per_source"]

        def read() -> dict[str, int]:
            return {maps.ipv4_of(k): int(v.value) for k, v in table.items()}

        got = _poll(read, lambda m: sum(m.get(s, 0) for s in sources) >= len(frames))
    if not got:
        raise CheckFailed(
            _("per_source is empty after {count} IPv4 packets: does the program count them?", count=len(frames))
        )
    check.that(
        got == sent,
        _(
            "per_source counts the packets of each of {count} sources exactly, and nothing else",
            count=len(sources),
        ),
        _(
            "per_source holds {got} after the client sent {sent} (and 3 ARP frames, which carry no IPv4 header)",
            got=got,
            sent=sent,
        ),
    )
