#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# Every root command of the Makefile runs through this (`sudo scripts/as-root.sh CMD ARGS...` for a
# user who may sudo): first, whatever root left in the checkout (pytest's caches, tests/artifacts/,
# build/*.o compiled by the tests or a notebook, __pycache__, a capture a notebook wrote) goes back
# to the checkout's owner, so the user's own steps (the venv, build/) never meet a root-owned file;
# then CMD replaces this shell (signals reach it as before). pytest gives back what it made when it
# ends (tests/conftest.py), JupyterLab as it saves (ebpflab/labfiles.py); this catches the rest,
# e.g. after a killed run. The owner is the checkout folder's, not an environment variable's: root
# running make in root's checkout changes nothing.
set -euo pipefail

[ "$#" -gt 0 ] || { echo "as-root.sh: name the command to run as root." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "as-root.sh: run as root (make calls it through sudo)." >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd -P)
owner=$(stat -c %u:%g "$top")

hand_back() {  # -xdev and chown -h: never leave the checkout, never follow a link out of it; a file
  # with a second hard link may be a root file linked in from elsewhere: left alone
  [ "${owner%%:*}" != 0 ] || return 0
  find "$top" -xdev -user 0 \( -type d -o -links 1 \) -exec chown -h "$owner" {} + 2>/dev/null \
    || echo "ebpflab: some files root made in $top could not be given back to $(stat -c %U "$top") (find $top -user 0 lists them)." >&2
}
hand_back
exec "$@"
