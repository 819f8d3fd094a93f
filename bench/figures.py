"""One measured figure beside its raw baseline from the same run, and how it compares with its goal.

Every figure of `bench/ceiling.py` is one of these: what our stack did, what the raw stack underneath did in
the same run on the same machine, and the goal as a ratio between the two (issue 14's table).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    """`ours` and `baseline` in the same `unit`. A throughput's ratio is ours / baseline and must reach
    `goal`; a latency's ratio is ours / baseline too (a multiple) and must stay at or under `goal`."""

    name: str
    unit: str
    ours: float
    baseline: float
    baseline_label: str
    goal: float
    higher_is_better: bool
    detail: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    """Raw observations for the charts (e.g. latencies in ms of `ours` and of the baseline)."""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal

    @property
    def ratio_text(self) -> str:
        """Three significant digits: a ratio just under its goal (0.0965 against 0.1) must not print as the goal."""
        return f"{self.ratio:.3g}"

    @property
    def goal_text(self) -> str:
        return f"≥ {self.goal:g}" if self.higher_is_better else f"≤ {self.goal:g}×"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by the inclusive method; 0.0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]
