"""Progress towards a plan's targets: each indicator's status, share, projection and reason; plan and department sums.

Pure: the caller hands in the accepted figures (one per year) and the rule; nothing here reads or writes anything.

The rule (data/plan_rules/*.toml, every choice [default], POLICY §4):
- A target to reach by a year is judged against the straight path from its start — the baseline, else the first
  accepted figure if it comes before the first target year — through each interim target to the final one.
  `met` once the latest figure reaches the final target (early is fine); `behind` if the final target year has
  come without it; otherwise `on_track` while the latest figure is no further behind the path than the
  tolerance (a share of the planned change), `behind` beyond it.
- A target every year must meet on its own (每年…; growth rates) is judged on the latest year alone: its figure
  (or its growth over the previous figure, a yearly rate) against that year's target, within the tolerance (a
  share of the target) before the final year; `met` when the final year's figure reaches it.
- `no_data` when there is nothing to judge: no accepted figure, one figure with nothing to draw a path from,
  a growth with no earlier figure, or a yearly target not yet in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict

from evaluation.domain.text import Bilingual
from evaluation.plans.model import Direction, Indicator, Plan
from evaluation.plans.progress_rule import PathStart, ProgressRule
from evaluation.plans.units import UNIT_LABELS, Unit, format_figure

_HUNDRED = Decimal(100)


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Actual:
    """The accepted figure of one year (for a growth target: the year's level, not its growth)."""

    year: int
    value: Decimal


@dataclass(frozen=True)
class PathPoint:
    """A point the path runs through: its start (a baseline or the first figure) or a target."""

    year: int
    value: Decimal
    source: str  # "baseline", "actual" or "target"


class IndicatorProgress(_Frozen):
    """Where one indicator stands, and one sentence in each language saying why."""

    indicator: str
    task: str | None = None
    status: Status
    target_year: int
    target: Decimal
    latest_year: int | None = None
    latest_value: Decimal | None = None
    expected: Decimal | None = None  # the path's value (or that year's target) in the latest figure's year
    growth_percent: Decimal | None = None  # growth targets: the latest year's growth
    share_of_target: Decimal | None = None
    projected: Decimal | None = None  # the figure expected in the final target year at the pace so far
    reason: Bilingual


class StatusCounts(_Frozen):
    met: int = 0
    on_track: int = 0
    behind: int = 0
    no_data: int = 0

    @classmethod
    def of(cls, statuses: Iterable[Status]) -> StatusCounts:
        counts = dict.fromkeys(Status, 0)
        for status in statuses:
            counts[status] += 1
        return cls(**{status.value: count for status, count in counts.items()})

    @property
    def total(self) -> int:
        return self.met + self.on_track + self.behind + self.no_data


class PlanProgress(_Frozen):
    plan: str
    items: tuple[IndicatorProgress, ...]
    counts: StatusCounts


class DepartmentProgress(_Frozen):
    """A department's standing: the figures it leads, those it shares, and those it leads that are behind."""

    department: str
    leads: StatusCounts
    co: StatusCounts
    behind: tuple[str, ...]  # "{plan}/{indicator}" of the figures it leads that are behind


def _percent(value: Decimal) -> Bilingual:
    return format_figure(value, Unit.PERCENT)


# ---- the path ----


def path_points(indicator: Indicator, actuals: Sequence[Actual], rule: ProgressRule) -> tuple[PathPoint, ...]:
    """The points the straight path runs through: its start, if any, then every target."""
    targets = tuple(PathPoint(t.year, t.value, "target") for t in indicator.targets)
    if indicator.baseline is not None:
        return (PathPoint(indicator.baseline.year, indicator.baseline.value, "baseline"), *targets)
    ordered = sorted(actuals, key=lambda actual: actual.year)
    if rule.path.start_without_baseline is PathStart.FIRST_ACTUAL and ordered and ordered[0].year < targets[0].year:
        return (PathPoint(ordered[0].year, ordered[0].value, "actual"), *targets)
    return targets


def path_value(points: Sequence[PathPoint], year: int) -> Decimal | None:
    """The straight path's value in `year`; None before it starts, the final target once past it."""
    if not points or year < points[0].year:
        return None
    for earlier, later in pairwise(points):
        if earlier.year <= year <= later.year:
            return earlier.value + (later.value - earlier.value) * (year - earlier.year) / (later.year - earlier.year)
    return points[-1].value


# ---- judging one indicator ----


def judge(indicator: Indicator, actuals: Sequence[Actual], *, rule: ProgressRule, first_year: int) -> IndicatorProgress:
    """Where `indicator` stands given its accepted figures (one per year) under `rule`.

    `first_year` is the first year of the plan: a target every year must meet applies from then on.
    """
    ordered = _checked(indicator, actuals)
    if indicator.judged_each_year:
        return _judge_each_year(indicator, ordered, rule, first_year)
    return _judge_against_path(indicator, ordered, rule)


def _checked(indicator: Indicator, actuals: Sequence[Actual]) -> list[Actual]:
    years = [actual.year for actual in actuals]
    if len(set(years)) != len(years):
        raise ValueError(f"{indicator.code}: one accepted figure per year, got years {sorted(years)}")
    if indicator.unit is Unit.FEN and any(a.value != a.value.to_integral_value() for a in actuals):
        raise ValueError(f"{indicator.code}: money is whole fen")
    return sorted(actuals, key=lambda actual: actual.year)


def _sign(indicator: Indicator) -> int:
    # +1 when more is better, −1 when less is; a growth rate must be at least its target.
    return -1 if indicator.direction is Direction.AT_MOST else 1


def _quantize(value: Decimal, decimals: int, rule: ProgressRule) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=rule.rounding.mode)


def _level(value: Decimal, indicator: Indicator, rule: ProgressRule) -> Decimal:
    return _quantize(value, UNIT_LABELS[indicator.unit].decimals, rule)


def _share(actual: Decimal, target: Decimal, indicator: Indicator, rule: ProgressRule) -> Decimal | None:
    """Actual ÷ target (target ÷ actual when less is better); None where that divides by zero."""
    numerator, denominator = (target, actual) if indicator.direction is Direction.AT_MOST else (actual, target)
    if denominator == 0:
        return None
    return _quantize(numerator / denominator, rule.rounding.share_decimals, rule)


def _no_data(indicator: Indicator, reason: Bilingual, latest: Actual | None = None) -> IndicatorProgress:
    final = indicator.final_target
    return IndicatorProgress(
        indicator=indicator.code,
        status=Status.NO_DATA,
        target_year=final.year,
        target=final.value,
        latest_year=latest.year if latest else None,
        latest_value=latest.value if latest else None,
        reason=reason,
    )


_NOTHING_YET = Bilingual(zh="尚无已确认的数值，无法判断进度。", en="No accepted figure yet: progress cannot be judged.")


def _judge_against_path(indicator: Indicator, actuals: list[Actual], rule: ProgressRule) -> IndicatorProgress:
    if not actuals:
        return _no_data(indicator, _NOTHING_YET)
    latest, final, sign = actuals[-1], indicator.final_target, _sign(indicator)

    def fig(value: Decimal) -> Bilingual:
        return format_figure(value, indicator.unit)

    a, target = fig(latest.value), fig(final.value)
    common: dict[str, Any] = {
        "indicator": indicator.code,
        "target_year": final.year,
        "target": final.value,
        "latest_year": latest.year,
        "latest_value": latest.value,
        "share_of_target": _share(latest.value, final.value, indicator, rule),
        "projected": _projection(indicator, actuals, rule),
    }
    if sign * (latest.value - final.value) >= 0:
        return IndicatorProgress(
            **common,
            status=Status.MET,
            expected=final.value,
            reason=Bilingual(
                zh=f"{latest.year}年实际值{a.zh}已达到{final.year}年目标{target.zh}。",
                en=f"The {latest.year} figure of {a.en} already meets the {final.year} target of {target.en}.",
            ),
        )
    if latest.year >= final.year:
        return IndicatorProgress(
            **common,
            status=Status.BEHIND,
            expected=final.value,
            reason=Bilingual(
                zh=f"目标年{final.year}年已到，{latest.year}年实际值{a.zh}未达到目标{target.zh}。",
                en=f"The target year {final.year} has come and the {latest.year} figure of {a.en} "
                f"falls short of the target of {target.en}.",
            ),
        )
    points = path_points(indicator, actuals, rule)
    expected = path_value(points, latest.year)
    if expected is None:
        return _no_data(
            indicator,
            Bilingual(
                zh=f"{latest.year}年的数值{a.zh}早于目标路径的起点（{points[0].year}年）。",
                en=f"The {latest.year} figure of {a.en} comes before the path starts in {points[0].year}.",
            ),
            latest,
        )
    if points[0].source == "actual" and points[0].year == latest.year:
        return _no_data(
            indicator,
            Bilingual(
                zh=f"仅有{latest.year}年一个数值{a.zh}，且无基期值，尚不能画出通往{final.year}年目标的路径。",
                en=f"Only one figure ({a.en} in {latest.year}) and no baseline: the path to the {final.year} "
                "target cannot be drawn yet.",
            ),
            latest,
        ).model_copy(update={"share_of_target": common["share_of_target"]})
    tolerance = rule.tolerance.share * abs(final.value - points[0].value)
    gap = sign * (expected - latest.value)  # how far behind the path; negative means ahead of it
    expected = _level(expected, indicator, rule)
    e, worse = fig(expected), ("低于", "below") if sign > 0 else ("高于", "above")
    if gap <= 0:
        status, reason = (
            Status.ON_TRACK,
            Bilingual(
                zh=f"{latest.year}年实际值{a.zh}达到或好于目标路径上的{e.zh}，正朝{final.year}年目标{target.zh}推进。",
                en=f"The {latest.year} figure of {a.en} is on or ahead of the path value {e.en} "
                f"towards the {final.year} target of {target.en}.",
            ),
        )
    elif gap <= tolerance:
        t = fig(_level(tolerance, indicator, rule))
        status, reason = (
            Status.ON_TRACK,
            Bilingual(
                zh=f"{latest.year}年实际值{a.zh}略{worse[0]}目标路径上的{e.zh}，差距在容差{t.zh}以内。",
                en=f"The {latest.year} figure of {a.en} is slightly {worse[1]} the path value {e.en}, "
                f"within the tolerance of {t.en}.",
            ),
        )
    else:
        g, t = fig(_level(gap, indicator, rule)), fig(_level(tolerance, indicator, rule))
        status, reason = (
            Status.BEHIND,
            Bilingual(
                zh=f"{latest.year}年实际值{a.zh}{worse[0]}目标路径上的{e.zh}，差距{g.zh}超过容差{t.zh}。",
                en=f"The {latest.year} figure of {a.en} is {worse[1]} the path value {e.en} by {g.en}, "
                f"more than the tolerance of {t.en}.",
            ),
        )
    return IndicatorProgress(**common, status=status, expected=expected, reason=reason)


def _observed(indicator: Indicator, actuals: list[Actual]) -> list[Actual]:
    """The figures known for the indicator: its baseline (a level of its year) and the accepted figures."""
    baseline = indicator.baseline
    earlier = [Actual(baseline.year, baseline.value)] if baseline and baseline.year < actuals[0].year else []
    return [*earlier, *actuals]


def _projection(indicator: Indicator, actuals: list[Actual], rule: ProgressRule) -> Decimal | None:
    """The figure in the final target year if it keeps the pace from the first known figure to the latest."""
    if not actuals:
        return None
    points = _observed(indicator, actuals)
    first, latest, final_year = points[0], points[-1], indicator.final_target.year
    if latest.year <= first.year or latest.year >= final_year:
        return None
    ahead = final_year - latest.year
    if indicator.direction is Direction.GROWTH_RATE:
        if first.value <= 0 or latest.value <= 0:
            return None
        yearly = (latest.value / first.value) ** (Decimal(1) / (latest.year - first.year))
        return _level(latest.value * yearly**ahead, indicator, rule)
    slope = (latest.value - first.value) / (latest.year - first.year)
    return _level(latest.value + slope * ahead, indicator, rule)


def _growth(indicator: Indicator, actuals: list[Actual]) -> Decimal | None:
    """The latest figure's yearly growth in percent over the figure before it (annualised over a gap); None if none."""
    points = _observed(indicator, actuals)
    if len(points) < 2 or points[-2].value <= 0 or points[-1].value < 0:
        return None
    previous, latest = points[-2], points[-1]
    yearly = (latest.value / previous.value) ** (Decimal(1) / (latest.year - previous.year))
    return (yearly - 1) * _HUNDRED


def _judge_each_year(
    indicator: Indicator, actuals: list[Actual], rule: ProgressRule, first_year: int
) -> IndicatorProgress:
    if not actuals:
        return _no_data(indicator, _NOTHING_YET)
    latest, final, sign = actuals[-1], indicator.final_target, _sign(indicator)
    growth_target = indicator.direction is Direction.GROWTH_RATE
    a = format_figure(latest.value, indicator.unit)
    if latest.year < first_year:
        return _no_data(
            indicator,
            Bilingual(
                zh=f"最新数值为{latest.year}年的{a.zh}，逐年目标自{first_year}年起适用。",
                en=f"The latest figure is {latest.year}'s {a.en}; the yearly target applies from {first_year}.",
            ),
            latest,
        )
    target = indicator.target_for(latest.year)
    growth = _growth(indicator, actuals) if growth_target else None
    if growth_target and growth is None:
        return _no_data(
            indicator,
            Bilingual(
                zh=f"{latest.year}年数值{a.zh}之前没有可比较的数值，无法计算增速。",
                en=f"No earlier figure to compare {latest.year}'s {a.en} with: its growth cannot be computed.",
            ),
            latest,
        )
    value = latest.value if growth is None else growth
    shown = _percent(_quantize(value, 2, rule)) if growth_target else a
    wanted = _percent(target.value) if growth_target else format_figure(target.value, indicator.unit)
    what = ("增长", "growth") if growth_target else ("实际值", "figure")
    tolerance = rule.tolerance.share * abs(target.value)
    gap = sign * (target.value - value)
    if gap <= 0:
        status = Status.MET if latest.year >= final.year else Status.ON_TRACK
        verdict = ("达到", "meets")
    elif gap <= tolerance and latest.year < final.year:
        status, verdict = Status.ON_TRACK, ("差距在容差以内，接近", "falls within the tolerance of")
    else:
        status, verdict = Status.BEHIND, ("未达到", "falls short of")
    return IndicatorProgress(
        indicator=indicator.code,
        status=status,
        target_year=final.year,
        target=final.value,
        latest_year=latest.year,
        latest_value=latest.value,
        expected=target.value,
        growth_percent=_quantize(value, 2, rule) if growth_target else None,
        share_of_target=(
            None if target.value == 0 else _quantize(value / target.value, rule.rounding.share_decimals, rule)
        ),
        projected=_projection(indicator, actuals, rule) if growth_target else None,
        reason=Bilingual(
            zh=f"{latest.year}年{what[0]}{shown.zh}，{verdict[0]}当年{wanted.zh}的目标。",
            en=f"The {latest.year} {what[1]} of {shown.en} {verdict[1]} that year's target of {wanted.en}.",
        ),
    )


# ---- plans and departments ----


def judge_plan(plan: Plan, actuals: Mapping[str, Sequence[Actual]], *, rule: ProgressRule) -> PlanProgress:
    """Every indicator and deliverable of `plan`, judged on its accepted figures (indicator code → figures)."""
    unknown = set(actuals) - {item.indicator.code for item in plan.all_indicators()}
    if unknown:
        raise ValueError(f"{plan.code} has no indicators {sorted(unknown)}")
    items = tuple(
        judge(item.indicator, actuals.get(item.indicator.code, ()), rule=rule, first_year=plan.period_start).model_copy(
            update={"task": item.task.code if item.task else None}
        )
        for item in plan.all_indicators()
    )
    return PlanProgress(plan=plan.code, items=items, counts=StatusCounts.of(item.status for item in items))


def by_department(judged: Iterable[tuple[Plan, PlanProgress]]) -> list[DepartmentProgress]:
    """Per department, across the plans given: what it leads and shares, by status, and what it leads that is behind."""
    leads: dict[str, list[Status]] = {}
    shares: dict[str, list[Status]] = {}
    behind: dict[str, list[str]] = {}
    for plan, progress in judged:
        if progress.plan != plan.code:
            raise ValueError(f"the progress of {progress.plan} was paired with the plan {plan.code}")
        for item in progress.items:
            responsible = plan.indicator(item.indicator).responsible
            leads.setdefault(responsible.lead, []).append(item.status)
            for department in responsible.co:
                shares.setdefault(department, []).append(item.status)
            if item.status is Status.BEHIND:
                behind.setdefault(responsible.lead, []).append(f"{plan.code}/{item.indicator}")
    return [
        DepartmentProgress(
            department=department,
            leads=StatusCounts.of(leads.get(department, ())),
            co=StatusCounts.of(shares.get(department, ())),
            behind=tuple(behind.get(department, ())),
        )
        for department in sorted(leads.keys() | shares.keys())
    ]
