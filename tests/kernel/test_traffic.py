# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Every sender is bounded, and only lab addresses go on the wire."""

from __future__ import annotations

import time

import pytest

from ebpflab import LabError, traffic


# Bounds come from what was asked (duration, rate, count), never from how fast this machine is: a busy
# machine sends fewer packets in the same time, never more, and still stops at the deadline.
def test_duration_bounds_a_sender(net):
    start = time.monotonic()
    sent = traffic.send(net, "client", traffic.udp(net, "client", "server"), duration=0.5, rate=1000)
    assert sent.seconds < 0.5 + 0.5, "the sender must stop at its deadline (one late send allowed)"
    assert time.monotonic() - start < 10
    assert 0 < sent.packets <= 0.5 * 1000 + 1  # packet i leaves no earlier than i/rate seconds in


def test_rate_is_never_exceeded(net):
    sent = traffic.send(net, "client", traffic.udp(net, "client", "server"), count=300, rate=1000)
    assert sent.packets == 300
    assert sent.seconds >= 299 / 1000  # the 300th packet leaves 0.299 s after the first, or later


def test_frames_outside_the_lab_range_are_refused(net):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    with pytest.raises(LabError, match="outside the lab range"):
        traffic.send(net, "client", Ether() / IP(src="198.18.0.1", dst="8.8.8.8") / UDP(), count=1)


def test_background_flow_runs_while_the_caller_works(net):
    with traffic.background(net, "client", traffic.udp(net, "client", "server"), count=2000, rate=4000) as flow:
        assert flow.running
    assert flow.wait().packets == 2000


def test_ctrl_c_in_a_background_flow_returns_at_once(net):
    import os
    import signal
    import threading

    threading.Timer(1, os.kill, (os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with traffic.background(net, "client", traffic.udp(net, "client", "server"), duration=20, rate=1000) as flow:
            time.sleep(30)
    assert time.monotonic() - start < 4, "Ctrl-C waited for the traffic to end"
    assert not flow.running


def test_nan_cannot_slip_past_the_time_bound(net):
    for bad in (float("nan"), -1.0):
        with pytest.raises(LabError, match="duration"):
            traffic.send(net, "client", traffic.udp(net, "client", "server"), duration=bad)
    start = time.monotonic()
    traffic.send(net, "client", traffic.udp(net, "client", "server"), duration=float("inf"), count=10)
    assert time.monotonic() - start < 5
