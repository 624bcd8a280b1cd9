"""Every sender is bounded, and only lab addresses go on the wire."""
from __future__ import annotations

import time

import pytest

from ebpflab import LabError, traffic


def test_duration_bounds_a_sender(net):
    start = time.monotonic()
    sent = traffic.send(net, "client", traffic.udp(net, "client", "server"), duration=0.5, rate=1000)
    assert time.monotonic() - start < 1.5
    assert 350 <= sent.packets <= 520


def test_rate_is_respected_roughly(net):
    sent = traffic.send(net, "client", traffic.udp(net, "client", "server"), count=300, rate=1000)
    assert sent.packets == 300
    assert 0.25 <= sent.seconds <= 0.6


def test_frames_outside_the_lab_range_are_refused(net):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    with pytest.raises(LabError, match="outside the lab range"):
        traffic.send(net, "client", Ether() / IP(src="198.18.0.1", dst="8.8.8.8") / UDP(), count=1)


def test_background_flow_runs_while_the_caller_works(net):
    with traffic.background(net, "client", traffic.udp(net, "client", "server"), count=2000, rate=4000) as flow:
        assert flow.running
    assert flow.wait().packets == 2000
