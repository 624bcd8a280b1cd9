"""``make lab``: JupyterLab on 127.0.0.1 only, with a token, serving ``labs/`` (lab 00).

Its kernels run as root (they load BPF programs), so the server is never exposed: it listens on
the loopback address, and the token is required. The token is kept in a file readable by root
only, so ``ebpflab url`` can print the address again (the VM's provisioning uses it).

In the Vagrant VM, EBPFLAB_IP names the guest's NAT address instead: a forwarded port arrives
there, not on the guest's loopback, and the host end of the forward is bound to 127.0.0.1.

What a participant sees first is set here too: lab 00 open on first start (a seeded default
workspace) instead of the Launcher, no "Jupyter news" question (``jupyterlab/overrides.json``),
the ``solutions/`` folder left out of the file browser's list (File → Open from Path… still opens
it), and checkpoints kept out of ``labs/``.
"""
from __future__ import annotations

import json
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


FIRST_LAB = "00_setup.ipynb"
HIDDEN = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "solutions"]  # JupyterLab's own, and the answers


def first_screen_args() -> list[str]:
    """JupyterLab options for the participant's first screen (see the module docstring)."""
    workspaces = STATE / "workspaces"
    _seed_workspace(workspaces)
    return [f"--LabApp.app_settings_dir={Path(__file__).parent / 'jupyterlab'}",
            f"--LabApp.workspaces_dir={workspaces}",
            f"--FileCheckpoints.checkpoint_dir={STATE / 'checkpoints'}",
            # Folders come first in the file browser: keep the answers out of a participant's first look.
            *(f"--ContentsManager.hide_globs={g}" for g in HIDDEN)]


def _seed_workspace(folder: Path) -> None:
    """Write a default workspace with lab 00 open, unless one exists (the participant's layout wins)."""
    from jupyterlab_server.workspaces_handler import WORKSPACE_EXTENSION, slugify

    path = folder / (slugify("default") + WORKSPACE_EXTENSION)
    if path.exists():
        return
    widget = f"notebook:{FIRST_LAB}"
    workspace = {"data": {"layout-restorer:data": {"main": {"dock": {"type": "tab-area", "currentIndex": 0,
                                                                     "widgets": [widget]}, "current": widget},
                                                   "left": {"collapsed": False, "current": "filebrowser",
                                                            "widgets": ["filebrowser"]},
                                                   "relativeSizes": [0.22, 0.78, 0]},
                          widget: {"data": {"path": FIRST_LAB, "factory": "Notebook"}}},
                 "metadata": {"id": "default"}}
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(workspace))


def serve() -> int:
    """Replace this process with JupyterLab (foreground; Ctrl-C stops it)."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if jupyter is None:
        print("ebpflab: JupyterLab is not installed in this environment: run `make lab`.", file=sys.stderr)
        return 1
    print(f"\n  Open this address in your browser:\n\n    {url()}\n\n  (Ctrl-C stops JupyterLab.)\n", flush=True)
    args = [jupyter, "lab", f"--ip={listen_ip()}", f"--port={port()}", "--no-browser", "--allow-root",
            f"--IdentityProvider.token={token()}", f"--ServerApp.root_dir={LABS_DIR}",
            "--ServerApp.port_retries=0", *first_screen_args()]
    # Notebook cells run `!ebpflab ...`: put this environment's commands first on PATH.
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    os.execv(jupyter, args)
    return 0  # not reached
