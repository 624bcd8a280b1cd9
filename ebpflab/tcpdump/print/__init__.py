# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text, a module a layer like tcpdump's print-*.c (lab 06).

``base`` (what the layers share: ``Context``, the cut, addresses, dumps), ``link`` (Ethernet II and its VLAN tags,
802.3 and LLC, spanning tree, ARP), ``ip`` (IPv4, IPv6, MPLS, tunnels), ``icmp``, ``transport`` (TCP, UDP, SCTP,
DCCP), ``apps`` (DNS, HTTP, OSPF); ``text.Printer`` owns the line. Layers import downwards only, never ``text``.
"""
