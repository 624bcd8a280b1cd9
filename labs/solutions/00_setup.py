# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/00_setup.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: three-hosts
with LabNet(("client", "server", "attacker")) as net3:
    attacker_replies = traffic.ping(net3, "attacker", "server", count=2)
