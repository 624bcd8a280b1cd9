# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""HTTP checks and free ports shared by the tests of servers the kit starts (JupyterLab, the exporter)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request


def http_status(url: str, timeout: float = 5) -> int:
    """The HTTP status ``url`` answers with, or 0 while nothing listens there yet."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def free_port(ip: str = "127.0.0.1") -> int:
    """A TCP port on ``ip`` that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]
