"""HTTP checks shared by the tests of servers the kit starts (JupyterLab, the exporter)."""
from __future__ import annotations

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
