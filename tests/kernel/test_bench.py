# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""BPF_PROG_TEST_RUN through ebpflab.timing: real programs run by the kernel on a crafted packet (not timed)."""

from __future__ import annotations

import pytest

from ebpflab import LabError, softirq, timing
from ebpflab.loader import Program

# Ethernet / IPv4 198.18.0.1 -> 198.18.0.2 / UDP 40000 -> 7777 / 18 bytes of payload.
PACKET = (
    bytes.fromhex("02eb0000000202eb000000010800")
    + bytes.fromhex("4500002e000100004011f26fc6120001c6120002")
    + bytes.fromhex("9c401e61001a0000")
    + b"x" * 18
)


@pytest.mark.parametrize("name, action", [("xdp_drop", timing.XDP_DROP), ("xdp_pass", timing.XDP_PASS)])
def test_retval_is_the_programs_verdict(name, action):
    with Program(name) as prog:
        r = timing.measure(prog.load(), PACKET, repeat=1000)
        assert r.retval == action
        assert r.ns > 0
        assert timing.ns_per_run(prog.fd(), PACKET, repeat=1000) > 0  # a bare fd works too
        assert timing.ns_per_packet(prog.load(), PACKET, repeat=1000, rounds=3) > 0


def test_every_run_really_happens_in_the_kernel():
    with Program("xdp_count") as prog:
        r = timing.measure(prog, PACKET, repeat=500)
        assert r.action == "XDP_PASS"
        assert r.data_out == PACKET
        assert prog["counts"][0].value == 500
        assert prog["counts"][1].value == 500 * len(PACKET)


@pytest.mark.parametrize("engine", ["bcc", "core"])
def test_measure_runs_a_program_of_either_engine(engine):
    from ebpflab.libbpf import CoreProgram

    make = {
        "bcc": lambda: Program("xdp_count", {"XDP_ACTION": "XDP_DROP"}),
        "core": lambda: CoreProgram("xdp_count", knobs={"xdp_action": timing.XDP_DROP}),
    }[engine]
    with make() as prog:
        runs = [
            timing.measure(prog, PACKET, repeat=200),
            timing.measure(prog.load(), PACKET, repeat=200),
            timing.measure(prog.fd(), PACKET, repeat=200),
        ]
        counted = [int(getattr(v, "value", v)) for v in (prog["counts"][0], prog["counts"][1])]
    assert [r.action for r in runs] == ["XDP_DROP"] * 3
    assert counted == [600, 600 * len(PACKET)]


def test_bad_input_is_one_sentence():
    with Program("xdp_pass") as prog:
        with pytest.raises(LabError, match="Ethernet header"):
            timing.ns_per_run(prog.load(), b"\0" * 4)
    with pytest.raises(LabError, match="BPF_PROG_TEST_RUN failed"):
        timing.ns_per_run(10_000, PACKET, repeat=1)
    with pytest.raises(LabError, match="loaded program"):
        timing.ns_per_run("xdp_pass", PACKET)


def test_softirq_meter_sees_receive_work_and_rps_steers_it(net):
    import sys

    from ebpflab import REPO, traffic

    sys.path.insert(0, str(REPO))  # bench/ is run from the repo root (`python -m bench`), not installed
    from bench.drop import softnet_drops

    softirq.set_rps(net["server"].netns, "eth0", [1])
    mask = net.run("server", "cat", "/sys/class/net/eth0/queues/rx-0/rps_cpus").stdout.strip()
    assert int(mask, 16) == 2
    with softirq.SoftirqMeter() as meter:
        traffic.send(net, "client", traffic.udp(net, "client", "server"), count=2000)
    assert len(meter.ns) == len(softnet_drops())
    assert meter.ns[1] > 0  # CPU 1 received the packets


def test_the_flood_is_bounded_and_stays_in_the_lab(net):
    import sys

    from ebpflab import REPO, traffic

    sys.path.insert(0, str(REPO))  # bench/ is run from the repo root (`python -m bench`), not installed
    from bench.flood import flood

    frame = bytes(traffic.udp(net, "client", "server"))
    out = net.call("client", flood, "eth0", frame, 0.2, None, 5000)
    assert out["packets"] == 5000
    outside = frame[:26] + bytes([10, 0, 0, 1]) + frame[30:]  # source 10.0.0.1
    with pytest.raises(LabError, match="outside the lab range"):
        flood("eth0", outside, 0.1)
