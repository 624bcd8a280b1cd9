# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 08's exercises: a PID filter, a uprobe's argument, a hook found for TCP connections,
a program on tcp_connect, bpf_trace_printk read back from trace_pipe (lab 08)."""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import sys
from collections.abc import Iterator

from .. import check, doctor, hooks
from ..errors import CheckFailed, LabError
from ..hooks import Target
from ..loader import Program
from ..messages import _
from ..netlab import LabNet

LAB = "08_hooks"


def _c_text(source: object, name: str) -> str:
    """The learner's C program, or a sentence saying what the answer should be."""
    if not isinstance(source, str) or "{" not in source:
        raise CheckFailed(
            _(
                '{name} should be the C program as a string (r""" ... """), not {kind}',
                name=name,
                kind=type(source).__name__,
            )
        )
    return source


@check.exercise(LAB, "getppid-tracepoint")
def getppid_tracepoint(source: str) -> None:
    """Count the getppid() calls of TARGET_PID while this process and another one call getppid() too."""
    text = _c_text(source, "GETPPID_C")
    rng = random.Random()
    n, others, own = rng.randint(200, 600), rng.randint(100, 300), rng.randint(50, 150)
    with (
        Target("syscalls", n) as target,
        Target("syscalls", others) as other,
        Program(text, {"TARGET_PID": target.pid}) as prog,
    ):
        other.go()  # another process calls getppid() while the program runs ...
        for _call in range(own):
            os.getppid()  # ... and so does this one
        target.go()
        target.wait()
        other.wait()
        counted = prog["calls"][0].value
    if counted == n:
        check.ok(
            _(
                "your program counted the target's {n} getppid() calls, and none of the other processes' calls",
                n=n,
            )
        )
        return
    if counted > n:
        raise CheckFailed(
            _(
                "your program counted {counted} getppid() calls, but the target made {n}: the others came from "
                "other processes (the check called getppid() from two more); compare the calling process with "
                "TARGET_PID",
                counted=counted,
                n=n,
            )
        )
    raise CheckFailed(
        _("your program counted {counted} getppid() calls of the target, which made {n}", counted=counted, n=n)
    )


@check.exercise(LAB, "uprobe-quantity")
def uprobe_quantity(source: str) -> None:
    """Sum the quantity argument of checkout() over a random number of calls."""
    text = _c_text(source, "QUANTITY_C")
    n = random.randint(20, 60)
    with Target("calls", n) as target, Program(text) as prog, prog.uprobe(target, "checkout", "on_checkout"):
        target.go()
        target.wait()
        ordered = prog["total"][0].value
    want = sum(3 * i for i in range(1, n + 1))
    if ordered == sum(range(1, n + 1)):
        raise CheckFailed(
            _(
                "your total {total} is the sum of the items (the first argument); add the quantities",
                total=ordered,
            )
        )
    check.that(
        ordered == want,
        _("your uprobe summed the quantities of {n} checkout() calls: {total}", n=n, total=ordered),
        _(
            "your uprobe's total is {total}; the target made {n} calls whose quantities add up to {want}",
            total=ordered,
            n=n,
            want=want,
        ),
    )


# --- finding a hook for "a TCP connection is made" -------------------------------------------------
# The hook kinds a learner may name, bpftrace's spelling first, and the doctor's name for each.
KINDS = {
    "kprobe": "kprobe",
    "kretprobe": "kprobe",
    "fentry": "fentry",
    "kfunc": "fentry",
    "fexit": "fentry",
    "kretfunc": "fentry",
    "tracepoint": "tracepoint",
}
_COUNT = r"""
BPF_ARRAY(hits, u64, 1);
static __always_inline int count(void)
{
    if ((bpf_get_current_pid_tgid() >> 32) == CHECK_PID)
        hits.atomic_increment(0);
    return 0;
}
"""


def _hook_program(kind: str, name: str) -> tuple[str, str | None]:
    """C text counting this process's hits at the hook, and the tracepoint to attach (BCC attaches the others)."""
    if kind == "tracepoint":
        return _COUNT + "int hit(void *ctx) { return count(); }\n", name
    if kind in ("kprobe", "kretprobe"):
        return _COUNT + f"int {kind}__{name}(struct pt_regs *ctx) {{ return count(); }}\n", None
    macro = "KFUNC_PROBE" if kind in ("fentry", "kfunc") else "KRETFUNC_PROBE"
    return _COUNT + f"{macro}({name}) {{ return count(); }}\n", None


def _hook_exists(kind: str, name: str) -> str | None:
    """Why ``kind:name`` is not a hook on this kernel, or None if it is."""
    if kind == "tracepoint":
        if not re.fullmatch(r"\w+:\w+", name):
            return _(
                "a tracepoint is named tracepoint:category:event (e.g. tracepoint:sched:sched_switch), not {name!r}",
                name=name,
            )
        events = hooks.TRACING / "events" / name.replace(":", "/")
        if not events.is_dir():
            return _("this kernel has no tracepoint {name} (no {path})", name=name, path=events)
        return None
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        return _(
            "{name!r} is not a kernel function's name (letters, digits and _; names with a dot are compiler clones)",
            name=name,
        )
    if KINDS[kind] == "fentry":
        try:
            hooks.btf_prototype(name)
        except LabError:  # no bpftool, or no BTF for it
            return _("the kernel's BTF describes no function {name} (fentry needs one): is the name right?", name=name)
        return None
    with open("/proc/kallsyms") as f:
        if not any(line.split()[2:3] == [name] for line in f):
            return _("there is no kernel function {name} in /proc/kallsyms", name=name)
    return None


@contextlib.contextmanager
def _open_connections(net: LabNet, listener: socket.socket, ip: str, port: int, count: int) -> Iterator[None]:
    """``count`` TCP connections from the client to ``ip:port``, accepted and held open for the block."""
    socks = []
    try:
        for _conn in range(count):
            with net.inside("client"):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(c)
            c.settimeout(2)
            c.connect((ip, port))
            conn, _addr = listener.accept()
            socks.append(conn)
        yield
    finally:
        for s in socks:
            s.close()


def _listener(net: LabNet, host: str, port: int, backlog: int = 16) -> socket.socket:
    with net.inside(host):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((net[host].ip, port))
    s.listen(backlog)
    s.settimeout(2)
    return s


def _unrelated_activity(net: LabNet, established: tuple[socket.socket, socket.socket], port: int, rounds: int) -> None:
    """Everything but a new TCP connection: getppid(), UDP datagrams, UDP connect(), data on an open TCP one."""
    client, server = established
    with net.inside("server"):
        udp_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with udp_server:
        udp_server.bind((net["server"].ip, port))
        udp_server.settimeout(2)
        for i in range(rounds):
            os.getppid()
            with net.inside("client"):
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            with udp:
                udp.connect((net["server"].ip, port))  # a UDP "connect" only sets the default destination
                udp.send(b"not a connection %d" % i)
                udp_server.recv(100)
            client.sendall(b"ping\n")
            server.recv(5)
            server.sendall(b"pong\n")
            client.recv(5)


@check.exercise(LAB, "connection-hook")
def connection_hook(spec: str) -> None:
    """Attach a counter to the hook the learner named; it must fire for new TCP connections and not otherwise."""
    if not isinstance(spec, str) or spec.count(":") not in (1, 2):
        raise CheckFailed(
            _(
                "name the hook as bpftrace does, kind:name (e.g. kprobe:vfs_read or tracepoint:sched:sched_switch), "
                "not {spec!r}",
                spec=spec,
            )
        )
    kind, _sep, name = spec.strip().partition(":")
    if kind not in KINDS:
        raise CheckFailed(
            _(
                "{kind!r} is not a hook kind this check attaches; use one of {kinds}",
                kind=kind,
                kinds=", ".join(KINDS),
            )
        )
    table = doctor.hooks()
    if not table[KINDS[kind]]:
        raise CheckFailed(
            _(
                "this kernel does not offer {kind} hooks (the doctor's table in step 0): pick a hook of a kind "
                "it offers",
                kind=KINDS[kind],
            )
        )
    why = _hook_exists(kind, name)
    if why:
        raise CheckFailed(why)
    rng = random.Random()
    port, n, rounds = rng.randint(20000, 60000), rng.randint(3, 7), 20
    text, tracepoint = _hook_program(kind, name)
    with LabNet() as net:
        listener = _listener(net, "server", port)
        established = _established(listener, net, port)  # made before the program counts anything
        with (
            listener,
            established[0],
            established[1],
            Program(text, {"CHECK_PID": os.getpid()}) as prog,
            prog.tracepoint(tracepoint, "hit") if tracepoint else contextlib.nullcontext(),
        ):
            before = prog["hits"][0].value
            _unrelated_activity(net, established, port, rounds)
            unrelated = prog["hits"][0].value - before
            before = prog["hits"][0].value
            with _open_connections(net, listener, net["server"].ip, port, n):
                connections = prog["hits"][0].value - before
    if connections < n:
        raise CheckFailed(
            _(
                "{spec} fired {fired} times while the check made {n} new TCP connections: it does not run "
                "(every time) a connection is made",
                spec=spec,
                fired=connections,
                n=n,
            )
        )
    if unrelated > rounds // 4:
        raise CheckFailed(
            _(
                "{spec} fired {fired} times while no TCP connection was made ({rounds} getppid() calls, UDP "
                "datagrams, UDP connect() calls and messages on an open TCP connection): it does not single out "
                "new connections",
                spec=spec,
                fired=unrelated,
                rounds=rounds,
            )
        )
    check.ok(
        _(
            "{spec} fired {fired} times for {n} new TCP connections, and {unrelated} times for "
            "{rounds} rounds of other activity",
            spec=spec,
            fired=connections,
            n=n,
            unrelated=unrelated,
            rounds=rounds,
        )
    )


def _established(listener: socket.socket, net: LabNet, port: int) -> tuple[socket.socket, socket.socket]:
    """One more TCP connection, set up before the windows the check counts in: the client's end and the server's."""
    with net.inside("client"):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(2)
    c.connect((net["server"].ip, port))
    conn, _addr = listener.accept()
    conn.settimeout(2)
    return c, conn


# --- a program on tcp_connect (kprobe where the kernel has kprobes, the tracepoint elsewhere) -------
def _be32(ip: str) -> int:
    """An IPv4 address as the kernel stores it (network byte order) read as a number on this machine."""
    return int.from_bytes(socket.inet_aton(ip), sys.byteorder)


def connect_route() -> str:
    """The route this kernel offers for the tcp_connect exercise: "kprobe", or "tracepoint" without kprobes."""
    return "kprobe" if doctor.hooks()["kprobe"] else "tracepoint"


@check.exercise(LAB, "tcp-connect")
def tcp_connect(source: str) -> None:
    """Count connections to SERVER:PORT among some to other ports and addresses, on this kernel's route."""
    text = _c_text(source, "CONNECT_C")
    route = connect_route()
    rng = random.Random()
    port, other_port = rng.sample(range(20000, 60000), 2)
    n = rng.randint(3, 8)
    with LabNet() as net:
        defines = {"KPROBE": int(route == "kprobe"), "PORT": port, "SERVER": _be32(net["server"].ip)}
        to_server = _listener(net, "server", port)
        to_other_port = _listener(net, "server", other_port)
        to_client_itself = _listener(net, "client", port)  # the same port on another address
        with to_server, to_other_port, to_client_itself, Program(text, defines) as prog:
            with (
                _open_connections(net, to_other_port, net["server"].ip, other_port, 2),
                _open_connections(net, to_server, net["server"].ip, port, n),
                _open_connections(net, to_client_itself, net["client"].ip, port, 2),
            ):
                counted = prog["connects"][0].value
    if counted == 0 and route == "kprobe":
        raise CheckFailed(
            _(
                "your program counted no connection; this kernel takes the kprobe route (KPROBE=1), "
                "so the check runs kprobe__tcp_connect"
            )
        )
    if counted == 0:
        raise CheckFailed(
            _(
                "your program counted no connection; this kernel takes the tracepoint route (KPROBE=0), "
                "so the check runs the TRACEPOINT_PROBE"
            )
        )
    if counted != n:
        raise CheckFailed(
            _(
                "your program counted {counted}; the check made {n} connections to SERVER:PORT and 4 more to another "
                "port or address, each counted once (compare the destination with SERVER and PORT; mind byte orders)",
                counted=counted,
                n=n,
            )
        )
    check.ok(
        _(
            "your {route} program counted the {n} connections to SERVER:PORT and none of the 4 others",
            route=route,
            n=n,
        )
    )


# --- bpf_trace_printk, read back from trace_pipe ---------------------------------------------------
@check.exercise(LAB, "printk")
def printk(source: str) -> None:
    """Each connection to PORT must print one tagged line with the client's port and the server's port."""
    text = _c_text(source, "PRINTK_C")
    rng = random.Random()
    port, other_port = rng.sample(range(20000, 60000), 2)
    n, tag = rng.randint(2, 5), hooks.marker()
    with (
        LabNet() as net,
        hooks.TracePipe(tag) as pipe,
        Program(text, {"MARKER": f'"{tag}"', "PORT": port}),
    ):
        tuples = hooks.tcp_connections(net, "client", "server", port, count=n)
        hooks.tcp_connections(net, "client", "server", other_port, count=2)
        pipe.wait(n)
        lines = pipe.sync()
    want = sorted((cport, port) for _, cport, _, _ in tuples)
    got = []
    for ln in lines:
        numbers = [int(x) for x in re.findall(r"\d+", ln.message.split(tag, 1)[1])]
        got.append(tuple(numbers[:2]))
    if not lines:
        raise CheckFailed(
            _(
                "no line tagged with MARKER reached trace_pipe for {n} connections: does your program call "
                'bpf_trace_printk(MARKER " ...", ...) for connections to PORT?',
                n=n,
            )
        )
    if len(lines) != n:
        raise CheckFailed(
            _(
                "{count} lines reached trace_pipe for {n} connections to PORT: print one per connection",
                count=len(lines),
                n=n,
            )
        )
    if sorted(got) != want and any(0 in g for g in got):
        raise CheckFailed(
            _(
                "your lines (e.g. {line!r}) should carry the client's port and then the server's port; "
                "the check's client used ports {ports} (a client's port of 0: the kernel picks it after SYN_SENT)",
                line=lines[0].message,
                ports=sorted(p for p, _ in want),
            )
        )
    if sorted(got) != want:
        raise CheckFailed(
            _(
                "your lines (e.g. {line!r}) should carry the client's port and then the server's port; "
                "the check's client used ports {ports}",
                line=lines[0].message,
                ports=sorted(p for p, _ in want),
            )
        )
    check.ok(_("{n} lines read back from trace_pipe, one per connection, with both ports right", n=n))
