# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 06's tcpdump on XDP: capture, filters, pcap files, and the text ``tcpdump -n`` prints (lab 06).

``capture`` (XDP and a ring buffer read a batch at a time by ``ringbuf``; ``corecapture`` is the same on libbpf),
``capfilter`` (tcpdump expressions, in the kernel when they can be), ``pcap`` (the files), ``print`` (the text,
a module a layer) and ``command`` (``ebpflab tcpdump``).
"""
