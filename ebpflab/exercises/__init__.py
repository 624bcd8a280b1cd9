# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The exercises' checks, one module per lab (``lab03`` for labs/03_maps.ipynb), out of the notebooks (lab 00).

A check cell is one call, ``lab03.busiest(busiest)``: the learner sees what is checked in the
exercise's text, not the reference answer. A check judges behaviour: it runs the learner's function
or C program on traffic or inputs it makes itself (random where a fixed input could be guessed), and
compares with a reference kept here. ``tests/shortcuts/`` lists the wrong answers each check must
refuse. Each check is wrapped by ``check.exercise``, which records the outcome in the progress file.
"""
