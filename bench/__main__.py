# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""``python -m bench [programs] [drop] [capture] [suite] [toolchains]`` (``make bench``): print the tables, save a plot.

With no names, every benchmark runs, in order of cost. Figures, medians and the plot land in
``bench/results/`` (git-ignored); ``bench/README.md`` explains a run's figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from ebpflab import LabError
from ebpflab.system import require_root

from . import capture, drop, programs, suite, toolchains

RESULTS = Path(__file__).resolve().parent / "results"
BENCHES = {
    "programs": ("1. ns per packet of every XDP program (BPF_PROG_TEST_RUN, median of 5 x 100k runs)", programs),
    "drop": ("2. drop early vs drop late: receiver CPU per packet on one veth flood (median of 3)", drop),
    "capture": ("3. capture path: highest rate without loss and CPU per packet, side by side", capture),
    "suite": ("4. lab suite: every notebook headless, with solutions", suite),
    "toolchains": ("5. BCC vs libbpf (CO-RE): start-up, loader memory, size on the target (median of 5)", toolchains),
}


def machine() -> str:
    """One line that says where the figures come from."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    import os

    return f"{platform.node()}: {os.cpu_count()} x {model}, kernel {platform.release()}, Python {platform.python_version()}"


def plot(results: dict, path: Path) -> None:
    """The four results as bar charts in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    if "programs" in results:
        rows = [r for r in results["programs"] if "skipped" not in r]
        axes[0, 0].barh([r["program"] for r in rows], [r["udp 60B"] for r in rows])
        axes[0, 0].set_xlabel("ns per 60-byte UDP packet (BPF_PROG_TEST_RUN)")
    if "drop" in results:
        rows = [r for r in results["drop"] if "skipped" not in r]
        axes[0, 1].barh([r["method"] for r in rows], [r["rx_ns"] for r in rows])
        axes[0, 1].set_xlabel("receiver CPU ns per dropped packet (veth)")
    if "capture" in results:
        res = results["capture"]
        entries = {name: res[name]["best"] for name in ("tcpdump -w", "ebpflab tcpdump -w")}
        axes[1, 0].barh(list(entries), [v / 1000 for v in entries.values()])
        axes[1, 0].set_xlabel("highest rate without loss (k packets/s)")
    if "suite" in results:
        rows = results["suite"]
        labs = [r["lab"] for r in rows]
        axes[1, 1].barh(labs, [r["wall"] for r in rows], label="wall")
        axes[1, 1].barh(labs, [r["compile"] for r in rows], label="in BCC compile")
        axes[1, 1].set_xlabel("seconds, headless run")
        axes[1, 1].legend()
    fig.suptitle(f"ebpflab benchmarks, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", metavar="NAME", help="any of: " + ", ".join(BENCHES) + " (default: all)")
    args = p.parse_args(argv)
    names = args.names or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"bench: no benchmark named {unknown[0]!r}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    try:
        require_root("the benchmarks")
    except LabError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc)
    print(f"ebpflab benchmarks, {stamp:%Y-%m-%d %H:%M} UTC, {machine()}")
    print("(the machine may be shared: single figures are noisy, compare ratios measured in one run)\n")
    results: dict = {}
    for name in names:
        title, mod = BENCHES[name]
        t0 = time.perf_counter()
        print(title, flush=True)
        try:
            results[name] = mod.run()
            print(mod.table(results[name]))
        except Exception as exc:  # one broken benchmark must not hide the other tables
            print(f"failed: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")
        print(f"({time.perf_counter() - t0:.0f} s)\n", flush=True)
    base = RESULTS / f"bench-{stamp:%Y%m%d-%H%M%S}"
    base.with_suffix(".json").write_text(
        json.dumps({"date": stamp.isoformat(), "machine": machine(), **results}, indent=1, default=str)
    )
    plot(results, base.with_suffix(".png"))
    print(f"saved {base}.json and {base}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
