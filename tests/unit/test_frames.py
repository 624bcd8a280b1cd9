# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""One walk past VLAN tags for every module that looks inside a frame (no kernel)."""

from __future__ import annotations

import ctypes

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

from ebpflab import bpfcall, cbpf
from ebpflab.frames import l3, protocol_of, vlan_tags


def test_l3_walks_every_tag_kind():
    ip = IP(src="198.18.0.1", dst="198.18.0.2") / UDP()
    assert l3(bytes(Ether() / ip)) == (0x0800, 14)
    assert l3(bytes(Ether() / Dot1Q(vlan=5) / ip)) == (0x0800, 18)
    assert l3(bytes(Ether() / Dot1AD(vlan=5) / Dot1Q(vlan=6) / ARP())) == (0x0806, 22)
    old_qinq = bytes(Ether(type=0x9100) / Dot1Q(vlan=7) / ip)
    assert l3(old_qinq) == (0x0800, 18) and [tci & 0xFFF for tci, _ in vlan_tags(old_qinq)] == [7]
    assert l3(b"\x00" * 10) == (0, 10)
    assert protocol_of(bytes(Ether() / Dot1Q() / ip)) == "VLAN UDP"


def test_the_bpf_syscall_number_is_known_here_and_structs_have_the_kernel_sizes():
    assert bpfcall.number() == bpfcall.SYS_BPF[bpfcall.abi()]
    assert ctypes.sizeof(bpfcall.TestRunAttr) == 80  # union bpf_attr's `test` member: 76 bytes, 8-aligned
    assert ctypes.sizeof(cbpf._BpfInsn) == 8  # struct sock_filter / struct bpf_insn
