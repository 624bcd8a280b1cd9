# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Benchmarks of the lab kit (issue 10): ``python -m bench`` (``make bench``) prints four tables.

Figures, not tests: what each XDP program costs per packet (``programs``), dropping early vs late
(``drop``), the capture path (``capture``), and the lab suite's wall time (``suite``).
"""
