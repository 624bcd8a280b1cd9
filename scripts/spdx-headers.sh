#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# Gives every file of the checkout that has no SPDX header one (REUSE's `reuse annotate`), with the
# licence its path decides (CONTRIBUTING.md, "Licences"). Re-runnable: a file that already has a
# header keeps it. Files that cannot hold a comment (notebooks, JSON, saved logs, binaries) are
# annotated in REUSE.toml instead. `make spdx` runs this; `reuse lint` (make lint) checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
REUSE=${REUSE:-.venv/bin/reuse}
[ $# -eq 0 ] || { echo "spdx-headers: takes no arguments (it annotates the whole checkout)" >&2; exit 2; }
[ -x "$REUSE" ] || { echo "spdx-headers: $REUSE is missing: run make setup first" >&2; exit 2; }

annotate() {  # LICENCE [reuse options] -- FILE...
    local licence=$1 opts=() ; shift
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done; shift
    [ $# -gt 0 ] || return 0
    "$REUSE" annotate --copyright "The ebpflab contributors" --exclude-year --license "$licence" \
        --skip-existing "${opts[@]}" "$@" >/dev/null
}
# In a function, read whole before it runs: bash reads a script as it goes, and this one may annotate itself.
main() {
    local f bpf=() text=() code=() hash=()
    # Tracked files and new ones not yet added (but not ignored ones), so a new file gets its header before its first commit.
    while IFS= read -r f; do
        [ -f "$f" ] || continue  # deleted in the work tree
        case $f in
            LICENSE|LICENSES/*|REUSE.toml) ;;                     # the licences themselves
            *.ipynb|*.json|*.log|*.png|*.pcap) ;;                 # no comment syntax: REUSE.toml
            bpf/*.c|bpf/*.h) bpf+=("$f") ;;                       # loaded into the kernel: GPL-compatible dual licence
            *.md) text+=("$f") ;;                                 # lab text and guides
            .ci/run|*.service|*/Vagrantfile) hash+=("$f") ;;      # no extension REUSE knows: `#` comments
            *) code+=("$f") ;;
        esac
    done < <(git ls-files --cached --others --exclude-standard)

    annotate "GPL-2.0-only OR BSD-2-Clause" --style cppsingle -- "${bpf[@]}"
    annotate "CC-BY-4.0" -- "${text[@]}"
    annotate "MIT" --style python -- "${hash[@]}"
    annotate "MIT" -- "${code[@]}"
    echo "spdx-headers: $(( ${#bpf[@]} + ${#text[@]} + ${#hash[@]} + ${#code[@]} )) files carry an SPDX header"
}
main "$@"; exit  # on one line: bash has read it whole before main rewrites this file
