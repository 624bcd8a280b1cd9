"""``make lab``: JupyterLab on 127.0.0.1 only, with a token, serving ``labs/`` (lab 00).

Its kernels run as root (they load BPF programs), so the server is never exposed: it listens on
the loopback address, and the token is required. The token is kept in a file readable by root
only, so ``ebpflab url`` can print the address again (the VM's provisioning uses it).

In the Vagrant VM, EBPFLAB_IP names the guest's NAT address instead: a forwarded port arrives
there, not on the guest's loopback, and the host end of the forward is bound to 127.0.0.1.
"""
from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

from . import LABS_DIR
from .errors import NotRootError

STATE = Path(os.environ.get("EBPFLAB_STATE", "/var/lib/ebpflab"))


def port() -> int:
    """The port to serve on: EBPFLAB_PORT, or 8888."""
    return int(os.environ.get("EBPFLAB_PORT", "8888"))


def listen_ip() -> str:
    """The address JupyterLab listens on: EBPFLAB_IP, or 127.0.0.1 (the VM sets its NAT address)."""
    return os.environ.get("EBPFLAB_IP") or "127.0.0.1"  # empty would mean every interface


def token() -> str:
    """The server's token, made once and kept in a root-only file."""
    path = STATE / "jupyter-token"
    try:
        if path.exists():
            return path.read_text().strip()
        STATE.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except PermissionError:
        raise NotRootError(f"the JupyterLab token in {path} is readable by root only: run the command with sudo.") from None
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def url() -> str:
    """The address to open in a browser (on the VM's host, through the forwarded port)."""
    return f"http://127.0.0.1:{port()}/lab?token={token()}"


def run(args) -> int:
    """``ebpflab lab`` serves JupyterLab; ``ebpflab url`` prints its address."""
    if args.command == "url":
        print(url())
        return 0
    return serve()


def serve() -> int:
    """Replace this process with JupyterLab (foreground; Ctrl-C stops it)."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if jupyter is None:
        print("ebpflab: JupyterLab is not installed in this environment: run `make lab`.", file=sys.stderr)
        return 1
    print(f"\n  Open this address in your browser:\n\n    {url()}\n\n  (Ctrl-C stops JupyterLab.)\n", flush=True)
    args = [jupyter, "lab", f"--ip={listen_ip()}", f"--port={port()}", "--no-browser", "--allow-root",
            f"--IdentityProvider.token={token()}", f"--ServerApp.root_dir={LABS_DIR}",
            "--ServerApp.port_retries=0"]
    # Notebook cells run `!ebpflab ...`: put this environment's commands first on PATH.
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    os.execv(jupyter, args)
    return 0  # not reached
