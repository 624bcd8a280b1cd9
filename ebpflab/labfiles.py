# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""JupyterLab's file operations give what they make to the owner of ``labs/`` (``make lab``).

JupyterLab runs as root (its kernels load programs), so without this a notebook, file or folder a
participant creates in their own checkout would be root's. jupyter_server runs its post-save hook
after every write through its contents API: a new untitled notebook, file or folder, a save, an
upload's last chunk, a copied file. Renames move the file and keep its owner. A copied folder is the
one write that skips the hook (shutil.copytree), so the contents manager below gives it back itself.
labserver.server_config() names both in the server's root-only config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

from .owner import give_back, give_back_tree


def post_save(model: dict, os_path: str, contents_manager: Any) -> None:
    """jupyter_server's post-save hook: the saved file or folder goes to the owner of the served folder."""
    give_back(Path(os_path), Path(contents_manager.root_dir))


class OwnedFileManager(AsyncLargeFileManager):
    """JupyterLab's default contents manager, with copied folders given to the served folder's owner."""

    async def copy(self, from_path: str, to_path: str | None = None) -> dict:
        """Copy a file (the post-save hook runs) or a folder (given back here, whole)."""
        model = await super().copy(from_path, to_path)
        if model["type"] == "directory":
            give_back_tree(Path(self._get_os_path(model["path"])), of=Path(self.root_dir))
        return model
