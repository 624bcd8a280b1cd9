# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""An XDP firewall driven from Python: rules are map entries, added and removed while traffic runs (lab 07).

``bpf/xdp_firewall.c`` keeps two rule tables (source prefixes in an LPM trie, destination
port + protocol in a hash) and one hit counter per rule. ``Firewall`` edits them::

    with LabNet() as net, Program("xdp_firewall") as prog, prog.xdp(net["server"]):
        fw = Firewall(prog)
        rule = fw.block_source("198.18.0.1/32")
        fw.hits()            # {'src 198.18.0.1/32': 1234}
        fw.remove(rule)

Lab 07 compares it with the kernel's own firewall (``ebpflab.nftables``) and counts what an AF_PACKET
tap sees (``ebpflab.tap``).
"""

from __future__ import annotations

import errno
import ipaddress
from dataclasses import dataclass
from typing import Any

from . import maps
from .errors import LabError
from .loader import Program
from .messages import _
from .system import ljust

IP_PROTOCOLS = {"tcp": 6, "udp": 17}
DEFAULT_MAX_RULES = 64  # MAX_RULES in bpf/xdp_firewall.c when no define is given


@dataclass(frozen=True)
class Rule:
    """One firewall rule: its id (the index of its hit counter), its kind and what it matches."""

    id: int
    kind: str  # "src" or "port"
    match: str  # "198.18.0.0/24" or "udp/9999"

    def __str__(self) -> str:
        return f"{self.kind} {self.match}"


def parse_prefix(text: str) -> ipaddress.IPv4Network:
    """An IPv4 address or prefix from text, or a LabError saying what is wrong with it."""
    text = str(text).strip()
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise LabError(
            _("{text!r} is not an IPv4 address or prefix (examples: 198.18.0.7, 198.18.0.0/24)", text=text)
        ) from None
    if net.version != 4:
        raise LabError(
            _("{text!r} is an IPv6 prefix; this firewall's source table holds IPv4 prefixes only", text=text)
        )
    if "/" in text and net.network_address != ipaddress.ip_interface(text).ip:
        raise LabError(_("{text!r} has bits set after the prefix length; did you mean {net}?", text=text, net=net))
    return net


class Firewall:
    """The rule tables of a loaded ``xdp_firewall`` (or ``xdp_monitor``) program, from Python (lab 07)."""

    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.max_rules = int(prog.defines.get("MAX_RULES", DEFAULT_MAX_RULES))
        self._rules: dict[int, Rule] = {}
        # Start from empty tables: a program object may be reused across cells.
        for table in ("src_rules", "port_rules"):
            prog[table].clear()
        hits = prog["hits"]
        for i in range(len(hits)):
            hits[hits.Key(i)] = hits.Leaf(0)

    # --- rules ---------------------------------------------------------------------------
    @property
    def rules(self) -> list[Rule]:
        """Rules in force, in id order."""
        return [self._rules[i] for i in sorted(self._rules)]

    def block_source(self, prefix: str) -> Rule:
        """Drop every IPv4 packet whose source lies in ``prefix`` (an address is a /32)."""
        net = parse_prefix(prefix)
        match = str(net)
        self._refuse_duplicate("src", match)
        rule = Rule(self._free_id("src"), "src", match)
        self._insert(self.prog["src_rules"], self._src_key(net), rule)
        return rule

    def block_port(self, port: int, proto: str = "udp") -> Rule:
        """Drop every TCP or UDP packet to destination ``port``."""
        if proto not in IP_PROTOCOLS:
            raise LabError(
                _("protocol {proto!r} is not one of {protocols}", proto=proto, protocols=", ".join(IP_PROTOCOLS))
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise LabError(_("port {port!r} is not a port number (1 to 65535)", port=port))
        match = f"{proto}/{port}"
        self._refuse_duplicate("port", match)
        table = self.prog["port_rules"]
        key = table.Key(port, IP_PROTOCOLS[proto], 0)
        rule = Rule(self._free_id("port"), "port", match)
        self._insert(table, key, rule)
        return rule

    def remove(self, rule: Rule | str) -> None:
        """Delete a rule (a Rule or its text, e.g. ``"src 198.18.0.0/24"``); its packets pass again."""
        found = next((r for r in self._rules.values() if r == rule or str(r) == str(rule)), None)
        if found is None:
            if not self.rules:
                raise LabError(_("no rule {rule!r}; rules in force: none", rule=str(rule)))
            raise LabError(
                _("no rule {rule!r}; rules in force: {rules}", rule=str(rule), rules=", ".join(map(str, self.rules)))
            )
        if found.kind == "src":
            del self.prog["src_rules"][self._src_key(ipaddress.IPv4Network(found.match))]
        else:
            proto, port = found.match.split("/")
            table = self.prog["port_rules"]
            del table[table.Key(int(port), IP_PROTOCOLS[proto], 0)]
        del self._rules[found.id]

    def clear(self) -> None:
        """Remove every rule."""
        for r in self.rules:
            self.remove(r)

    # --- counters ------------------------------------------------------------------------
    def passed(self) -> int:
        """Packets that matched no rule and passed."""
        return int(self.prog["hits"][0].value)

    def hits(self) -> dict[str, int]:
        """Packets dropped so far by each rule in force, keyed by the rule's text."""
        hits = self.prog["hits"]
        return {str(r): int(hits[r.id].value) for r in self.rules}

    def counters(self) -> dict[str, int]:
        """``passed`` plus every rule's hits: what a live plot of the firewall shows."""
        return {"passed": self.passed(), **self.hits()}

    def describe(self) -> str:
        """The rules in force with their hit counts, one per line."""
        rule, dropped, passed = _("rule"), _("dropped"), _("(no rule: passed)")
        rows = [f"{'id':>3}  {ljust(rule, 24)} {dropped}"]
        rows += [f"{r.id:>3}  {r!s:<24} {n}" for r, n in zip(self.rules, self.hits().values())]
        return "\n".join([*rows, f"     {ljust(passed, 24)} {self.passed()}"])

    # --- plumbing ------------------------------------------------------------------------
    def _src_key(self, net: ipaddress.IPv4Network) -> Any:
        """The LPM-trie key of a prefix: its length, then the address as the kernel stores it."""
        return self.prog["src_rules"].Key(net.prefixlen, maps.ipv4_key(str(net.network_address)))

    def _refuse_duplicate(self, kind: str, match: str) -> None:
        for r in self._rules.values():
            if r.kind == kind and r.match == match:
                raise LabError(
                    _("rule '{rule}' already exists (id {id}); remove it first or leave it as it is", rule=r, id=r.id)
                )

    def _free_id(self, kind: str) -> int:
        # Source rules use ids 1..MAX_RULES, port rules MAX_RULES+1..2*MAX_RULES (hits[] is that big).
        base = 0 if kind == "src" else self.max_rules
        for i in range(base + 1, base + self.max_rules + 1):
            if i not in self._rules:
                return i
        raise LabError(
            _(
                "the {kind} rule table is full ({max} rules); remove a rule or rebuild "
                "the program with a larger MAX_RULES define",
                kind=kind,
                max=self.max_rules,
            )
        )

    def _insert(self, table: Any, key: Any, rule: Rule) -> None:
        hits = self.prog["hits"]
        hits[hits.Key(rule.id)] = hits.Leaf(0)  # a fresh rule starts counting from zero
        try:
            table[key] = table.Leaf(rule.id)
        except Exception as exc:  # the kernel refused: say why in one sentence
            if (
                getattr(exc, "errno", None) in (errno.E2BIG, errno.ENOSPC, errno.ENOMEM)
                or "full" in str(exc).lower()
                or "Argument list too long" in str(exc)
            ):
                raise LabError(
                    _("the kernel's {kind} rule table is full; remove a rule first", kind=rule.kind)
                ) from None
            raise LabError(_("could not add rule '{rule}': {error}", rule=rule, error=exc)) from None
        self._rules[rule.id] = rule
