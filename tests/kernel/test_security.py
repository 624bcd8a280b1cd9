# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 10 on the real kernel: process events exactly once, the in-kernel filter, the kill policy, the CLI."""

from __future__ import annotations

import collections
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ebpflab import LabError, doctor, security
from ebpflab.loader import Program

EBPFLAB = str(Path(sys.executable).parent / "ebpflab")

WORKLOAD = r"""
import json, socket, subprocess, sys
folder, ip, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    with open(f"{folder}/file{i}", "w") as f:
        f.write("x")
children = [subprocess.Popen(["/bin/true"]) for _ in range(2)]
for _ in range(3):
    with socket.create_connection((ip, port), timeout=5):
        pass
for c in children:  # alive until they are done: a child still exec'ing when we exit would be init's
    c.wait()
print(json.dumps([c.pid for c in children]))
"""


def test_btf_offsets_give_what_proc_says(tmp_path):
    """Parent chain and network namespace read at BTF offsets agree with /proc."""
    prog = tmp_path / "eblbtf"
    shutil.copy("/bin/true", prog)
    with security.ProcessMonitor(watch={"kinds": ["exec"], "comm": "eblbtf"}) as mon:
        subprocess.run([str(prog)], check=True)
        assert mon.wait_for(lambda evs: len(evs) == 1)
    ev = mon.events[0]
    assert (ev.ppid, ev.chain[1], ev.netns) == (os.getpid(), os.getppid(), os.stat("/proc/self/ns/net").st_ino)


def test_workload_events_appear_exactly_once(net):
    folder = Path(tempfile.mkdtemp(prefix="ebl-sec-"))
    port = random.randint(20000, 60000)
    n_files = 5
    with net.inside("server"):
        listener = socket.socket()
    listener.bind((net["server"].ip, port))
    listener.listen(8)
    try:
        with security.ProcessMonitor(watch={"netns": net["client"]}) as mon:
            outside = [open(os.devnull).close() for _ in range(50)]  # opens outside the filter: never delivered
            work = net.popen(
                "client", "/usr/bin/python3", "-c", WORKLOAD, str(folder), net["server"].ip, str(port), str(n_files)
            )
            out, err = work.communicate(timeout=60)
            assert work.returncode == 0, err
            children = json.loads(out)
            done = lambda evs: sum(e.kind == "exit" and e.pid in (work.pid, *children) for e in evs) == 3  # noqa: E731
            assert mon.wait_for(done, timeout=20)
            counts = mon.counts()
            events = list(mon.events)
    finally:
        listener.close()
        shutil.rmtree(folder)
    client_ns = security.netns_inode(net["client"])
    assert {e.netns for e in events} == {client_ns}
    mine = [e for e in events if e.pid == work.pid]
    opens = collections.Counter(e.path for e in mine if e.kind == "open" and e.path.startswith(str(folder)))
    assert opens == {f"{folder}/file{i}": 1 for i in range(n_files)}
    assert all(
        e.ret >= 0 and e.comm == "python3" and e.ppid == os.getpid() and e.uid == 0
        for e in mine
        if e.kind == "open" and e.path.startswith(str(folder))
    )
    execs = [e for e in mine if e.kind == "exec"]
    assert [e.path for e in execs] == ["/usr/bin/python3"]  # `ip` exec'd before it entered the namespace
    assert all(e.ppid == os.getpid() and e.chain[:2] == [os.getpid(), os.getppid()] and e.uid == 0 for e in execs)
    for child in children:
        child_execs = [e for e in events if e.pid == child and e.kind == "exec"]
        assert [(e.path, e.comm, e.ppid) for e in child_execs] == [("/bin/true", "true", work.pid)]
        assert child_execs[0].chain[:2] == [work.pid, os.getpid()]
    connects = [e for e in mine if e.kind == "connect"]
    assert [e.path for e in connects] == [f"{net['server'].ip}:{port}"] * 3
    assert counts["generated"] >= counts["delivered"] + len(outside)
    assert counts["delivered"] == len(events) and counts["lost"] == 0


def test_injected_shell_is_killed_in_20_of_20_runs(net):
    folder = Path(tempfile.mkdtemp(prefix="ebl-sec-"))
    runs = 20
    try:
        with security.ProcessMonitor(watch={"netns": net["server"]}) as mon, security.WebApp(net) as app:
            # policy off: the shell runs, and shows in the process tree under the app
            assert app.calc(security.attack_payload(folder / "before"))[0] == 200
            assert (folder / "before").exists()
            rule = mon.deny("exec", "/bin/sh", netns=net["server"])
            benign = []
            for i in range(runs):
                app.calc(security.attack_payload(folder / f"marker{i}"))
                benign.append(app.calc(f"{i}*7"))
            assert mon.wait_for(lambda evs: sum(e.kind == "exit" and e.action == "killed" for e in evs) >= runs)
            mon.remove(rule)
            app.calc(security.attack_payload(folder / "after"))
            assert (folder / "after").exists()
            assert mon.hits(rule) == 0  # removed from the map
            events = list(mon.events)
        markers = sorted(p.name for p in folder.iterdir())
    finally:
        shutil.rmtree(folder)
    assert markers == ["after", "before"]
    assert benign == [(200, f"{i * 7}\n") for i in range(runs)]
    shells = [e for e in events if e.kind == "exec" and e.path == "/bin/sh"]
    assert [e.action for e in shells] == [""] + ["killed"] * runs + [""]
    assert all(e.ppid == app.pid and e.rule == rule.id for e in shells[1:-1])
    assert len(security.kill_times(events)) == runs
    assert f"{app.pid} python3" in security.tree(events)


def test_open_policy_kills_the_reader_before_it_reads(tmp_path):
    secret, other = tmp_path / "secret.txt", tmp_path / "public.txt"
    secret.write_text("top secret\n")
    other.write_text("hello\n")
    with security.ProcessMonitor(watch={"comm": "cat"}) as mon:
        rule = mon.deny("open", f"{tmp_path}/secret*")
        blocked = subprocess.run(["/bin/cat", str(secret)], capture_output=True, text=True)
        allowed = subprocess.run(["/bin/cat", str(other)], capture_output=True, text=True)
        assert mon.hits(rule) == 1
        assert mon.wait_for(lambda evs: any(e.action == "killed" and e.kind == "open" for e in evs))
    assert blocked.returncode == -signal.SIGKILL and blocked.stdout == ""
    assert allowed.returncode == 0 and allowed.stdout == "hello\n"


def test_policy_input_errors_are_one_sentence_and_the_program_keeps_running():
    with security.ProcessMonitor(watch={"comm": "true"}) as mon:
        for kind, path, match in (
            ("fork", "/bin/sh", "unknown kind"),
            ("exec", "", "needs a path"),
            ("exec", "/" + "x" * 200, "at most 127"),
            ("exec", "*", "needs a path"),
        ):
            with pytest.raises(LabError, match=match) as info:
                mon.deny(kind, path)
            assert "\n" not in str(info.value)
        with pytest.raises(LabError, match="unknown action"):
            mon.deny("exec", "/bin/true", action="maim")
        with pytest.raises(LabError, match="unknown kind"):
            mon.watch(kinds=["exec", "fork"])
        with pytest.raises(LabError, match="no network namespace"):
            mon.deny("exec", "/bin/sh", netns="ebl-no-such-namespace")
        mon.deny("exec", "/bin/true")
        assert subprocess.run(["/bin/true"]).returncode == -signal.SIGKILL
        assert mon.wait_for(lambda evs: any(e.kind == "exec" and e.action == "killed" for e in evs))


def test_exact_rules_do_not_match_longer_names(tmp_path):
    prog = tmp_path / "true"
    shutil.copy("/bin/true", prog)
    longer = tmp_path / "truer"
    shutil.copy("/bin/true", longer)
    with security.ProcessMonitor(watch={"kinds": ["exec"], "prefix": str(tmp_path)}) as mon:
        mon.deny("exec", str(prog))
        assert subprocess.run([str(prog)]).returncode == -signal.SIGKILL
        assert subprocess.run([str(longer)]).returncode == 0
        assert mon.wait_for(lambda evs: len(evs) >= 2)
    assert [(e.path, e.action) for e in mon.events if e.kind == "exec"] == [(str(prog), "killed"), (str(longer), "")]


def test_a_custom_keep_filters_in_the_kernel(tmp_path):
    keep = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->kind == EXEC && e->uid == 0 && e->ppid == TEST_PID && e->comm[0] == 'e' && e->comm[1] == 'b' && e->comm[2] == 'l';
}
"""
    prog = tmp_path / "ebltrue"
    shutil.copy("/bin/true", prog)
    # Only this test's children: another suite on the machine running an ebl* program must not count.
    with security.ProcessMonitor(keep, defines={"TEST_PID": os.getpid()}) as mon:
        for _ in range(5):
            subprocess.run([str(prog)], check=True)
            subprocess.run(["/bin/true"], check=True)
        assert mon.wait_for(lambda evs: len(evs) >= 5)
        counts = mon.counts()
    assert [e.comm for e in mon.events] == ["ebltrue"] * 5
    assert counts["generated"] > counts["delivered"] + 5 and counts["delivered"] == 5


def _read_line(stream, timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def test_events_cli_prints_json_lines_and_stops_on_ctrl_c(tmp_path):
    prog = tmp_path / "eblcli"
    shutil.copy("/bin/true", prog)
    p = subprocess.Popen(
        [EBPFLAB, "events", "--kind", "exec", "--comm", "eblcli", "--path", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "watching" in _read_line(p.stderr, 60)
        subprocess.run([str(prog)], check=True)
        line = _read_line(p.stdout, 20)
        ev = json.loads(line)
        assert (ev["kind"], ev["comm"], ev["path"], ev["ppid"]) == ("exec", "eblcli", str(prog), os.getpid())
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "Traceback" not in err and "generated" in err


def test_events_cli_into_head_ends_quietly(tmp_path):
    prog = tmp_path / "eblhead"
    shutil.copy("/bin/true", prog)
    cmd = f"set -o pipefail; {EBPFLAB} events --kind exec --comm eblhead --path {tmp_path} | head -1"
    p = subprocess.Popen(
        ["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert "watching" in _read_line(p.stderr, 60)
        deadline = time.monotonic() + 30
        while p.poll() is None and time.monotonic() < deadline:  # the second exec meets the closed pipe
            subprocess.run([str(prog)], check=True)
            time.sleep(0.1)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)  # the shell and the command it runs
            p.wait()
    assert json.loads(out)["comm"] == "eblhead"
    assert p.returncode == 0, err
    assert "Traceback" not in err and "Exception" not in err and "Broken pipe" not in err, err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "fork"], "unknown kind"),
        (["--path", "/x" * 40], "at most 64"),
        (["--netns", "ebl-no-such-namespace"], "no network namespace"),
    ],
)
def test_events_cli_bad_input_is_one_line(args, message):
    res = subprocess.run([EBPFLAB, "events", *args], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().count("\n") == 0 and message in res.stderr


def test_doctor_says_how_lab_10_can_enforce():
    table = doctor.enforcement()
    assert table["send_signal"] is True
    works = True
    try:
        Program("sec_lsm_exec", security.lsm_defines()).build().close()
    except LabError:
        works = False
    assert works == table["bpf_lsm"], f"the doctor says bpf_lsm={table['bpf_lsm']}, the kernel says {works}"
