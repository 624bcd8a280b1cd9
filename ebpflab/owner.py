# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Files root makes in a participant's checkout go back to the checkout's owner (lab 00: ``make lab``, ``make test``).

Programs load as root, so JupyterLab, its kernels and pytest run as root, even for a user who ran
``make`` with sudo. Whose a file should be is read from the folder it belongs to (the checkout or
``labs/``), never from an environment variable such as SUDO_UID: root working in root's own
checkout changes nothing. Links are never followed (``lchown``), a file with a second hard link is
left alone (it may be a root file linked in from elsewhere, where ``fs.protected_hardlinks`` is off),
and a walk never leaves its file system.
"""

from __future__ import annotations

import os
from pathlib import Path


def owner_of(folder: Path) -> tuple[int, int]:
    """(uid, gid) of ``folder``: whom what root makes inside it belongs to."""
    st = os.stat(folder)
    return st.st_uid, st.st_gid


def give_back(path: Path, folder: Path) -> None:
    """Give ``path`` (inside ``folder``) to the folder's owner, if root made it for someone else."""
    uid, gid = owner_of(folder)
    if os.geteuid() != 0 or uid == 0:
        return
    st = os.lstat(path)
    if (st.st_uid, st.st_gid) != (uid, gid) and _single(st):
        os.lchown(path, uid, gid)


def _single(st: os.stat_result) -> bool:
    """Whether a file may change hands: a folder, or a file with no other hard link."""
    import stat

    return stat.S_ISDIR(st.st_mode) or st.st_nlink == 1


def give_back_tree(folder: Path, of: Path | None = None, recursive: bool = True) -> int:
    """Give what root owns under ``folder`` to the owner of ``of`` (default: the folder); return how many changed."""
    uid, gid = owner_of(of or folder)
    if os.geteuid() != 0 or uid == 0:
        return 0
    dev, changed = os.stat(folder).st_dev, 0
    if of is not None and os.lstat(folder).st_uid == 0:  # the folder itself, when root made it too
        os.lchown(folder, uid, gid)
        changed += 1
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(top, name)
            try:
                st = os.lstat(path)
                if st.st_dev != dev:  # another file system mounted inside: not the checkout's
                    if name in dirs:
                        dirs.remove(name)
                    continue
                if st.st_uid == 0 and _single(st):
                    os.lchown(path, uid, gid)
                    changed += 1
            except FileNotFoundError:  # gone meanwhile
                continue
        if not recursive:
            break
    return changed


def give_back_after_cell(build: Path) -> None:
    """After a notebook cell run as root: what it wrote in the notebook's folder (a capture, a saved plot;
    not below, a home folder can be large) and in ``build`` (CO-RE objects) goes to that folder's owner."""
    try:
        give_back_tree(Path.cwd(), recursive=False)
        if build.is_dir():
            give_back_tree(build)
    except OSError:  # never fail a learner's cell over ownership; the next `make` gives it back anyway
        pass
