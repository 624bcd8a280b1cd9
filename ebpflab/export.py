# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""``ebpflab export``: the running lab's counters in Prometheus' text format (lab 09).

A lab shares its maps with other processes by pinning them in the BPF filesystem:
``pinned(prog)`` pins ``sources`` (per-source packets, bytes, SYNs, drops of ``xdp_monitor``) and
``hits`` (the firewall's per-rule counters) under ``/sys/fs/bpf/ebpflab/<pid>/`` for the block and
always unpins them (``ebpflab cleanup`` removes the folder of a process that was killed).
``ebpflab export --port N`` opens those pins on every scrape and serves them on 127.0.0.1 through
``prometheus_client``, so a monitoring system reads the same numbers the notebook plots.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from . import bpfcall, maps
from .errors import LabError
from .maps import PIN_ROOT
from .messages import _
from .monitor import SrcStats, source_counters
from .system import owner_alive

PINNED_MAPS = ("sources", "hits")


# --- the lab's side: pin for the block, always unpin ---------------------------------------------


@contextmanager
def pin_maps(prog: Any, names: tuple[str, ...] = PINNED_MAPS) -> Iterator[Path]:
    """Pin the program's maps in this process's folder (lab 03's ``maps.pinned``) for the block, then unpin them."""
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(maps.pinned(prog[name], name))
        yield maps.pin_dir()


# --- the exporter's side: read pinned maps ----------------------------------------------------


def _map_items(path: Path, key_type: Any, value_type: Any) -> list[tuple[Any, Any]]:
    """Every (key, value) of the pinned map at ``path``, read through the bpf() system call."""
    try:
        fd = bpfcall.obj_get(str(path))
    except OSError:
        return []  # unpinned between listing and opening: the lab just ended
    try:
        return bpfcall.map_items(fd, key_type, value_type)
    finally:
        os.close(fd)


def running_labs(root: Path = PIN_ROOT) -> list[Path]:
    """Pin folders of labs whose process still runs."""
    if not root.is_dir():
        return []
    return [p for p in sorted(root.iterdir()) if owner_alive(p.name)]


def read_counters(folder: Path) -> dict[str, Any]:
    """The counters pinned in one lab's folder: per source, and per firewall rule id (0 = passed)."""
    out: dict[str, Any] = {"sources": {}, "rules": {}}
    if (folder / "sources").exists():
        out["sources"] = source_counters(_map_items(folder / "sources", ctypes.c_uint32, SrcStats))
    if (folder / "hits").exists():
        out["rules"] = {
            k.value: v.value for k, v in _map_items(folder / "hits", ctypes.c_uint32, ctypes.c_uint64) if v.value
        }
    return out


class LabCollector:
    """A prometheus_client collector that reads every running lab's pins at scrape time."""

    def __init__(self, root: Path = PIN_ROOT) -> None:
        self.root = root

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily

        per_source = {
            f: CounterMetricFamily(
                f"ebpflab_source_{f}",
                f"{f.capitalize()} seen by XDP per IPv4 source",  # i18n: as is (Prometheus HELP text, one language)
                labels=["lab", "source"],
            )
            for f in ("packets", "bytes", "syns", "dropped")
        }
        passed = CounterMetricFamily(  # i18n: as is (Prometheus HELP text, one language)
            "ebpflab_firewall_passed", "Packets that matched no firewall rule", labels=["lab"]
        )
        rules = CounterMetricFamily(  # i18n: as is (Prometheus HELP text, one language)
            "ebpflab_firewall_rule_hits", "Packets dropped per firewall rule id", labels=["lab", "rule"]
        )
        for folder in running_labs(self.root):
            c = read_counters(folder)
            for src, stats in c["sources"].items():
                for f, fam in per_source.items():
                    fam.add_metric([folder.name, src], stats[f])
            passed.add_metric([folder.name], c["rules"].pop(0, 0))
            for rule, n in c["rules"].items():
                rules.add_metric([folder.name, str(rule)], n)
        yield from per_source.values()
        yield passed
        yield rules


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # one line per scrape would drown the terminal
        pass


class Exporter:
    """A running HTTP server on 127.0.0.1 that serves ``/metrics``."""

    def __init__(self, server: WSGIServer) -> None:
        self.server = server
        self.port = server.server_port

    @property
    def url(self) -> str:
        """Where Prometheus (or curl) reads the metrics."""
        return f"http://127.0.0.1:{self.port}/metrics"


@contextmanager
def serve(port: int = 0, root: Path = PIN_ROOT) -> Iterator[Exporter]:
    """Serve the running labs' counters on 127.0.0.1:``port`` (0: any free port) for the block."""
    from prometheus_client import CollectorRegistry, make_wsgi_app

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise LabError(
            _("port must be a TCP port number, an integer from 0 (any free port) to 65535, not {port!r}", port=port)
        )
    registry = CollectorRegistry(auto_describe=True)
    registry.register(LabCollector(root))
    try:
        server = make_server("127.0.0.1", int(port), make_wsgi_app(registry), handler_class=_Quiet)
    except OSError as exc:
        raise LabError(_("cannot listen on 127.0.0.1:{port}: {error}", port=port, error=exc.strerror)) from None
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="ebpflab-export", daemon=True
    )
    thread.start()
    try:
        yield Exporter(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ebpflab export``."""
    from .cmdline import bounded_float, bounded_int

    parser.add_argument(
        "--port", type=bounded_int("port", 0, 65535), default=9435, help=_("TCP port on 127.0.0.1 (default 9435)")
    )
    parser.add_argument(
        "--seconds",
        type=bounded_float("duration", 0, 7 * 86400),
        default=None,
        help=_("stop after this many seconds (default: Ctrl-C)"),
    )


def main(args: argparse.Namespace) -> int:
    """``ebpflab export``: serve until Ctrl-C, SIGTERM or ``--seconds``."""

    def stop(*_signal: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM stops it as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    with serve(args.port) as exp:
        print(_("serving the running labs' counters at {url} (Ctrl-C stops)", url=exp.url), flush=True)
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0
