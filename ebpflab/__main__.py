# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`python -m ebpflab`: the same as the `ebpflab` command."""

import sys

from .cli import main

sys.exit(main())
