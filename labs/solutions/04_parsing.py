# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/04_parsing.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: udp-check
udp_check = "if ((void *)(udp + 1) > data_end) return XDP_PASS;"


# %% exercise: fragment
def fragment_frame(net):
    """A later fragment of a TCP datagram from client to server."""
    return (
        traffic.ether(net, "client", "server")
        / IP(src=net["client"].ip, dst=net["server"].ip, frag=100, proto=6)
        / (b"x" * 24)
    )
