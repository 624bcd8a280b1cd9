# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""scripts/as-root.sh, through which `make` runs what needs root: root's leftovers in a user's checkout go back to them."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def checkout(tmp_path: Path, owner: pwd.struct_passwd) -> Path:
    """A checkout with the script, owned by ``owner``, where root left a cache, a build product and a link."""
    top = tmp_path / "checkout"
    (top / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "as-root.sh", top / "scripts")
    for path in (top, top / "scripts", top / "scripts" / "as-root.sh"):
        os.chown(path, owner.pw_uid, owner.pw_gid)
    (top / ".pytest_cache").mkdir()
    (top / ".pytest_cache" / "lastfailed").write_text("{}")
    (top / "build" / "cells").mkdir(parents=True)
    (top / "build" / "cells" / "cell.bpf.o").write_bytes(b"\x7fELF")
    (top / "passwd").symlink_to("/etc/passwd")  # a link out of the checkout: the link changes, never its target
    (tmp_path / "roots-secret").write_text(
        "root's\n"
    )  # a root file elsewhere, hard-linked in (protected_hardlinks off)
    os.link(tmp_path / "roots-secret", top / "secret")
    return top


def test_roots_leftovers_go_back_to_the_checkouts_owner_before_the_command(tmp_path):
    nobody = pwd.getpwnam("nobody")
    top = checkout(tmp_path, nobody)
    res = subprocess.run(
        [str(top / "scripts" / "as-root.sh"), "stat", "-c", "%u", ".pytest_cache"],
        cwd=top,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(nobody.pw_uid), "the command must find the leftovers already given back"
    leftovers = [
        top / ".pytest_cache",
        top / ".pytest_cache" / "lastfailed",
        top / "build",
        top / "build" / "cells",
        top / "build" / "cells" / "cell.bpf.o",
        top / "passwd",
    ]
    assert {p: (p.lstat().st_uid, p.lstat().st_gid) for p in leftovers} == dict.fromkeys(
        leftovers, (nobody.pw_uid, nobody.pw_gid)
    )
    assert Path("/etc/passwd").stat().st_uid == 0
    assert (top / "secret").stat().st_uid == 0, "a file with another hard link is not the checkout's alone"


def test_in_roots_own_checkout_nothing_changes_whoever_sudo_says_ran_it(tmp_path):
    top = checkout(tmp_path, pwd.getpwnam("root"))
    env = dict(os.environ, SUDO_UID="65534", SUDO_GID="65534", SUDO_USER="nobody")  # the folder decides, not these
    res = subprocess.run(
        [str(top / "scripts" / "as-root.sh"), "true"], cwd=top, env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert {p.lstat().st_uid for p in top.rglob("*")} == {0}


def test_no_command_is_one_sentence():
    res = subprocess.run([str(REPO / "scripts" / "as-root.sh")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and res.stderr.startswith("as-root.sh: ")
