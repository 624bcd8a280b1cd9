# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The kernel's own firewall, for comparison with XDP's: one nftables drop rule in a lab namespace (lab 07).

``nft_drop`` installs the same drop as ``Firewall.block_port`` with nftables, inside one lab host's
namespace only, counts what it dropped, and always deletes its table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import LabError
from .firewall import IP_PROTOCOLS
from .messages import _
from .netlab import LabNet


class NftDrop:
    """A drop rule installed with nftables in one lab host's namespace; counts what it dropped."""

    def __init__(self, net: LabNet, host: str, port: int, proto: str = "udp", hook: str = "input") -> None:
        self.net, self.host, self.port, self.proto, self.hook = net, host, port, proto, hook

    def packets(self) -> int:
        """Packets the nftables rule has dropped so far (its counter)."""
        out = self.net.run(self.host, "nft", "list", "chain", "inet", "ebpflab", self.hook, timeout=10).stdout
        m = re.search(r"counter packets (\d+)", out)
        return int(m.group(1)) if m else 0


@contextmanager
def nft_drop(net: LabNet, host: str, port: int, proto: str = "udp", hook: str = "input") -> Iterator[NftDrop]:
    """Drop ``proto`` packets to ``port`` with nftables on ``host`` (its namespace only) for the block."""
    if proto not in IP_PROTOCOLS:
        raise LabError(
            _("protocol {proto!r} is not one of {protocols}", proto=proto, protocols=", ".join(IP_PROTOCOLS))
        )
    if hook not in ("input", "prerouting"):
        raise LabError(_("hook must be 'input' or 'prerouting'"))
    ruleset = (
        f"table inet ebpflab {{\n chain {hook} {{ type filter hook {hook} priority 0; policy accept;\n"
        f"  {proto} dport {int(port)} counter drop\n }}\n}}\n"
    )
    net.run(host, "nft", "-f", "-", input=ruleset, timeout=10)
    try:
        yield NftDrop(net, host, port, proto, hook)
    finally:
        net.run(host, "nft", "delete", "table", "inet", "ebpflab", check=False, timeout=10)
