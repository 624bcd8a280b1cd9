# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/00_setup.ipynb (the test suite substitutes them for the stubs)."""


# %% exercise: three-hosts
def attacker_replies(count):
    """Build the three-host network, ping the server `count` times from the attacker, return the replies."""
    with LabNet(["client", "server", "attacker"]) as net:
        return traffic.ping(net, "attacker", "server", count=count)
