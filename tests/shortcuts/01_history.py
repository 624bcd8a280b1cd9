# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 01's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: dns-filter — both directions: the answer from port 53 gets through
DNS_FILTER = "udp port 53"

# %% shortcut: dns-filter — the sample query's source port, read off the samples
DNS_FILTER = "udp and src port 40000"

# %% shortcut: dns-filter — any protocol to port 53, TCP included
DNS_FILTER = "dst port 53"

# %% shortcut: dns-filter — every UDP datagram
DNS_FILTER = "udp"


# %% shortcut: hand-written — libpcap compiles it, the listing is printed (issue 26's table)
def arp_listing(snaplen):
    return cbpf.disassemble(cbpf.compile("arp", snaplen=snaplen))


# %% shortcut: hand-written — libpcap's instructions themselves, not a listing
def arp_listing(snaplen):
    return cbpf.compile("arp", snaplen=snaplen)


# %% shortcut: hand-written — compiled once outside the function, the length patched in
ARP_64 = cbpf.disassemble(cbpf.compile("arp", snaplen=64))


def arp_listing(snaplen):
    return ARP_64.replace("#64", f"#{snaplen}")


# %% shortcut: hand-written — the listing `tcpdump -d` prints
def arp_listing(snaplen):
    return subprocess.run(["tcpdump", "-d", "-s", str(snaplen), "arp"], capture_output=True, text=True).stdout


# %% shortcut: hand-written — the 64 bytes of the old exercise, whatever snaplen says
def arp_listing(snaplen):
    return "ldh [12]\njeq #0x806 jt 2 jf 3\nret #64\nret #0"


# %% shortcut: hand-written — only the low byte of the EtherType compared
def arp_listing(snaplen):
    return f"ldb [13]\njeq #0x06 jt 2 jf 3\nret #{snaplen}\nret #0"


# %% shortcut: hand-written — accepts everything
def arp_listing(snaplen):
    return f"ret #{snaplen}"


# %% shortcut: deny-mkdir — mkdir only: arm64 has no such call, its mkdirat stays allowed
DENIED = ["mkdir"]

# %% shortcut: deny-mkdir — mkdirat only: x86-64's mkdir command calls mkdir()
DENIED = ["mkdirat"]

# %% shortcut: deny-mkdir — too wide: write goes too, and echo with it
DENIED = ["mkdir", "mkdirat", "write"]

# %% shortcut: deny-mkdir — a neighbour taken away too: unlinkat (rm, rmdir)
DENIED = ["mkdir", "mkdirat", "unlinkat"]

# %% shortcut: deny-mkdir — more than two calls, the third one no shell needs
DENIED = ["mkdir", "mkdirat", "reboot"]

# %% shortcut: deny-mkdir — a name instead of a list
DENIED = "mkdir"
