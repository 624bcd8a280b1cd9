# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 08's hook points on the real kernel: every hook this kernel offers observes something known."""

from __future__ import annotations

import collections
import random
import subprocess

import pytest
from waiting import wait_until

from ebpflab import LabError, doctor, hooks, maps, seccomp, traffic
from ebpflab.loader import Program

HOOKS = doctor.hooks()


def needs(hook: str):
    return pytest.mark.skipif(not HOOKS[hook], reason=f"this kernel does not offer {hook}")


def test_tracefs_format_lists_the_fields_bcc_offers():
    fields = {f.name: f for f in hooks.tracepoint_format("sock", "inet_sock_set_state")}
    assert {"oldstate", "newstate", "sport", "dport", "saddr", "daddr"} <= set(fields)
    assert fields["saddr"].size == 4 and not fields["saddr"].common and fields["common_pid"].common
    with pytest.raises(LabError, match="no tracepoint"):
        hooks.tracepoint_format("sock", "no_such_event")


def test_missing_hooks_degrade_with_one_sentence(capsys):
    assert hooks.offered("kprobe", {"kprobe": False}) is False
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and "no kprobes" in out
    assert hooks.offered("kprobe", {"kprobe": True}) is True
    assert capsys.readouterr().out == ""
    with pytest.raises(LabError):
        hooks.offered("nonsense")


@needs("tracepoint")
def test_syscall_tracepoint_counts_a_known_number_of_calls():
    getppid = seccomp.syscall_number("getppid")  # 110 on x86-64, 173 on arm64
    with hooks.Target("syscalls", 1234) as target, Program("trace_syscalls", {"TARGET_PID": target.pid}) as prog:
        target.go()
        target.wait()
        by_nr = {k.value: v.value for k, v in prog["target_calls"].items()}
        per_proc = {(k.pid, k.comm.decode()): v.value for k, v in prog["per_process"].items()}
    assert by_nr.get(getppid) == 1234
    assert per_proc[(target.pid, "shop")] >= 1234


@needs("tracepoint")
def test_tcp_state_tracepoint_follows_lab_connections(net):
    port = random.randint(20000, 60000)
    seen = []
    with Program("trace_tcp_states", {"PORT": port}) as prog:
        with prog.ring_buffer("changes", lambda record: seen.append(_change(prog, record))):
            tuples = hooks.tcp_connections(net, "client", "server", port, count=3)
            wait_until(lambda: [c["new"] for c in seen].count("ESTABLISHED") >= 3, what="the 3 connections' events")
    transitions = collections.Counter((c["old"], c["new"]) for c in seen)
    assert transitions[("SYN_SENT", "ESTABLISHED")] == 3
    assert transitions[("CLOSE", "SYN_SENT")] == 3
    assert transitions[("CLOSE", "LISTEN")] == 1
    client_ports = {t[1] for t in tuples}
    established = [c for c in seen if (c["old"], c["new"]) == ("SYN_SENT", "ESTABLISHED")]
    assert {c["sport"] for c in established} == client_ports
    assert {(c["saddr"], c["daddr"], c["dport"]) for c in established} == {(net["client"].ip, net["server"].ip, port)}


def _change(prog, data):
    c = prog["changes"].event(data)
    return {
        "old": hooks.TCP_STATES.get(c.oldstate),
        "new": hooks.TCP_STATES.get(c.newstate),
        "saddr": maps.ipv4_of(c.saddr),
        "daddr": maps.ipv4_of(c.daddr),
        "sport": c.sport,
        "dport": c.dport,
    }


@needs("uprobe")
def test_uprobe_counts_calls_and_reads_arguments():
    calls = []
    with (
        hooks.Target("calls", 50) as target,
        Program("uprobe_calls") as prog,
        prog.uprobe(target, "checkout", "on_checkout"),
        prog.uprobe(target, "checkout", "on_checkout_return", ret=True),
    ):
        with prog.ring_buffer("calls", lambda record: calls.append(_call(prog, record))):
            target.go()
            target.wait()
        totals = prog["totals"]
        assert totals[0].value == 50
        assert totals[1].value == sum(i * 100 + i * 3 for i in range(1, 51))
    assert [c[1:] for c in calls] == [(i, 3 * i) for i in range(1, 51)]
    assert {c[0] for c in calls} == {target.pid}


def _call(prog, data):
    c = prog["calls"].event(data)  # BCC's struct over the record's bytes
    return c.pid, c.item, c.quantity


@needs("perf_event")
def test_perf_event_profiler_finds_the_hot_function():
    with (
        hooks.Target("busy", 10) as target,
        Program("perf_profile", {"TARGET_PID": target.pid}) as prog,
        prog.perf_event("perf_profile", 99),
    ):
        target.go()

        def thirty_leaves() -> collections.Counter | None:
            leaf = collections.Counter()
            for k, v in prog["samples"].items():
                if k.user_stack >= 0:
                    addr = next(iter(prog["stacks"].walk(k.user_stack)))
                    leaf[prog.bpf.sym(addr, target.pid).decode()] += v.value
            return leaf if sum(leaf.values()) >= 30 else None

        # a shared machine may give the target little CPU: wait up to 8 s for 30 samples
        leaf = wait_until(thirty_leaves, timeout=8, what="30 stack samples of the target")
    top, _ = leaf.most_common(1)[0]
    assert top in ("crunch_numbers", "shuffle_letters"), leaf


@needs("tc")
def test_tc_egress_sees_outgoing_packets_xdp_does_not(net):
    with (
        Program("tc_count") as tcp,
        Program("xdp_count") as xdp,
        xdp.xdp(net["server"]),
        tcp.tc(net["server"], ingress="tc_count_ingress", egress="tc_count_egress"),
    ):
        assert traffic.ping(net, "client", "server", count=5, interval=0.05) == 5
        assert (tcp["packets"][0].value, tcp["packets"][1].value, xdp["counts"][0].value) == (5, 5, 5)
        traffic.send(net, "server", traffic.udp(net, "server", "client"), count=100)
        wait_until(
            lambda: tcp["packets"][1].value >= 5 + 100 and xdp["counts"][0].value == tcp["packets"][0].value,
            what="tc egress to count 105 and XDP and tc ingress to agree",
        )
        assert tcp["packets"][1].value == 5 + 100  # echo replies and the UDP datagrams out
        # what came back (the client's ICMP port-unreachable errors, rate-limited) both see alike
        assert xdp["counts"][0].value == tcp["packets"][0].value
    out = subprocess.run(
        ["tc", "-n", net["server"].netns, "qdisc", "show", "dev", "eth0"], capture_output=True, text=True
    ).stdout
    assert "clsact" not in out


@needs("tc")
def test_tc_detaches_when_the_block_raises(net):
    with pytest.raises(ZeroDivisionError):
        with Program("tc_count") as prog, prog.tc(net["server"], egress="tc_count_egress"):
            1 / 0  # noqa: B018 (the error inside the with is the test)
    out = subprocess.run(
        ["tc", "-n", net["server"].netns, "qdisc", "show", "dev", "eth0"], capture_output=True, text=True
    ).stdout
    assert "clsact" not in out
    with pytest.raises(LabError):
        with Program("tc_count") as prog, prog.tc(net["server"]):
            pass


@needs("xdp")
def test_xdp_sees_bytes_and_frames_the_stack_drops(net):
    port = random.randint(20000, 60000)
    frames = []
    payload = b"secret-payload-xyz\n"
    with (
        Program("xdp_first_bytes") as prog,
        prog.xdp(net["server"]),
        prog.ring_buffer("frames", lambda record: frames.append(bytes(prog["frames"].event(record).data))),
    ):
        hooks.tcp_connections(net, "client", "server", port, count=1, payload=payload)
        bad = traffic.udp(net, "client", "server", dport=port)
        bad["IP"].chksum = 0xBAD  # the stack drops this in ip_rcv; XDP has already seen it
        traffic.send(net, "client", bad, count=1)
        wait_until(lambda: any(f[23] == 17 and f[24:26] == b"\x0b\xad" for f in frames), what="the bad UDP frame")
    assert any(payload in f for f in frames)
    assert sum(f[23] == 17 and f[24:26] == b"\x0b\xad" for f in frames) == 1  # UDP with checksum 0x0bad


@pytest.mark.parametrize("hook", ["kprobe", "fentry"])
def test_kprobe_and_fentry_count_connections_where_offered(net, hook, capsys):
    if not hooks.offered(hook):
        assert capsys.readouterr().out.count("\n") == 1  # one sentence, and the lab goes on
        return
    import os

    with Program(f"{hook}_tcp_connect", {"TARGET_PID": os.getpid()}) as prog:
        hooks.tcp_connections(net, "client", "server", random.randint(20000, 60000), count=4)
        assert prog["connects"][0].value == 4


def test_doctor_kernel_function_entries_match_what_the_kernel_does(net):
    """The doctor's kprobe/fentry answers are heuristics: building the real programs settles them."""
    for hook in ("kprobe", "fentry"):
        try:
            Program(f"{hook}_tcp_connect").build().close()  # BCC attaches kprobe__/KFUNC_PROBE on build
            works = True
        except LabError:
            works = False
        assert works == HOOKS[hook], f"the doctor says {hook}={HOOKS[hook]}, the kernel says {works}"


def test_bad_input_gives_one_sentence(net):
    with pytest.raises(LabError, match="unknown mode"):
        hooks.Target("sleep", 1)
    with pytest.raises(LabError, match="port"):
        hooks.tcp_connections(net, "client", "server", 0)
    with pytest.raises(LabError, match="could not attach on_checkout to no_such_function"):
        with (
            hooks.Target("calls", 1) as target,
            Program("uprobe_calls") as prog,
            prog.uprobe(target, "no_such_function", "on_checkout"),
        ):
            pass
    with pytest.raises(LabError, match="sample_hz"):
        with Program("perf_profile") as prog, prog.perf_event("perf_profile", 0):
            pass


@needs("tracepoint")
def test_a_tracepoint_attaches_for_the_block_and_detaches():
    src = r"""
BPF_ARRAY(calls, u64, 1);
int count_getppid(void *ctx) { if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID) calls.atomic_increment(0); return 0; }
"""
    with hooks.Target("syscalls", 100) as target, Program(src, {"TARGET_PID": target.pid}) as prog:
        with prog.tracepoint("syscalls:sys_enter_getppid", "count_getppid"):
            target.go()
            target.wait()
        assert prog["calls"][0].value == 100
        assert not prog.bpf.tracepoint_fds  # detached at the end of the block
    with pytest.raises(LabError, match="category:event"):
        with Program(src, {"TARGET_PID": 1}) as prog, prog.tracepoint("getppid", "count_getppid"):
            pass


def test_btf_prototype_gives_a_kernel_functions_arguments():
    assert hooks.btf_prototype("tcp_connect") == "int tcp_connect(struct sock *sk)"
    assert hooks.btf_prototype("tcp_v4_connect").startswith("int tcp_v4_connect(struct sock *sk, struct sockaddr *")
    with pytest.raises(LabError, match="no function"):
        hooks.btf_prototype("no_such_function_here")


@needs("tracepoint")
def test_trace_pipe_returns_this_programs_tagged_lines_only():
    import os

    src = r"""
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID) {
        bpf_trace_printk(MARKER " call %d", 7);
        bpf_trace_printk("untagged %d", 7);
    }
    return 0;
}
"""
    tag = hooks.marker()
    with (
        hooks.TracePipe(tag) as pipe,
        Program(src, {"TARGET_PID": os.getpid(), "MARKER": f'"{tag}"'}),
    ):
        for _ in range(5):
            os.getppid()
        pipe.wait(5)
        lines = pipe.sync()
    assert [ln.message for ln in lines] == [f"{tag} call 7"] * 5
    assert {ln.pid for ln in lines} == {os.getpid()}
    with pytest.raises(LabError, match="tag"):
        hooks.TracePipe("bad tag!")


def test_the_kprobe_route_of_the_tcp_connect_exercise_verifies_on_any_kernel():
    """Where the kernel has no kprobes the notebook runs the tracepoint route: the kprobe one is loaded as a kprobe
    program under another name (nothing attaches it), so that the verifier judges it on such kernels too."""
    from ebpflab.check import solutions

    namespace: dict = {}
    exec(solutions("08_hooks")["tcp-connect"], namespace)
    text = namespace["CONNECT_C"].replace("kprobe__tcp_connect", "count_tcp_connect")
    with Program(text, {"KPROBE": 1, "PORT": 8080, "SERVER": 1}) as prog:
        prog.load("count_tcp_connect", "kprobe")


@pytest.mark.parametrize("spec", ["kprobe:tcp_connect", "fentry:tcp_connect", "tracepoint:sock:inet_sock_set_state"])
def test_the_connection_hook_check_takes_each_kind_the_kernel_offers_and_refuses_the_others(spec):
    """Lab 08's hook-finding exercise: a kernel-function hook passes where the doctor offers its kind (Debian's
    kernels), and fails with one sentence naming the doctor's table where it does not (this machine's)."""
    from ebpflab.errors import CheckFailed
    from ebpflab.exercises import lab08

    kind = spec.split(":")[0]
    if HOOKS[kind]:
        lab08.connection_hook(spec)
    else:
        with pytest.raises(CheckFailed, match="does not offer"):
            lab08.connection_hook(spec)
