# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""BCC vs libbpf (CO-RE): start-up, peak memory of the loader, and what the target must hold (lab 11).

Each figure is the median of ``rounds`` fresh child processes that import the loader, build and
load ``xdp_count`` (the verifier included) and exit; sizes come from dpkg's installed sizes.
"""

from __future__ import annotations

import statistics

from ebpflab import toolchains


def run(rounds: int = 5) -> dict:
    """Median start-up and peak RSS per engine, and the footprint on the target."""
    engines = {}
    for engine in ("python", "libbpf", "bcc"):
        runs = [toolchains.startup(engine) for _ in range(rounds)]
        engines[engine] = {
            "import_s": statistics.median(r.import_seconds for r in runs),
            "load_s": statistics.median(r.load_seconds for r in runs),
            "rss_mib": statistics.median(r.max_rss_mib for r in runs),
        }
    return {"engines": engines, "footprint_kib": toolchains.footprint()}


def table(res: dict) -> str:
    """The figures side by side."""
    lines = [f"{'engine':<10}{'import s':>10}{'build+load s':>14}{'peak RSS MiB':>14}"]
    for engine, r in res["engines"].items():
        lines.append(f"{engine:<10}{r['import_s']:>10.2f}{r['load_s']:>14.3f}{r['rss_mib']:>14.0f}")
    lines.append("")
    for tool, parts in res["footprint_kib"].items():
        lines.append(f"{tool:<16}{sum(parts.values()) / 1024:>8.1f} MiB on the target  ({', '.join(parts)})")
    return "\n".join(lines)
