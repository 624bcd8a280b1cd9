# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 00's check must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: three-hosts — the number of the old exercise typed in (issue 26's table)
attacker_replies = 2


# %% shortcut: three-hosts — the count handed back, no network built
def attacker_replies(count):
    return count


# %% shortcut: three-hosts — two hosts only, the client pinging
def attacker_replies(count):
    with LabNet() as net:
        return traffic.ping(net, "client", "server", count=count)


# %% shortcut: three-hosts — three hosts, but the client pings the server
def attacker_replies(count):
    with LabNet(["client", "server", "attacker"]) as net:
        return traffic.ping(net, "client", "server", count=count)


# %% shortcut: three-hosts — the attacker pings, then the number from the exercise's old text is returned
def attacker_replies(count):
    with LabNet(["client", "server", "attacker"]) as net:
        traffic.ping(net, "attacker", "server", count=count)
    return 2


# %% shortcut: three-hosts — always two pings, whatever the count
def attacker_replies(count):
    with LabNet(["client", "server", "attacker"]) as net:
        traffic.ping(net, "attacker", "server", count=2)
    return count


# %% shortcut: three-hosts — a network left open (the check closes it), the count returned without pinging
def attacker_replies(count):
    LabNet(["client", "server", "attacker"]).__enter__()
    return count
