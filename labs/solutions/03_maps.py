# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/03_maps.ipynb (the test suite substitutes them for the stubs)."""


# %% exercise: busiest
def busiest(snapshot):
    """The source address (a string such as "198.18.1.10") that sent the most bytes."""
    return max(snapshot, key=lambda src: snapshot[src][1])


# %% exercise: seed
def seed(talkers):
    """Store packets=42, bytes=4200 for 198.18.9.9."""
    talkers[talkers.Key(maps.ipv4_key("198.18.9.9"))] = talkers.Leaf(42, 4200)
