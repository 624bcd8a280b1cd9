# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""``ebpflab tcpdump``: tcpdump built on XDP and a BPF ring buffer (the command lab 06 runs).

The flags are tcpdump's, for what the tool supports; the output lines, the pcap files and the
closing counts are tcpdump's too, so the two can be compared line by line.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..cbpf import DLT_EN10MB
from ..cmdline import bounded_float, bounded_int, name, quiet_stdout
from ..errors import LabError
from ..messages import N_, _
from ..system import require_root
from . import capfilter
from .capture import MAX_RING_KIB, Capture
from .pcap import DEFAULT_SNAPLEN, LINK_TYPES, PcapngWriter, PcapWriter, as_ethernet, open_capture, records
from .print.base import hexdump
from .print.text import Printer

DESCRIPTION = N_("""\
Capture packets arriving on an interface with an XDP program that copies them into a BPF ring
buffer, and print them the way `tcpdump -n` does, or write them to a pcap file (pcapng with
--pcapng) that tcpdump and Wireshark read. With -r, read a pcap or pcapng file instead of capturing.

XDP runs on the receive path only, so only packets arriving on IFACE are seen (like
`tcpdump -Q in`). Capture never changes the traffic: the program always returns XDP_PASS.
""")

EPILOG = N_("""\
expression:
  A tcpdump filter expression (pcap-filter(7)). The common subset -- host, src/dst host, net,
  port, src/dst port, tcp, udp, icmp, ip, ip6, arp, vlan, and/or/not, parentheses -- is compiled
  into the XDP program, so packets that do not match are never copied. Anything else is applied
  in user space by libpcap after the copy. The tool says which happened.

closing counts (on Ctrl-C, -c or --timeout), as tcpdump prints them:
  packets captured              packets printed or written
  packets received by filter    packets the XDP program saw
  packets dropped by kernel     packets lost because the ring buffer was full

examples:
  ebpflab tcpdump -i eth0 --netns ebl-1234_5678-1-server
  ebpflab tcpdump -i eth0 --netns NS -c 10 'tcp and port 8000'
  ebpflab tcpdump -i eth0 --netns NS -w out.pcap --timeout 5
  ebpflab tcpdump -r out.pcap -e 'vlan and udp'

exit status: 0 on success, 2 with one line on stderr for bad input (unknown interface or
namespace, unparsable expression, unwritable file, not root); no program is left attached.
""")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """tcpdump's flags, for what this tool supports."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = _(DESCRIPTION)
    parser.epilog = _(EPILOG)
    parser.usage = (
        "ebpflab tcpdump [-i IFACE] [--netns NS] [-n] [-c COUNT] [-s SNAPLEN] [-w FILE [--pcapng]] [-r FILE]\n"
        "                       [-e] [-x | -X] [-q] [-S] [-t] [-B KIB] [--stats] [--timeout SECONDS]\n"
        "                       [--engine {bcc,core}] [expression ...]"
    )
    a = parser.add_argument
    a(
        "-i",
        dest="iface",
        default="eth0",
        metavar="IFACE",
        type=name(_("interface name"), r"[^/\s:]+", 15),
        help=_("interface to capture on (default: eth0)"),
    )
    a(
        "--netns",
        metavar="NS",
        type=name(_("namespace name"), r"[A-Za-z0-9_][A-Za-z0-9_.-]*", 64),
        help=_("network namespace of the interface (default: this one)"),
    )
    a("-n", dest="numeric", action="store_true", help=_("do not resolve addresses or ports (always the case)"))
    a(
        "-c",
        dest="count",
        type=bounded_int(_("packet count"), 1, 2**31 - 1),
        metavar="COUNT",
        help=_("exit after COUNT packets"),
    )
    a(
        "-s",
        dest="snaplen",
        type=bounded_int("snaplen", 0, DEFAULT_SNAPLEN),
        default=DEFAULT_SNAPLEN,
        metavar="SNAPLEN",
        help=_("copy at most SNAPLEN bytes of each packet (default and 0: {largest})", largest=DEFAULT_SNAPLEN),
    )
    a(
        "-w",
        dest="write",
        metavar="FILE",
        type=name("file name", r"[^\0]+", 4096),
        help=_("write raw packets to a pcap file ('-' for stdout) instead of printing"),
    )
    a(
        "--pcapng",
        action="store_true",
        help=_("with -w: write pcapng (Wireshark's format) instead of classic pcap; costs more CPU per packet"),
    )
    a(
        "-r",
        dest="read",
        metavar="FILE",
        type=name("file name", r"[^\0]+", 4096),
        help=_("read packets from a pcap file instead of capturing"),
    )
    a("-e", dest="link", action="store_true", help=_("print the link-level header (MACs, ethertype, VLAN tags)"))
    dump = parser.add_mutually_exclusive_group()
    dump.add_argument("-x", dest="hex", action="store_true", help=_("print each packet's data in hex"))
    dump.add_argument("-X", dest="hexascii", action="store_true", help=_("print each packet's data in hex and ASCII"))
    a("-q", dest="quiet", action="store_true", help=_("quick output: less protocol information"))
    a("-S", dest="absolute", action="store_true", help=_("print absolute TCP sequence numbers"))
    a("-t", dest="no_time", action="store_true", help=_("do not print a timestamp on each line"))
    a("-Q", dest="direction", default="in", choices=["in"], help=_("direction: XDP sees arriving packets only"))
    a(
        "-B",
        dest="buffer_kib",
        type=bounded_int(_("buffer size"), 4, MAX_RING_KIB),
        default=4096,
        metavar="KIB",
        help=_("ring buffer size in KiB, 4 to {largest} (default 4096)", largest=MAX_RING_KIB),
    )
    a("--stats", action="store_true", help=_("print the XDP program's counters when done"))
    a(
        "--timeout",
        type=bounded_float(_("timeout"), 0, 7 * 86400),
        metavar="SECONDS",
        help=_("stop after SECONDS (ebpflab's addition, for scripts)"),
    )
    a(
        "--engine",
        choices=["bcc", "core"],
        default="bcc",
        help=_("bcc: lab 06's program compiled by BCC (default); core: lab 11's CO-RE object loaded by libbpf"),
    )
    a("expression", nargs="*", help=_("filter expression (see below)"))


class Output:
    """Where packets go: a pcap file, or tcpdump's text lines on stdout."""

    def __init__(self, args: Any, snaplen: int) -> None:
        self.args = args
        self.created = bool(args.write) and args.write != "-" and not os.path.lexists(args.write)
        kind = PcapngWriter if args.pcapng else PcapWriter
        self.writer = kind(args.write, snaplen) if args.write else None
        self.printer = Printer(
            link=args.link,
            quiet=args.quiet,
            absolute_seq=args.absolute,
            hex_only=args.hex,
            dumps=args.hex or args.hexascii,
        )
        self.count = 0

    def emit(self, pkt: Any) -> None:
        """Write or print one packet."""
        self.count += 1
        if self.writer:
            self.writer.write(pkt)
            return
        if pkt.caplen > pkt.len:  # tcpdump prints no time and no decode for a header that lies
            invalid = f"[Invalid header: len({pkt.len}) < caplen({pkt.caplen})]\n"  # i18n: as is (tcpdump's output)
            _stdout(sys.stdout.write, invalid)
            return
        p = self.printer
        text = p.describe(pkt.data, pkt.len) if self.args.no_time else p.line(pkt)
        if (self.args.hex or self.args.hexascii) and not p.dumped:  # unknown types are dumped already
            # When its printer quits by longjmp (a byte it fetched was not captured) tcpdump dumps the whole frame.
            off = 0 if p.whole else p.payload_offset(pkt.data)
            if pkt.data[off:]:  # no bytes, no dump line
                text += "\n" + hexdump(pkt.data[off:], ascii=self.args.hexascii)
        _stdout(sys.stdout.write, text + "\n")

    def write_records(self, data: bytes, n: int) -> None:
        """Append ``n`` pcap records captured as a batch (-w)."""
        self.count += n
        if self.writer:
            self.writer.write_records(data)

    def flush(self) -> None:
        """Make what was written visible (files are readable while capturing)."""
        if self.writer:
            self.writer.flush()
        else:
            _stdout(sys.stdout.flush)

    def close(self) -> None:
        """Close the pcap file if any."""
        if self.writer:
            self.writer.close()

    def discard(self) -> None:
        """After a failure: close quietly, and remove the file if this run made it and wrote no packet."""
        if self.writer:
            self.writer.close(quiet=True)
            if self.created and self.count == 0:
                Path(self.args.write).unlink(missing_ok=True)


def _stdout(fn: Any, *args: Any) -> None:
    """Write or flush stdout; a full disk becomes one sentence (a closed pipe stays BrokenPipeError)."""
    try:
        fn(*args)
    except BrokenPipeError:
        raise
    except OSError as exc:
        quiet_stdout()
        raise LabError(_("cannot write to standard output: {reason}", reason=exc.strerror or exc)) from None


def drain(cap: Capture, out: Output, count: int | None, timeout: float = 0.0) -> bool:
    """Wait up to ``timeout`` for a batch and write or print it; True once ``count`` packets are out."""
    if out.writer:  # -w: a whole batch per wake-up, appended with one write
        data, n = cap.poll_records(timeout)
        if count and out.count + n >= count:
            out.write_records(b"".join(records(data)[: count - out.count]), count - out.count)
            out.flush()
            return True
        out.write_records(data, n)
    else:
        for pkt in cap.poll(timeout):
            out.emit(pkt)
            if count and out.count >= count:
                out.flush()
                return True
    out.flush()
    return False


def _sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # detach exactly as on Ctrl-C


def main(args: Any) -> int:
    """``ebpflab tcpdump``: capture (or read) packets, print or write them, report the counts."""
    expr = " ".join(args.expression)
    snaplen = args.snaplen if args.snaplen > 0 else DEFAULT_SNAPLEN
    if args.count is not None and args.count < 1:
        raise LabError(_("-c needs a positive packet count"))
    if args.pcapng and not args.write:
        raise LabError(_("--pcapng chooses the format of -w FILE: give -w too"))
    if args.read:
        return _read(args, expr, snaplen)
    require_root(_("capturing packets with XDP"))
    if args.engine == "core":
        from .corecapture import CoreCapture  # lab 11: the CO-RE object, loaded by libbpf; same interface

        cap: Any = CoreCapture(args.iface, args.netns, expr, snaplen=snaplen, ring_kib=args.buffer_kib)
    else:
        # -w: batches of up to 0.1 s (tcpdump's own blocks wait up to 1 s); lines: at most 10 ms late.
        cap = Capture(
            args.iface, args.netns, expr, snaplen=snaplen, ring_kib=args.buffer_kib, wake_ms=100 if args.write else 10
        )  # parses the filter
    out = Output(args, snaplen)  # opens -w before anything is attached
    old = signal.signal(signal.SIGTERM, _sigterm)
    # A background job of a script starts with SIGINT ignored; tcpdump stops on it all the same.
    old_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    stats: dict[str, int] = {}
    piped = False
    try:
        with ExitStack() as stack:
            stack.callback(out.close)
            try:
                stack.enter_context(cap)
            except BaseException:
                out.discard()  # nothing was captured: leave no empty file behind
                raise
            where = f" in {args.netns}" if args.netns else ""  # i18n: as is (tcpdump's output)
            deadline = time.monotonic() + args.timeout if args.timeout else None
            try:  # from "listening" on, a Ctrl-C ends the capture normally
                described = f"ebpflab tcpdump: {cap.filter.describe()}"  # i18n: as is (name, translated sentence)
                print(described, file=sys.stderr)
                print(
                    f"listening on {args.iface}{where} (XDP, ingress), link-type EN10MB (Ethernet), "  # i18n: as is (tcpdump's output)
                    f"snapshot length {snaplen} bytes",  # i18n: as is (tcpdump's output)
                    file=sys.stderr,
                    flush=True,
                )
                while deadline is None or time.monotonic() < deadline:
                    if drain(cap, out, args.count, 0.1):
                        raise StopIteration
                drain(cap, out, args.count)  # what arrived since the last wake-up
            except (KeyboardInterrupt, StopIteration):
                try:
                    if not args.count or out.count < args.count:
                        drain(cap, out, args.count)
                except BrokenPipeError:
                    piped = True
                    quiet_stdout()
            except BrokenPipeError:
                piped = True
                quiet_stdout()
            stats = cap.stats()
            if not piped:
                out.flush()
    except BrokenPipeError:
        quiet_stdout()
        return 0
    finally:
        signal.signal(signal.SIGTERM, old)
        signal.signal(signal.SIGINT, old_int)
    if not piped:
        _closing(out.count, stats, args.stats)
    return 0


def _read(args: Any, expr: str, snaplen: int) -> int:
    """-r: read a pcap file, filter it with libpcap, print or rewrite it."""
    flt = capfilter.compile_filter(expr, snaplen)
    linktype, packets = open_capture(args.read)  # a bad file header fails here, before any output
    if linktype != DLT_EN10MB and (args.link or args.write):
        raise LabError(
            _(
                "{path} holds link type {linktype}: -e and -w need Ethernet captures",
                path=args.read,
                linktype=LINK_TYPES[linktype],
            )
        )
    banner = f"reading from file {args.read}, link-type {LINK_TYPES[linktype]}"  # i18n: as is (tcpdump's output)
    print(banner, file=sys.stderr)
    out = Output(args, snaplen)
    try:
        for pkt in packets:
            pkt = as_ethernet(linktype, pkt)  # decoded (and filtered) behind an Ethernet header
            if flt.matches(pkt.data, pkt.len):
                out.emit(pkt)
                if args.count and out.count >= args.count:
                    break
        out.flush()
    except BrokenPipeError:
        quiet_stdout()
    except BaseException:
        out.discard()
        raise
    finally:
        out.close()
    return 0


def _closing(count: int, stats: dict[str, int], extended: bool) -> None:
    """tcpdump's closing counts on stderr."""
    err = sys.stderr
    print(f"\n{count} packet{'s' if count != 1 else ''} captured", file=err)  # i18n: as is (tcpdump's output)
    print(f"{stats.get('seen', 0)} packets received by filter", file=err)  # i18n: as is (tcpdump's output)
    print(f"{stats.get('dropped', 0)} packets dropped by kernel", file=err)  # i18n: as is (tcpdump's output)
    if extended:
        counters = ", ".join(f"{k} {v}" for k, v in stats.items())
        print("xdp counters: " + counters, file=err)  # i18n: as is (the XDP program's counter names)
