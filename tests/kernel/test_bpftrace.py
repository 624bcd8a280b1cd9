# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 11's bpftrace runner: one-liners that start, trace and stop on their own, bounded in time."""

from __future__ import annotations

import pytest

from ebpflab import LabError, bpftrace, hooks

SAMPLE = """Attaching 2 probes...

@bytes:
(..., 0)               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@             |
[0]                    0 |                                                    |
[64, 128)              4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@other:
[1]                    9 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
"""


def test_histogram_reads_the_buckets_of_one_map():
    assert bpftrace.histogram(SAMPLE, "bytes") == {"(..., 0)": 3, "[0]": 0, "[64, 128)": 4}
    assert bpftrace.histogram(SAMPLE, "other") == {"[1]": 9}
    assert bpftrace.histogram(SAMPLE, "missing") == {}


@pytest.mark.parametrize("attempt", range(3))  # a stop that depended on a signal's timing used to hang
def test_a_one_liner_sees_exactly_the_labs_connections_and_stops(net, attempt):
    port = 45000 + attempt
    out = bpftrace.run(
        f"tracepoint:sock:inet_sock_set_state /args->sport == {port} || args->dport == {port}/ "
        "{ @entered[args->newstate] = count(); }",
        during=lambda: hooks.tcp_connections(net, "client", "server", port, count=2),
        timeout=60,
    )
    assert "@entered[1]: 4" in out  # both ends of both connections entered ESTABLISHED


def test_a_command_is_traced_by_its_pid(net):
    out = bpftrace.run(
        "tracepoint:syscalls:sys_exit_recvmsg /pid == cpid/ { @bytes = hist(args->ret); }",
        command=["ip", "netns", "exec", net["client"].netns, "ping", "-c", "2", "-i", "0.2", net["server"].ip],
    )
    assert bpftrace.histogram(out, "bytes").get("[64, 128)") == 2


def test_what_bpftrace_cannot_attach_is_one_sentence():
    with pytest.raises(LabError, match=r"^bpftrace refused the program: "):
        bpftrace.run("xdp:eth0 { }", timeout=30)
