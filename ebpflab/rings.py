# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reading a BPF ring buffer from Python: which of the kit's readers to use when (lab 01).

There are three, and one question decides: how many records a second?

- ``prog.ring_buffer(name, on_record)``, the same on BCC's ``Program`` and libbpf's ``CoreProgram``:
  a background thread polls the ring (BCC's ``ring_buffer_poll``, libbpf's ``ring_buffer__poll``)
  and calls ``on_record(record)`` with each record's bytes, a copy. Use it for events (state
  changes, calls, execs: lab 08, 10, 11): plain to read, a few microseconds a record. Decode with
  ``struct`` or, on BCC, ``prog[name].event(record)``. An exception in ``on_record`` cannot cross
  back into C; the first one is raised as a ``LabError`` when the block ends.
- BCC's own ``prog[name].open_ring_buffer(callback)`` with ``callback(ctx, data, size)`` (``data`` a
  pointer into the ring, valid only during the call): what ``ring_buffer`` wraps, shown as such
  where a lab teaches it (lab 03's ring vs perf buffer, lab 06's first capture).
- ``ringbuf.RingReader``: the ring mapped into this process and read a batch at a time, headers cut
  apart with numpy, the consumer position moved once per batch. Use it for packets at line rate
  (lab 06's ``Capture``, ``ebpflab tcpdump``, ``make bench``): a Python call per record is slower
  than the kernel's work per packet.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import LabError
from .messages import _


def sample_fn(on_record: Callable[[bytes], Any], errors: list[Exception]) -> Callable[[Any, Any, int], int]:
    """A ``(ctx, data, size)`` ring callback that hands ``on_record`` a copy of the record and keeps its exceptions."""

    def sample(ctx: Any, data: Any, size: int) -> int:
        try:
            on_record(ctypes.string_at(data, size))  # a copy: the record is released on return
        except Exception as exc:  # an exception cannot cross back into C
            errors.append(exc)
        return 0  # anything else would stop the reader

    return sample


@contextmanager
def polled(name: str, poll: Callable[[], Any], consume: Callable[[], Any], errors: list[Exception]) -> Iterator[None]:
    """Call ``poll()`` in a background thread for the block, then ``consume()`` what is left; raise a callback's error."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            poll()

    t = threading.Thread(target=loop, name=f"ebpflab-ring-{name}", daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
        consume()  # what arrived after the last poll
    if errors:
        raise LabError(_("the ring buffer callback failed: {error!r}", error=errors[0]))
