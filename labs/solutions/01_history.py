# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/01_history.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: dns-filter
DNS_FILTER = "udp dst port 53"


# %% exercise: hand-written
def arp_listing(snaplen):
    """A classic BPF listing (text) that keeps `snaplen` bytes of each ARP frame and rejects the rest."""
    return f"""
    ldh [12]
    jeq #0x806 jt 2 jf 3
    ret #{snaplen}
    ret #0
    """


# %% exercise: deny-mkdir
DENIED = ["mkdir", "mkdirat"]  # x86-64 coreutils calls mkdir(); arm64 has only mkdirat()
