# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The system's tcpdump on a lab host's eth0: what an AF_PACKET tap sees while a block runs (lab 07).

An XDP program that drops a packet does so before any tap; nftables drops it after. ``tap()`` runs
the real tcpdump in the host's namespace for the block and reads its count of packets received.
"""

from __future__ import annotations

import re
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import LabError
from .messages import _
from .netlab import LabNet


class Tap:
    """tcpdump on a lab host's eth0 (an AF_PACKET tap); ``count`` is set when the block ends."""

    def __init__(self) -> None:
        self.count: int | None = None
        self.output = ""


@contextmanager
def tap(net: LabNet, host: str, bpf_filter: str = "", timeout: float = 10) -> Iterator[Tap]:
    """Run tcpdump on ``host`` for the block and count the packets it saw (bounded waits)."""
    t = Tap()
    p = net.popen(
        host,
        "tcpdump",
        "-i",
        net[host].iface,
        "-n",
        "-q",
        "-B",
        "8192",
        "-w",
        "/dev/null",
        *bpf_filter.split(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = p.stderr
    assert stderr is not None  # stderr=PIPE
    try:
        deadline = time.monotonic() + timeout  # wait until it listens, or the first packets are missed
        line = ""
        while "listening on" not in line:
            left = deadline - time.monotonic()
            if left <= 0 or p.poll() is not None or not select.select([stderr], [], [], left)[0]:
                raise LabError(
                    _("tcpdump did not start on {host}: {output}", host=host, output=line.strip() or _("no output"))
                )
            line = stderr.readline()
        yield t
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            rest = p.communicate(timeout=timeout)[1] or ""
        except subprocess.TimeoutExpired:
            p.kill()
            rest = p.communicate()[1] or ""
        t.output = rest
        m = re.search(r"(\d+) packets? received by filter", rest)
        t.count = int(m.group(1)) if m else None
