# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions of lab 07 (an XDP firewall driven from Python)."""


# %% exercise: web
def close_web(fw: Firewall) -> Rule:
    """Add the rule that drops TCP packets to port 80 and return it."""
    return fw.block_port(80, "tcp")


# %% exercise: prefix
bad_block = "198.18.0.64/26"
