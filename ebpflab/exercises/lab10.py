# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 10's exercises: a policy entry, an in-kernel filter, an audit of opens (lab 10)."""

from __future__ import annotations

import collections
import functools
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import check, security
from ..errors import CheckFailed, LabError
from ..messages import _
from ..netlab import LabNet

LAB = "10_runtime_security"


def _scratch_dir(rng: random.Random) -> Path:
    """A fresh directory others may read (processes of other uids open files in it)."""
    top = Path(tempfile.mkdtemp(prefix="ebpflab-lab10-check-"))
    top.chmod(0o755)
    return top


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.write_text(text)
    path.chmod(0o644)
    return path


def _sentinel_rule(mon: security.ProcessMonitor, top: Path) -> Path:
    """A file whose open the policy logs: the kernel delivers it whatever the filter says (the evidence)."""
    path = _write(top / "sentinel", "")
    mon.deny("open", str(path), action="log")
    return path


def _after_everything(mon: security.ProcessMonitor, sentinel: Path) -> list[security.Event]:
    """Open the sentinel last and wait for it: the ring delivers in order, so every event before it is in."""
    subprocess.run(["/bin/cat", str(sentinel)], check=True, timeout=30)
    mon.wait_for(lambda evs: any(e.path == str(sentinel) and e.action for e in evs))
    return [e for e in mon.events if not e.action]  # the sentinel's open is the policy's, not the filter's


# --- secret-rule -------------------------------------------------------------------------------
def _read_via_app(app: security.WebApp, program: str, path: Path) -> str:
    """What ``program path`` printed when the app's injection bug ran it in the server's namespace."""
    expr = f"__import__('subprocess').run(['{program}', '{path}'], capture_output=True).stdout"
    try:
        _status, body = app.calc(expr)
    except LabError:
        raise CheckFailed(_("the web app stopped answering with your rule in place: it must keep serving")) from None
    return body


@check.exercise(LAB, "secret-rule")
def secret_rule(answer: Callable[[Path, Any], Any]) -> None:
    """Check ``secret_rule(secret_dir, server)``: its ``mon.deny`` entry keeps every server program out of the dir."""
    rng = random.Random()
    top = _scratch_dir(rng)
    try:
        secrets = top / f"secrets-{rng.randrange(16**6):06x}"
        key = f"sk-lab10-{rng.randrange(16**12):012x}"
        api = _write(secrets / "api-key.txt", key + "\n")
        other = _write(secrets / f"db-{rng.randint(100, 999)}.txt", key + "-db\n")
        public = _write(Path(f"{secrets}-public") / "readme.txt", "public\n")  # next door, same prefix
        with LabNet() as net, security.ProcessMonitor(watch={"netns": net["server"], "kinds": ["exec"]}) as mon:
            with security.WebApp(net) as app:
                args = answer(secrets, net["server"])
                if not isinstance(args, dict):
                    raise CheckFailed(
                        _("secret_rule() returned {value!r}; return dict(kind=..., path=..., netns=...)", value=args)
                    )
                rule = mon.deny(**args)
                try:
                    by_cat = _read_via_app(app, "/bin/cat", api)
                    by_head = _read_via_app(app, "/usr/bin/head", other)
                    next_door = _read_via_app(app, "/bin/cat", public)
                    benign = [app.calc("6*7"), app.get("/time")[0]]
                    outside = net.run("client", "/bin/cat", str(api), check=False)
                finally:
                    mon.remove(rule)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    check.that(
        key not in by_cat,
        _("the attacker's cat of the key was killed"),
        _("the key leaked through cat: {output!r}", output=by_cat),
    )
    check.that(
        key not in by_head,
        _("another program (head) on another file of the directory was killed too"),
        _(
            "head read {file} in the secret directory: the rule must cover every file there, for any program",
            file=other.name,
        ),
    )
    check.that(
        "public" in next_door,
        _("a directory next door whose name starts the same stays readable"),
        _(
            "your rule also stops {dir}/, a directory beside the secret one: end the prefix with '/'",
            dir=public.parent.name,
        ),
    )
    check.equal(benign, [(200, "42\n"), 200], _("benign requests with your rule in place"))
    check.that(
        key in outside.stdout,
        _("outside the server's namespace the file stays readable"),
        _("your rule also stops a process in the client's namespace: give it the server's namespace"),
    )


# --- keep-filter -------------------------------------------------------------------------------
def _opener(n: int) -> str:
    return f"for i in range({n}): open('/dev/null').close()"


def _describe(events: list[security.Event], server: int) -> str:
    """How many events of which kind and namespace: what a filter let through that it should not have."""
    kinds = collections.Counter((e.kind, e.netns == server) for e in events)
    items = [
        _("{count} {kind} in the server", count=n, kind=kind)
        if there
        else _("{count} {kind} elsewhere", count=n, kind=kind)
        for (kind, there), n in kinds.most_common()
    ]
    return functools.reduce(lambda listed, item: _("{listed}, {item}", listed=listed, item=item), items)


@check.exercise(LAB, "keep-filter")
def keep_filter(answer: str) -> None:
    """Check ``KEEP_C``: every exec in the server's namespace delivered, nothing else (opens there, execs elsewhere)."""
    if not isinstance(answer, str) or "keep(" not in answer:
        raise CheckFailed(_("KEEP_C should be the C text of the exercise cell, with its function keep()"))
    rng = random.Random()
    n_server, n_client, n_root = rng.randint(3, 8), rng.randint(3, 8), rng.randint(2, 5)
    top = _scratch_dir(rng)
    try:
        with LabNet() as net:
            server = security.netns_inode(net["server"])
            with security.ProcessMonitor(answer, defines={"SERVER_NETNS": server}) as mine:
                sentinel = _sentinel_rule(mine, top)
                busy = [net.popen(h, sys.executable, "-c", _opener(3000)) for h in ("client", "server")]
                for p in busy:
                    p.wait(timeout=120)
                for _run in range(n_client):
                    net.run("client", "/bin/true")
                for _run in range(n_root):
                    subprocess.run(["/bin/true"], check=True, timeout=30)
                for _run in range(n_server):
                    net.run("server", "/bin/true")
                events = _after_everything(mine, sentinel)
                counts = mine.counts()
    finally:
        shutil.rmtree(top, ignore_errors=True)
    check.that(
        counts["generated"] >= 6000,
        _("{generated} events generated", generated=counts["generated"]),
        _("the workload did not run (fewer events than its opens): run the check again"),
    )
    execs = sum(e.kind == "exec" and e.comm == "true" and e.netns == server for e in events)
    check.that(
        execs == n_server,
        _("all {n} execs the check started in the server's namespace were delivered", n=n_server),
        _(
            "your filter delivered {execs} of the {n} execs the check started in the server's namespace",
            execs=execs,
            n=n_server,
        ),
    )
    extra = [e for e in events if not (e.kind == "exec" and e.netns == server)]
    if extra and counts["lost"]:
        too_much = _(
            "your filter also let out {extra}; {lost} more that did not fit in the ring buffer: the audit needs "
            "execs in the server's namespace, and only those",
            extra=_describe(extra, server),
            lost=counts["lost"],
        )
    elif extra:
        too_much = _(
            "your filter also let out {extra}: the audit needs execs in the server's namespace, and only those",
            extra=_describe(extra, server),
        )
    elif counts["lost"]:
        too_much = _(
            "your filter also let out {lost} more that did not fit in the ring buffer: the audit needs execs in "
            "the server's namespace, and only those",
            lost=counts["lost"],
        )
    else:
        too_much = ""
    check.that(
        not too_much,
        _(
            "nothing else left the kernel ({delivered} delivered of {generated} generated)",
            delivered=counts["delivered"],
            generated=counts["generated"],
        ),
        too_much,
    )


# --- audit-opens -------------------------------------------------------------------------------
def _open_as(uid: int, paths: list[Path]) -> None:
    """A process of ``uid`` that opens each path once (one openat each)."""
    code = f"for p in {[str(p) for p in paths]!r}: open(p).close()"
    # the system's python: another uid may not reach a venv in root's home
    subprocess.run(["/usr/bin/python3", "-c", code], user=uid, check=True, timeout=60, capture_output=True)


@check.exercise(LAB, "audit-opens")
def audit_opens(answer: str) -> None:
    """Check ``AUDIT_C``: opens by uid WATCH_UID of files under WATCH_DIR delivered, and nothing else."""
    if not isinstance(answer, str) or "keep(" not in answer:
        raise CheckFailed(_("AUDIT_C should be the C text of the exercise cell, with its function keep()"))
    rng = random.Random()
    uid = rng.randint(20000, 60000)  # no such user: the kernel does not mind, and no one else runs as it
    top = _scratch_dir(rng)
    try:
        watched = top / f"w{rng.randrange(16**4):04x}"
        inside = [_write(watched / "a.txt", "a\n"), _write(watched / "sub" / "b.txt", "b\n")]
        beside = _write(Path(f"{watched}-old") / "c.txt", "c\n")  # same prefix without the '/'
        tool = watched / "tool"
        shutil.copy("/bin/true", tool)
        os.chmod(tool, 0o755)
        wanted = [rng.choice(inside) for _ in range(rng.randint(3, 9))]
        with security.ProcessMonitor(answer, defines={"WATCH_DIR": f'"{watched}/"', "WATCH_UID": uid}) as mine:
            sentinel = _sentinel_rule(mine, top)
            _open_as(0, inside * 3)  # root: not the uid watched
            _open_as(uid + 1, inside)  # a neighbour's uid
            subprocess.run([str(tool)], user=uid, check=True, timeout=30)  # an exec under the directory
            _open_as(uid, [beside, Path("/etc/hostname"), *wanted])
            events = _after_everything(mine, sentinel)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    right = [e for e in events if e.kind == "open" and e.uid == uid and e.path.startswith(f"{watched}/")]
    wrong = [e for e in events if e not in right]
    check.that(
        len(right) == len(wanted),
        _("all {n} opens by uid {uid} under the watched directory were delivered", n=len(wanted), uid=uid),
        _(
            "your filter delivered {delivered} of the {n} opens by uid WATCH_UID of files under WATCH_DIR",
            delivered=len(right),
            n=len(wanted),
        ),
    )
    if wrong:
        e = wrong[0]
        raise CheckFailed(
            _(
                "your filter also delivered {count} other events, e.g. {kind} of {path!r} by uid {uid}: "
                "only opens, only by WATCH_UID, only of paths that start with WATCH_DIR (which ends with '/')",
                count=len(wrong),
                kind=e.kind,
                path=e.path,
                uid=e.uid,
            )
        )
    check.ok(_("nothing else left the kernel: not root's opens, not a neighbour's, not the directory next door"))
