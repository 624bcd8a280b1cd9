# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/06_tcpdump.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: kernel-filter
FILTER = "(tcp and port 8001) or icmp"


# %% exercise: tcp-flags
def tcp_flags(byte: int) -> str:
    letters = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")]
    return "".join(c for bit, c in letters if byte & bit) or "none"
