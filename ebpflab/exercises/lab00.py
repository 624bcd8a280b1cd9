# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The check of lab 00's exercise: a lab network of three hosts, and what the attacker saw in it (lab 00)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from typing import Any

from .. import check, netlab
from ..errors import CheckFailed
from ..messages import _
from ..netlab import LabNet

LAB = "00_setup"
HOSTS = {"client", "server", "attacker"}


def icmp_counters(net: LabNet, host: str) -> dict[str, int]:
    """The ICMP counters of ``host``'s own kernel (its namespace's /proc/net/snmp), e.g. InEchoReps."""
    lines = [line.split() for line in net.run(host, "cat", "/proc/net/snmp").stdout.splitlines()]
    names, values = (row[1:] for row in lines if row and row[0] == "Icmp:")
    return dict(zip(names, map(int, values)))


@contextlib.contextmanager
def _watching_networks() -> Iterator[list[dict[str, Any]]]:
    """For the block, note each LabNet closed: its hosts and, per host, its kernel's ICMP counters."""
    seen: list[dict[str, Any]] = []
    close = LabNet.close

    def noting(self: LabNet) -> None:
        if self._up:  # read the counters before the namespaces go
            seen.append({h: icmp_counters(self, h) for h in self.hosts})
        close(self)

    LabNet.close = noting  # type: ignore[method-assign]  # restored below
    try:
        yield seen
    finally:
        LabNet.close = close  # type: ignore[method-assign]


@check.exercise(LAB, "three-hosts")
def three_hosts(answer: Callable[[int], Any]) -> None:
    """Check ``attacker_replies(count)`` against the echo replies the attacker's own kernel counted."""
    if not callable(answer):
        raise CheckFailed(_("attacker_replies should be a function of count that builds the network and pings"))
    count = random.randint(3, 6)  # never the 2 of the exercise's text: the number comes from the network
    before = set(netlab._live)
    with _watching_networks() as seen:
        try:
            got = answer(count)
        finally:
            for net in set(netlab._live) - before:  # a network left open is read, then closed, all the same
                net.close()
    if not seen:
        raise CheckFailed(_("attacker_replies() built no lab network: use `with LabNet([...]) as net:` inside it"))
    three = [counters for counters in seen if set(counters) == HOSTS]
    if not three:
        raise CheckFailed(
            _(
                "attacker_replies() built networks of {networks}; it should build one of exactly the hosts {hosts}",
                networks=[sorted(c) for c in seen],
                hosts=sorted(HOSTS),
            )
        )
    counters = three[-1]
    received = counters["attacker"].get("InEchoReps", 0)
    answered = counters["server"].get("OutEchoReps", 0)
    if received != count or answered < count:  # the replies the attacker got are the server's
        raise CheckFailed(
            _(
                "asked for {count} pings, the server answered {answered} echo requests and the attacker's kernel "
                "received {received} echo replies: ping the server {count} times from the attacker",
                count=count,
                answered=answered,
                received=received,
            )
        )
    check.that(
        isinstance(got, int) and not isinstance(got, bool) and got == received,
        _(
            "attacker_replies({count}) returned {got}, the echo replies the attacker's kernel counted",
            count=count,
            got=got,
        ),
        _(
            "attacker_replies({count}) returned {got!r}, but the attacker's kernel counted {received} echo replies: "
            "return the number of replies ping reported",
            count=count,
            got=got,
            received=received,
        ),
    )
