"""`make lab`'s server: JupyterLab on 127.0.0.1 only, and only with the token."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from httputil import free_port, http_status
from waiting import wait_until


def test_jupyterlab_listens_on_loopback_only_and_needs_the_token(tmp_path):
    port = free_port()
    env = dict(os.environ, EBPFLAB_PORT=str(port), EBPFLAB_STATE=str(tmp_path))
    ebpflab = str(Path(sys.executable).parent / "ebpflab")
    server = subprocess.Popen([ebpflab, "lab"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        url = subprocess.run([ebpflab, "url"], env=env, capture_output=True, text=True, check=True).stdout.strip()
        token = (tmp_path / "jupyter-token").read_text().strip()
        assert url == f"http://127.0.0.1:{port}/lab?token={token}"
        assert oct((tmp_path / "jupyter-token").stat().st_mode & 0o777) == "0o600"
        wait_until(lambda: server.poll() is not None or http_status(f"http://127.0.0.1:{port}/api/status?token={token}",
                                                                      timeout=2) == 200, 60, "JupyterLab to start")
        assert server.poll() is None, server.stdout.read()
        assert http_status(f"http://127.0.0.1:{port}/api/status", timeout=2) == 403
        listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout
        addrs = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
        assert addrs == {"127.0.0.1"}, f"JupyterLab must listen on 127.0.0.1 only, not {addrs}"
        assert_token_hidden_from_other_users(token, tmp_path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            pytest.fail("JupyterLab did not stop on SIGTERM")


def assert_token_hidden_from_other_users(token: str, state: Path) -> None:
    """Any local user reads every command line (`ps -eo args`): the root server's token must not be there."""
    ps = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "ps", "-ww", "-eo", "args"],
                        capture_output=True, text=True, check=True).stdout
    assert "jupyter" in ps, "ps as nobody should see the server's command line"
    assert token not in ps, "the JupyterLab token is on a command line that every user can read"
    for name in ("jupyter-token", "jupyter_server_config.json"):
        st = (state / name).stat()
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600), f"{name} must be root's, mode 0600"
