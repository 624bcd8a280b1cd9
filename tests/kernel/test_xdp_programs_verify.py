# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Every XDP program the labs load passes this kernel's verifier (run on each kernel of `make vm-test`).

Verifiers differ by kernel: what 6.18 accepts, 6.1 (the Vagrant VM's) or 6.12 (Debian 13's) may
refuse, and a lab would stop at its first cell. Loading is enough to ask the verifier; nothing attaches.
"""

from __future__ import annotations

import pytest

from ebpflab import BPF_DIR
from ebpflab.loader import Program

XDP_PROGRAMS = sorted(p.stem for p in BPF_DIR.glob("xdp_*.c") if not p.name.endswith(".bpf.c"))


def test_the_lab_programs_are_all_listed():
    assert {"xdp_capture", "xdp_parse", "xdp_firewall", "xdp_monitor"} <= set(XDP_PROGRAMS)


@pytest.mark.parametrize("name", XDP_PROGRAMS)
def test_each_xdp_program_passes_the_verifier(name):
    with Program(name) as prog:
        prog.load(name, "xdp")
