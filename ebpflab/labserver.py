# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""``make lab``: JupyterLab on 127.0.0.1 only, with a token, serving ``labs/`` (no lab imports it).

Its kernels run as root (they load BPF programs), so the server is never exposed: it listens on
the loopback address, and the token is required. The token is kept in a file readable by root
only, so ``ebpflab url`` can print the address again (the VM's provisioning uses it). It never
goes on JupyterLab's command line, which every local user can read (``ps -eo args``): the server
gets it from a config file that is root's, mode 0600, like the token file.

In the Vagrant VM, EBPFLAB_IP names the guest's NAT address instead: a forwarded port arrives
there, not on the guest's loopback, and the host end of the forward is bound to 127.0.0.1.

What a participant sees first is set here too: lab 00 open on first start (a seeded default
workspace) instead of the Launcher, no "Jupyter news" question (``jupyterlab/overrides.json``),
the ``solutions/`` folder left out of the file browser's list (File → Open from Path… still opens
it), and checkpoints kept out of ``labs/``. What a participant creates through JupyterLab belongs to
the owner of ``labs/`` (``labfiles``), though the server is root's. EBPFLAB_LABS serves another folder
(the tests use it).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from . import LABS_DIR
from .errors import LabError, NotRootError
from .i18n import build
from .messages import _, language

STATE = Path(os.environ.get("EBPFLAB_STATE", "/var/lib/ebpflab"))


def port() -> int:
    """The port to serve on: EBPFLAB_PORT, or 8888."""
    text = os.environ.get("EBPFLAB_PORT", "8888")
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise LabError(_("EBPFLAB_PORT must be a TCP port number from 1 to 65535, not {text!r}", text=text))
    return int(text)


def listen_ip() -> str:
    """The address JupyterLab listens on: EBPFLAB_IP, or 127.0.0.1 (the VM sets its NAT address)."""
    return os.environ.get("EBPFLAB_IP") or "127.0.0.1"  # empty would mean every interface


def token() -> str:
    """The server's token, made once and kept in a root-only file."""
    path = STATE / "jupyter-token"
    try:
        if path.exists():
            path.chmod(0o600)  # a copy from an older kit, or restored from a backup, may be readable
            return path.read_text().strip()
        STATE.mkdir(parents=True, exist_ok=True)
        # `ebpflab url` may run while `ebpflab lab` starts: the first token made wins, never a second one.
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        _write_private(tmp, secrets.token_hex(24) + "\n")
        try:
            os.link(tmp, path)  # atomic, and fails if the file exists
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()
    except PermissionError:
        raise NotRootError(
            _("the JupyterLab token in {path} is readable by root only: run the command with sudo.", path=path)
        ) from None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read (mode 0600, set before any byte is written)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # O_CREAT's mode is masked by umask and ignored for an existing file
        f.write(text)
    os.replace(tmp, path)


def server_config() -> Path:
    """JupyterLab's settings with the token, in a root-only file passed by name (never the token on argv)."""
    path = STATE / "jupyter_server_config.json"
    settings = {
        "IdentityProvider": {"token": token()},
        "ServerApp": {
            "ip": listen_ip(),
            "port": port(),
            "port_retries": 0,
            "open_browser": False,
            "allow_root": True,
            "root_dir": str(os.environ.get("EBPFLAB_LABS") or LABS_DIR),
            # what a participant creates in their checkout is theirs, not root's
            "contents_manager_class": "ebpflab.labfiles.OwnedFileManager",
        },
        "FileContentsManager": {"post_save_hook": "ebpflab.labfiles.post_save"},
    }
    _write_private(path, json.dumps(settings, indent=1) + "\n")
    return path


def url() -> str:
    """The address to open in a browser (on the VM's host, through the forwarded port)."""
    return f"http://127.0.0.1:{port()}/lab?token={token()}"


def main(args: argparse.Namespace) -> int:
    """``ebpflab lab`` serves JupyterLab; ``ebpflab url`` prints its address."""
    if args.command == "url":
        print(url())  # i18n: as is (the address alone: the VM's provisioning reads it)
        return 0
    return serve()


FIRST_LAB = "00_setup.ipynb"
HIDDEN = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "solutions"]  # JupyterLab's own, and the answers


def first_screen_args(lang: str = "en") -> list[str]:
    """JupyterLab options for the participant's first screen (see the module docstring), in ``lang``."""
    workspaces = STATE / ("workspaces" if lang == "en" else f"workspaces-{lang}")
    _seed_workspace(workspaces, FIRST_LAB if lang == "en" else f"{lang}/{FIRST_LAB}")
    return [
        f"--LabApp.app_settings_dir={app_settings(lang)}",
        f"--LabApp.workspaces_dir={workspaces}",
        f"--FileCheckpoints.checkpoint_dir={STATE / 'checkpoints'}",
        # Folders come first in the file browser: keep the answers out of a participant's first look.
        *(f"--ContentsManager.hide_globs={g}" for g in HIDDEN),
    ]


def app_settings(lang: str) -> Path:
    """JupyterLab's default settings (``jupyterlab/overrides.json``); for Japanese, with the language pack's locale."""
    ours = Path(__file__).parent / "jupyterlab"
    if lang == "en":
        return ours
    folder = STATE / f"settings-{lang}"
    folder.mkdir(parents=True, exist_ok=True)
    overrides = json.loads((ours / "overrides.json").read_text())
    overrides["@jupyterlab/translation-extension:plugin"] = {"locale": LOCALES[lang]}
    (folder / "overrides.json").write_text(json.dumps(overrides, indent=1) + "\n")
    return folder


LOCALES = {"ja": "ja_JP"}  # the language packs' names (jupyterlab-language-pack-ja-JP)


def _seed_workspace(folder: Path, first: str = FIRST_LAB) -> None:
    """Write a default workspace with lab 00 open, unless one exists (the participant's layout wins)."""
    from jupyterlab_server.workspaces_handler import WORKSPACE_EXTENSION, slugify

    path = folder / (slugify("default") + WORKSPACE_EXTENSION)
    if path.exists():
        return
    widget = f"notebook:{first}"
    workspace = {
        "data": {
            "layout-restorer:data": {
                "main": {"dock": {"type": "tab-area", "currentIndex": 0, "widgets": [widget]}, "current": widget},
                "left": {"collapsed": False, "current": "filebrowser", "widgets": ["filebrowser"]},
                "relativeSizes": [0.22, 0.78, 0],
            },
            widget: {"data": {"path": first, "factory": "Notebook"}},
        },
        "metadata": {"id": "default"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(workspace))


def serve() -> int:
    """Replace this process with JupyterLab (foreground; Ctrl-C stops it)."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if jupyter is None:
        print(_("ebpflab: JupyterLab is not installed in this environment: run `make lab`."), file=sys.stderr)
        return 1
    lang = language()
    if lang != "en":
        # labs/ja/ (or ja/ in the folder EBPFLAB_LABS serves): the notebooks in Japanese, from the English ones and locale/
        build(lang, dest=Path(os.environ.get("EBPFLAB_LABS") or LABS_DIR) / lang)
        os.environ["EBPFLAB_LANG"] = lang  # the kernels' messages, charts and checks too
    print(
        "\n  "
        + _("Open this address in your browser:")
        + f"\n\n    {url()}\n\n  "
        + _("(Ctrl-C stops JupyterLab.)")
        + "\n",
        flush=True,
    )
    # The token lives in the root-only config file; nothing secret on argv, which any user can read.
    args = [jupyter, "lab", f"--config={server_config()}", *first_screen_args(lang)]
    # Notebook cells run `!ebpflab ...`: put this environment's commands first on PATH.
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    os.execv(jupyter, args)
    return 0  # not reached
