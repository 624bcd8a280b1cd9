# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`make lab`'s server: JupyterLab on 127.0.0.1 only, and only with the token; what a participant
creates through it belongs to the owner of the labs folder, though the server runs as root."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from httputil import free_port, http_status
from waiting import wait_until

EBPFLAB = str(Path(sys.executable).parent / "ebpflab")


@contextlib.contextmanager
def lab_server(env: dict[str, str], port: int) -> Iterator[str]:
    """`ebpflab lab` as `make lab` starts it, stopped afterwards; yields its token once it answers."""
    state = Path(env["EBPFLAB_STATE"])
    server = subprocess.Popen(
        [EBPFLAB, "lab"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        url = subprocess.run([EBPFLAB, "url"], env=env, capture_output=True, text=True, check=True).stdout.strip()
        token = (state / "jupyter-token").read_text().strip()
        assert url == f"http://127.0.0.1:{port}/lab?token={token}"
        wait_until(
            lambda: (
                server.poll() is not None
                or http_status(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) == 200
            ),
            60,
            "JupyterLab to start",
        )
        assert server.poll() is None, server.stdout.read()
        yield token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            pytest.fail("JupyterLab did not stop on SIGTERM")


def test_jupyterlab_listens_on_loopback_only_and_needs_the_token(tmp_path):
    port = free_port()
    env = dict(os.environ, EBPFLAB_PORT=str(port), EBPFLAB_STATE=str(tmp_path))
    with lab_server(env, port) as token:
        assert oct((tmp_path / "jupyter-token").stat().st_mode & 0o777) == "0o600"
        assert http_status(f"http://127.0.0.1:{port}/api/status", timeout=2) == 403
        listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout
        addrs = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
        assert addrs == {"127.0.0.1"}, f"JupyterLab must listen on 127.0.0.1 only, not {addrs}"
        assert_token_hidden_from_other_users(token, tmp_path)


def test_what_a_participant_creates_in_jupyterlab_is_theirs_not_roots(tmp_path):
    """A user who ran `make lab` with sudo: the server is root's, their checkout (here: nobody's) stays theirs."""
    user = pwd.getpwnam("nobody")
    labs = tmp_path / "labs"
    (labs / "captures").mkdir(parents=True)
    (labs / "mine.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (labs / "captures" / "notes.txt").write_text("a folder of the participant's\n")
    for path in (labs, labs / "captures", labs / "mine.ipynb", labs / "captures" / "notes.txt"):
        os.chown(path, user.pw_uid, user.pw_gid)
    port = free_port()
    env = dict(os.environ, EBPFLAB_PORT=str(port), EBPFLAB_STATE=str(tmp_path / "state"), EBPFLAB_LABS=str(labs))
    with lab_server(env, port) as token:

        def api(method: str, path: str, body: dict) -> dict:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/contents/{urllib.request.quote(path)}",
                data=json.dumps(body).encode(),
                method=method,
                headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)

        made = {
            "new notebook": api("POST", "", {"type": "notebook"})["path"],  # File → New → Notebook
            "new folder": api("POST", "", {"type": "directory"})["path"],  # the file browser's New Folder
        }
        made["new file in it"] = api("POST", made["new folder"], {"type": "file", "ext": ".txt"})["path"]
        made["saved new file"] = api("PUT", "hello.py", {"type": "file", "format": "text", "content": "print(1)\n"})[
            "path"
        ]
        copy = api("POST", "", {"copy_from": "captures"})["path"]  # a folder's Duplicate: shutil.copytree
        made["copied folder"], made["file in the copied folder"] = copy, f"{copy}/notes.txt"
        saved = api(
            "PUT",
            "mine.ipynb",
            {
                "type": "notebook",
                "content": {"cells": [], "metadata": {"saved": 1}, "nbformat": 4, "nbformat_minor": 5},
            },
        )
        made["saved existing notebook"] = saved["path"]
        assert json.loads((labs / "mine.ipynb").read_text())["metadata"] == {"saved": 1}
        owners = {what: (labs / path).stat().st_uid for what, path in made.items()}
        assert owners == dict.fromkeys(made, user.pw_uid), (
            f"files made through JupyterLab must be the labs folder's owner's (uid {user.pw_uid}): {owners}"
        )
        assert {(labs / p).stat().st_gid for p in made.values()} == {user.pw_gid}


def assert_token_hidden_from_other_users(token: str, state: Path) -> None:
    """Any local user reads every command line (`ps -eo args`): the root server's token must not be there."""
    ps = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "ps", "-ww", "-eo", "args"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "jupyter" in ps, "ps as nobody should see the server's command line"
    assert token not in ps, "the JupyterLab token is on a command line that every user can read"
    for name in ("jupyter-token", "jupyter_server_config.json"):
        st = (state / name).stat()
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600), f"{name} must be root's, mode 0600"


def test_files_a_notebook_cell_writes_are_the_folders_owners(tmp_path):
    """The kernel is root's too: a capture (`!ebpflab tcpdump -w`) or a saved plot lands in the user's folder as theirs."""
    import nbformat
    from nbclient import NotebookClient

    user = pwd.getpwnam("nobody")
    labs = tmp_path / "labs"
    labs.mkdir()
    os.chown(labs, user.pw_uid, user.pw_gid)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(s)
        for s in (
            "import ebpflab",
            "open('capture.pcap', 'wb').write(b'x')\n!touch plot.png && mkdir out",
        )
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(labs)}}).execute()
    owners = {p.name: (p.stat().st_uid, p.stat().st_gid) for p in labs.iterdir()}
    assert owners == dict.fromkeys(["capture.pcap", "plot.png", "out"], (user.pw_uid, user.pw_gid)), owners
