"""Every figure of the platform beside the raw ceiling of its own stack, measured in one run, written to
docs/PERFORMANCE.md with charts in docs/performance/.

    .venv/bin/python bench/ceiling.py [--quick] [--only reads|events] [--no-write]

The reads (bench/ceiling_reads.py) and the event path (bench/ceiling_events.py) each start their own embedded
PostgreSQL and NATS. A figure's ratio compares it with its baseline from the same run on the same machine, so
a loaded machine moves both; the load average during the run is written beside them. Not part of pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ceiling_events import measure_events, table
from ceiling_reads import measure_reads
from figures import Figure

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
CHARTS = ROOT / "docs" / "performance"
FIGURES = CHARTS / "figures.json"


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


def _plain_log_axis(axis: Any) -> None:
    """A log axis read in plain numbers at 1, 2 and 5 of each decade (0.2, 0.5, 1, 2, 5, 10, …, 2,000, 5,000),
    not in powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}"))


def charts(figures: list[Figure]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    CHARTS.mkdir(parents=True, exist_ok=True)
    drawn: list[str] = []

    # How close each figure comes to its goal: a bar from the goal (1) to the figure, right when met, left when not
    # (on a log axis a bar has no zero to start from: one drawn from the axis' edge made a near miss look far off).
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(figures) + 1.2))
    names = [f.name for f in figures][::-1]
    shown = [f.ratio / f.goal if f.higher_is_better else f.goal / max(f.ratio, 1e-9) for f in figures][::-1]
    colors = ["#2e7d32" if f.met else "#c62828" for f in figures][::-1]
    ax.barh(names, [value - 1 for value in shown], left=1, color=colors)
    ax.axvline(1.0, color="#555", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    low, high = min(*shown, 1.0), max(*shown, 1.0)
    ax.set_xlim(low / 1.25, high * 1.25)
    _plain_log_axis(ax.xaxis)
    ax.set_xlabel("how far past the goal (1 = exactly the goal; right of the line = met)")
    ax.set_title("Each figure against its goal (green met, red not)")
    fig.tight_layout()
    fig.savefig(CHARTS / "goals.png", dpi=110)
    plt.close(fig)
    drawn.append("goals.png")

    rates = [f for f in figures if f.higher_is_better]
    if rates:
        fig, ax = plt.subplots(figsize=(10, 0.7 * len(rates) + 1.2))
        y = range(len(rates))
        ax.barh([i + 0.2 for i in y], [f.baseline for f in rates], height=0.4, color="#90a4ae", label="raw baseline")
        ax.barh([i - 0.2 for i in y], [f.ours for f in rates], height=0.4, color="#1e4f8f", label="ours")
        ax.set_yticks(list(y), [f"{f.name}\n({f.unit})" for f in rates])
        ax.set_xscale("log")
        _plain_log_axis(ax.xaxis)
        ax.legend(loc="lower right")
        ax.set_title("Throughput: ours beside the raw stack, same run")
        fig.tight_layout()
        fig.savefig(CHARTS / "throughput.png", dpi=110)
        plt.close(fig)
        drawn.append("throughput.png")

    spread = [f for f in figures if f.samples.get("ours") and f.samples.get("baseline")]
    if spread:
        # A grid a page can hold (four across), each panel titled in full and read in plain milliseconds.
        across = min(4, len(spread))
        down = -(-len(spread) // across)
        fig, axes = plt.subplots(down, across, figsize=(3.4 * across, 3.3 * down + 0.6), squeeze=False)
        for ax, f in zip(axes.flat, spread, strict=False):
            # A list compares itself over two sizes of register ("…: 100,000 vs 1,000 centers"): name them.
            sizes = f.name.rpartition(": ")[2].removesuffix(" centers").split(" vs ")
            labels = [f"{sizes[1]} centers", sizes[0]] if len(sizes) == 2 else ["raw", "ours"]
            ax.boxplot([f.samples["baseline"], f.samples["ours"]], tick_labels=labels, whis=(1, 99), showfliers=False)
            ax.set_yscale("log")
            _plain_log_axis(ax.yaxis)
            ax.set_title(textwrap.fill(f.name.split(":")[0], 30), fontsize=9)
            ax.set_ylabel("ms")
        for ax in list(axes.flat)[len(spread) :]:
            ax.set_visible(False)
        fig.suptitle("Latency spread (box: p25–p75, whiskers: p1–p99)")
        fig.tight_layout()
        fig.savefig(CHARTS / "latency.png", dpi=110)
        plt.close(fig)
        drawn.append("latency.png")
    return drawn


def cpu_ticks() -> tuple[int, int] | None:
    """CPU time stolen by the host and CPU time in all, in ticks since boot (Linux); None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks[:8])


def stolen_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def document(
    figures: list[Figure],
    *,
    started: dt.datetime,
    seconds: float,
    load: tuple[float, float],
    quick: bool,
    stolen: float | None = None,
) -> str:
    met = sum(f.met for f in figures)
    steal = (
        ""
        if stolen is None
        else f"\n- CPU time the host took from this machine while it ran (steal): {stolen:.1%} (a virtual machine's"
        " neighbours; no load average shows it)."
    )
    rows = "\n".join(
        f"| {f.name} | {f.ours:,.1f} {f.unit} | {f.baseline:,.1f} ({f.baseline_label}) | {f.ratio_text}"
        f" | {f.goal_text} | {'yes' if f.met else '**no**'} | {f.detail} |"
        for f in figures
    )
    command = "bench/ceiling.py --quick" if quick else "bench/ceiling.py"
    return f"""# Performance: our figures beside the ceiling of our own stack

Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC in {seconds:.0f} s. Every figure is
measured in the same run as its raw baseline — the same stack with nothing of ours on top (nats-py alone, a bare
pull consumer, a bare FastAPI + asyncpg endpoint served and driven the same way, the same query over 1,000 centers)
— so the ratio says what our code costs, whatever the machine. **{met} of {len(figures)} goals met.**

- Machine: {machine()}.
- Load average while it ran: {load[0]:.2f} at the start, {load[1]:.2f} at the end (2 cores: above 2 means other
  work was queueing beside the bench; a loaded machine lowers absolute figures and widens tails).{steal}
- Rerun: `.venv/bin/python bench/ceiling.py` (`--quick` for a smaller run; `--only reads` or `--only events`;
  `--redraw` rewrites this page and its charts from the figures kept in `docs/performance/figures.json`).
  The HTTP figure needs Debian's `wrk` on PATH.

| figure | ours | raw baseline (same run) | ratio | goal | met | detail |
|---|---|---|---|---|---|---|
{rows}

A throughput's ratio is ours / raw and must reach its goal; a latency's is ours / raw as a multiple and must stay
under it; a list's is its median over 100,000 centers / its median over 1,000.

![Each figure against its goal](performance/goals.png)

![Throughput, ours beside the raw stack](performance/throughput.png)

![Latency spread](performance/latency.png)
{analysis()}"""


def analysis() -> str:
    """What the profiles said of the goals not met: written by hand in docs/performance/analysis.md, kept beside
    the figures whenever this page is rewritten."""
    notes = CHARTS / "analysis.md"
    return "\n" + notes.read_text(encoding="utf-8") if notes.exists() else ""


async def run(args: argparse.Namespace) -> list[Figure]:
    figures: list[Figure] = []
    if args.only in (None, "reads"):
        figures += await measure_reads(quick=args.quick)
    if args.only in (None, "events"):
        figures += await measure_events(quick=args.quick)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer centers and events, shorter runs")
    parser.add_argument("--only", choices=("reads", "events"))
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--redraw", action="store_true", help="rewrite the page and charts from the last run's figures")
    args = parser.parse_args()
    if args.redraw:
        kept = json.loads(FIGURES.read_text())
        figures = [Figure(**figure) for figure in kept["figures"]]
        started, seconds, load = dt.datetime.fromisoformat(kept["started"]), kept["seconds"], tuple(kept["load"])
        stolen = kept.get("stolen")
        args.quick = kept["quick"]
    else:
        started = dt.datetime.now(dt.UTC)
        load_start = os.getloadavg()[0]
        ticks = cpu_ticks()
        clock = time.perf_counter()
        figures = asyncio.run(run(args))
        seconds = time.perf_counter() - clock
        load = (load_start, os.getloadavg()[0])
        stolen = stolen_share(ticks, cpu_ticks())
    print(table(figures))
    if not args.no_write:
        CHARTS.mkdir(parents=True, exist_ok=True)
        if not args.redraw:
            kept = {
                "started": started.isoformat(),
                "seconds": seconds,
                "load": load,
                "stolen": stolen,
                "quick": args.quick,
                "figures": [dataclasses.asdict(f) for f in figures],
            }
            FIGURES.write_text(json.dumps(kept, ensure_ascii=False))
        charts(figures)
        DOC.write_text(document(figures, started=started, seconds=seconds, load=load, quick=args.quick, stolen=stolen))
        print(f"wrote {DOC.relative_to(ROOT)} and {CHARTS.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
