# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 09: monitor → detect → act on real packets: the attacker is blocked fast, benign senders never are."""

from __future__ import annotations

import pytest

from ebpflab import aiops, scenario
from ebpflab.errors import LabError
from ebpflab.firewall import Firewall
from ebpflab.monitor import monitor_program

BLOCK_WITHIN = 2.0  # seconds from the attack's start until it is blocked (the lab states the same bound)


@pytest.fixture(scope="module")
def lab():
    from ebpflab.netlab import LabNet

    with LabNet() as net, monitor_program() as prog, prog.xdp(net["server"]):
        yield net, prog


def flood(seed: int) -> list[scenario.Sender]:
    """SYN flood from one address on even seeds, UDP flood from three addresses on odd ones."""
    if seed % 2:
        return scenario.attacker(kind="udp", rate=4500, sources=("198.18.66.1", "198.18.66.2", "198.18.66.3"))
    return scenario.attacker(kind="syn", rate=3000)


@pytest.mark.parametrize("seed", range(5))
def test_attacker_blocked_fast_and_no_benign_sender_ever(lab, seed):
    net, prog = lab
    res = scenario.Scenario(scenario.benign_senders() + flood(seed), seed=seed).play(net, prog, log=None)
    assert res.false_positives() == set(), f"benign senders blocked: {[str(a) for a in res.actions]}"
    ttb = res.time_to_block()
    assert ttb is not None and ttb <= BLOCK_WITHIN, f"time to block {ttb}"
    attack_passed, benign_passed = res.after_block()
    assert all(v == 0 for v in attack_passed.values()), attack_passed  # dropped in XDP, all of it
    assert all(v > 500 for v in res.dropped_after_block().values())  # ... while it keeps coming
    assert all(v > 10 for v in benign_passed.values()), benign_passed  # benign traffic flows
    assert all(a.evidence and a.evidence.z > 4 and a.evidence.rate > a.evidence.threshold for a in res.actions)


def test_cooldown_lifts_the_block_and_a_continuing_attack_is_blocked_again(lab):
    net, prog = lab
    res = scenario.Scenario(scenario.benign_senders() + scenario.attacker(start=1.6), seed=7, duration=4.5).play(
        net, prog, policy="cooldown", cooldown=1.0, log=None
    )
    kinds = [(a.action, a.source) for a in res.actions]
    assert kinds[:3] == [("block", "198.18.66.6"), ("unblock", "198.18.66.6"), ("block", "198.18.66.6")], kinds
    assert res.false_positives() == set()


def test_the_plot_tells_the_story_headless(lab, tmp_path):
    net, prog = lab
    res = scenario.Scenario(scenario.benign_senders() + scenario.attacker(), seed=3, duration=3.5).play(
        net, prog, log=None
    )
    ax = res.plot()
    from matplotlib.text import Text

    labels = [t.get_text() for t in ax.figure.findobj(Text)]  # numbered event lines are named in the legend
    assert any("attack starts" in t for t in labels) and any("block 198.18.66.6" in t for t in labels), labels
    ax.figure.savefig(tmp_path / "story.png")
    assert (tmp_path / "story.png").stat().st_size > 10_000


def test_actor_policy_errors_are_one_sentence(lab):
    _, prog = lab
    with pytest.raises(LabError, match="policy"):
        aiops.Actor(Firewall(prog), policy="forever")
