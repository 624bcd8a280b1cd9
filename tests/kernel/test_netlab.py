# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The lab network: built and destroyed for real, safe by construction."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from pathlib import Path

import pytest

from ebpflab import LabError, traffic
from ebpflab.netlab import LAB_RANGE, LabNet


def root_namespace_state() -> dict[str, object]:
    """Links, addresses and routes of the root namespace, as iproute2 reports them."""

    def j(*args: str) -> object:
        return json.loads(
            subprocess.run(["ip", "-j", *args], capture_output=True, text=True, check=True).stdout or "[]"
        )

    return {
        "link": j("link", "show"),
        "addr": j("addr", "show"),
        "route4": j("-4", "route", "show", "table", "all"),
        "route6": j("-6", "route", "show", "table", "all"),
        "rule": j("rule", "show"),
    }


def namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_two_hosts_ping_each_other_over_lab_addresses(net):
    for host in net.hosts.values():
        assert ipaddress.ip_address(host.ip) in LAB_RANGE
    assert traffic.ping(net, "client", "server", count=3) == 3


def test_no_default_route_and_no_ipv6_anywhere(net):
    for ns in net.namespaces:
        routes = subprocess.run(
            ["ip", "-n", ns, "-j", "route", "show", "table", "all"], capture_output=True, text=True
        ).stdout
        assert all(r.get("dst") != "default" for r in json.loads(routes)), ns
        v6 = subprocess.run(["ip", "-n", ns, "-6", "addr"], capture_output=True, text=True).stdout
        assert v6.strip() == "", f"{ns} has IPv6 addresses: {v6}"


def test_root_namespace_is_left_exactly_as_it_was():
    before = root_namespace_state()
    with LabNet(("a", "b", "c")) as net:
        assert traffic.ping(net, "a", "c", count=1) == 1
        during = root_namespace_state()
    after = root_namespace_state()
    assert during == before
    assert after == before


def test_three_hosts_share_a_bridge():
    with LabNet(("a", "b", "c")) as net:
        assert net.switch is not None
        assert traffic.ping(net, "a", "b", count=1) == 1
        assert traffic.ping(net, "b", "c", count=1) == 1


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_namespaces_go_away_on_exception_and_ctrl_c(exc):
    with pytest.raises(exc):
        with LabNet() as net:
            made = set(net.namespaces)
            assert made <= namespaces()
            raise exc()
    assert not made & namespaces()


def test_bad_input_is_one_clear_error():
    with pytest.raises(LabError, match="outside the lab range"):
        LabNet(subnet="10.0.0.0/24")
    with pytest.raises(LabError, match="two or more hosts"):
        LabNet(("only",))
    with LabNet() as net:
        with pytest.raises(LabError, match=r"no host named 'servre'.*client, server"):
            net["servre"]
        with pytest.raises(LabError, match="outside the lab range"):
            traffic.udp(net, "client", "server", src_ip="192.0.2.1")


def test_commands_and_callables_run_inside_a_host(net):
    out = net.run("server", "ip", "-br", "addr", "show", "eth0").stdout
    assert net["server"].ip in out
    assert net.call("client", lambda: Path("/proc/net/dev").read_text().count("eth0")) == 1
    with pytest.raises(LabError, match="failed"):
        net.run("client", "ip", "link", "show", "nosuchdev")


def test_the_leftover_check_catches_a_namespace_its_owner_left():
    """The browser tests' "nothing left running" check finds a real namespace named as LabNet names it."""
    from leftover import namespaces_of

    from ebpflab.system import start_time

    owner = subprocess.Popen(["sleep", "60"])  # stands for a notebook's kernel
    name = f"ebl-{owner.pid}_{start_time(owner.pid)}-1-client"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        with LabNet() as other:  # someone else's lab, running beside it, is not this owner's
            assert namespaces_of([owner.pid]) == [name]
            assert namespaces_of([str(owner.pid)]) == [name]  # as pgrep prints it
            assert not set(other.namespaces) & set(namespaces_of([owner.pid]))
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)
        owner.kill()
        owner.wait()
    assert namespaces_of([owner.pid]) == []
