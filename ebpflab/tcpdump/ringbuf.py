# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Read a BPF ring buffer a batch at a time, by mapping it into this process (lab 06).

BCC's ``open_ring_buffer`` calls a Python function once per record: a few microseconds each, more
than the kernel spends on the packet. ``RingReader`` maps the ring instead, as libbpf does
(Documentation/bpf/ringbuf.rst, tools/lib/bpf/ringbuf.c)::

    offset 0            one page, read-write: consumer position (u64), written by user space
    offset page         one page, read-only:  producer position (u64), written by the kernel
    offset 2 * page     the data, read-only, mapped twice in a row, so a record that wraps
                        around the end of the ring reads as one piece

Each record is an 8-byte header (u32 length with the busy bit 31 and the discard bit 30, u32 page
offset) and the sample, padded to 8 bytes. ``read()`` copies every committed sample between the
two positions and then moves the consumer position once for the whole batch. Runs of records of
one size (a flood is one long run) are cut apart by numpy in one step, not record by record.
"""

from __future__ import annotations

import mmap
import select
import struct

import numpy as np

from ..messages import _

BUSY, DISCARD, HDR = 1 << 31, 1 << 30, 8
U32 = struct.Struct("I")  # the kernel writes the record headers in the machine's own byte order
MIN_RUN = 8  # shorter runs are cheaper one by one


class RingReader:
    """A BPF ring buffer map (``BPF_MAP_TYPE_RINGBUF``) mapped into this process; ``close()`` unmaps it."""

    def __init__(self, map_fd: int, size: int) -> None:
        if size <= 0 or size & (size - 1) or size % mmap.PAGESIZE:
            raise ValueError(_("a ring buffer's size is a power of two and a number of pages, not {size}", size=size))
        page = mmap.PAGESIZE
        self.size, self.mask, self.base = size, size - 1, page
        self.consumer = mmap.mmap(map_fd, page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
        self.data = mmap.mmap(map_fd, page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=page)
        # The positions as numpy words: one aligned 8-byte load or store each. struct.pack_into
        # writes byte by byte, and the kernel, reading a half-written consumer position on another
        # CPU, saw a full ring and dropped packets (a few per 100 000, with the ring nearly empty).
        self.cons_pos = np.frombuffer(self.consumer, np.uint64, 1)
        self.prod_pos = np.frombuffer(self.data, np.uint64, 1)
        self.epoll = select.epoll()
        # Edge-triggered: woken by the kernel's wake-ups only. Level-triggered, epoll returns at once
        # whenever a record is waiting, so a reader under a steady flow spins on tiny batches (1.3 us
        # of CPU a packet at 100 000/s instead of 0.2) and the NO_WAKEUP batching is lost.
        self.epoll.register(map_fd, select.EPOLLIN | select.EPOLLET)

    def wait(self, timeout: float) -> None:
        """Sleep until the kernel wakes us up or ``timeout`` seconds pass; not when a quarter of the ring waits."""
        if self.pending() < self.size // 4:
            self.epoll.poll(max(timeout, 0.0))

    def pending(self) -> int:
        """Bytes between the consumer and producer positions (records, headers and padding)."""
        return int(self.prod_pos[0]) - int(self.cons_pos[0])

    def read(self) -> tuple[bytes, int]:
        """Copy out every committed sample, headers stripped, and release them; (bytes, count)."""
        cons = int(self.cons_pos[0])
        prod = int(self.prod_pos[0])
        if prod == cons:
            return b"", 0
        start = self.base + (cons & self.mask)
        end = start + (prod - cons)  # within the double mapping: prod - cons <= size
        buf = memoryview(self.data)[start:end]
        try:
            chunks, count, used = split(buf)
            out = b"".join(chunks)  # the copy, made before the kernel may reuse the space
        finally:
            buf.release()
        self.cons_pos[0] = cons + used  # one store for the whole batch
        return out, count

    def close(self) -> None:
        """Unmap the ring and stop watching it."""
        self.epoll.close()
        del self.cons_pos, self.prod_pos  # an mmap with exported views cannot close
        self.data.close()
        self.consumer.close()


def split(buf: memoryview) -> tuple[list, int, int]:
    """Samples of the committed records at the start of ``buf``: (pieces, records, bytes used).

    Stops at the first record still being written (busy). Discarded records are skipped.
    """
    chunks: list = []
    off, count, end = 0, 0, len(buf)
    arr = np.frombuffer(buf, np.uint8)
    while off + HDR <= end:
        word = U32.unpack_from(buf, off)[0]
        if word & BUSY:
            break
        size = word & ~(BUSY | DISCARD)
        step = (size + HDR + 7) & ~7
        n = (end - off) // step
        if n >= MIN_RUN and not word & DISCARD:
            # Records of the same size follow each other at the same step: check every header
            # word at once; the run ends at the first one that differs (another size, or busy).
            heads = np.frombuffer(buf, np.uint32, count=n * step // 4, offset=off)[:: step // 4]
            differs = heads != word
            k = int(differs.argmax()) if differs.any() else n
            if k >= MIN_RUN:
                chunks.append(arr[off : off + k * step].reshape(k, step)[:, HDR : HDR + size].tobytes())
                off += k * step
                count += k
                continue
        if not word & DISCARD:
            chunks.append(bytes(buf[off + HDR : off + HDR + size]))
            count += 1
        off += step
    return chunks, count, off
