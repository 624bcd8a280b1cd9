# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 03's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""


# %% shortcut: busiest — the biggest talker of step 2, read off the SENDERS table
def busiest(snapshot):
    return "198.18.1.11"


# %% shortcut: busiest — the most packets, not the most bytes
def busiest(snapshot):
    return max(snapshot, key=lambda src: snapshot[src][0])


# %% shortcut: busiest — the highest address
def busiest(snapshot):
    return max(snapshot)


# %% shortcut: seed — packets and bytes swapped
def seed(talkers):
    talkers[talkers.Key(maps.ipv4_key("198.18.9.9"))] = talkers.Leaf(4200, 42)


# %% shortcut: seed — the address's bytes in host order
def seed(talkers):
    talkers[talkers.Key(int.from_bytes(bytes([198, 18, 9, 9]), "big"))] = talkers.Leaf(42, 4200)


# %% shortcut: seed — an extra entry beside the right one
def seed(talkers):
    talkers[talkers.Key(maps.ipv4_key("198.18.9.9"))] = talkers.Leaf(42, 4200)
    talkers[talkers.Key(maps.ipv4_key("198.18.9.8"))] = talkers.Leaf(1, 1)
