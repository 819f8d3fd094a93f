"""Scoring an annual report: each indicator's fraction, the weighted total, the grade, and the breakdown."""

import decimal
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from evaluation.domain.indicators import Indicator, IndicatorKind, IndicatorSystem
from evaluation.domain.report import AnnualReport, is_derived_field, read_figure
from evaluation.domain.rules import EvaluationRules, ExpertScoring, Grade
from evaluation.domain.text import Bilingual

ExpertScore = Decimal | int

# Enough digits that a quotient's own rounding never reaches the kept decimals, whatever the caller's context.
_PRECISION = 34


class ScoringInputRefused(ValueError):
    """Expert scores that cannot be used: unknown indicator, quantitative indicator, or out of range."""


class IndicatorScore(BaseModel):
    """One second-level indicator's part of the total, with everything needed to explain it."""

    model_config = ConfigDict(frozen=True)

    code: str
    first_level_code: str
    name_zh: str
    name_en: str
    kind: IndicatorKind
    weight: Decimal
    fraction: Decimal  # in [0, 1]
    points: Decimal  # weight × fraction, unrounded: only the total is rounded
    report_field: str | None = None
    actual: int | None = None
    target: int | None = None
    expert_scores: tuple[Decimal, ...] = ()
    scores_used: tuple[Decimal, ...] = ()  # after trimming
    note: Bilingual | None = None


class AnnualScore(BaseModel):
    """The result of scoring one center's annual report."""

    model_config = ConfigDict(frozen=True)

    year: int
    indicator_system: str
    indicator_system_version: int
    rules: str
    rules_version: int
    adjusted_for: str | None  # the center whose responsibility letter adjusted the indicator system
    total: Decimal
    grade: Grade
    breakdown: tuple[IndicatorScore, ...]


def quantitative_fraction(*, actual: int, target: int) -> Decimal:
    """min(actual / target, 1); a target of 0 asks for nothing, so it is met in full."""
    if target == 0:
        return Decimal(1)
    with decimal.localcontext(prec=_PRECISION):
        return min(Decimal(actual) / Decimal(target), Decimal(1))


def _as_decimal(score: ExpertScore) -> Decimal:
    # Never go through float: a score of 85.5 must stay exactly 85.5.
    return score if isinstance(score, Decimal) else Decimal(score)


def trimmed_scores(scores: Sequence[Decimal], expert_scoring: ExpertScoring) -> tuple[Decimal, ...]:
    """The scores that count: with enough experts, the highest and lowest ones are dropped."""
    ordered = sorted(scores)
    if len(ordered) < expert_scoring.min_experts_to_trim:
        return tuple(ordered)
    return tuple(ordered[expert_scoring.trim_lowest : len(ordered) - expert_scoring.trim_highest])


def expert_fraction(scores: Sequence[Decimal], expert_scoring: ExpertScoring) -> Decimal:
    """The trimmed average of the experts' scores ÷ the top score; no scores ⇒ 0."""
    used = trimmed_scores(scores, expert_scoring)
    if not used:
        return Decimal(0)
    with decimal.localcontext(prec=_PRECISION):
        return (sum(used, Decimal(0)) / len(used)) / expert_scoring.score_max


def round_total(value: Decimal, rules: EvaluationRules) -> Decimal:
    """The total kept to the rules' decimals with the rules' rounding mode."""
    with decimal.localcontext(prec=_PRECISION):
        return rules.rounding.apply(value)


def grade_for(total: Decimal, rules: EvaluationRules) -> Grade:
    """The best grade whose threshold the total reaches."""
    for threshold in rules.grades:
        if total >= threshold.min_score:
            return threshold.grade
    # The rules guarantee the worst grade starts at 0; a negative total is a bug upstream.
    raise ValueError(f"no grade for a total of {total}")


def _check_expert_scores(
    expert_scores: Mapping[str, Sequence[ExpertScore]], system: IndicatorSystem, rules: EvaluationRules
) -> dict[str, tuple[Decimal, ...]]:
    kinds = {indicator.code: indicator.kind for indicator in system.indicators}
    low, high = rules.expert_scoring.score_min, rules.expert_scoring.score_max
    checked: dict[str, tuple[Decimal, ...]] = {}
    problems: list[str] = []
    for code, raw_scores in expert_scores.items():
        if code not in kinds:
            problems.append(f"unknown indicator code {code!r}")
            continue
        if kinds[code] is IndicatorKind.QUANTITATIVE:
            problems.append(f"{code} is quantitative: it is scored from the report, not by experts")
            continue
        scores = tuple(_as_decimal(score) for score in raw_scores)
        bad = [str(score) for score in scores if not score.is_finite() or not low <= score <= high]
        if bad:
            problems.append(f"{code}: scores outside {low}–{high}: {', '.join(bad)}")
        checked[code] = scores
    if problems:
        raise ScoringInputRefused("expert scores refused: " + "; ".join(problems))
    return checked


def _scored(indicator: Indicator, first_level_code: str, fraction: Decimal, **how: Any) -> IndicatorScore:
    """The indicator's score: its weight times `fraction`, with `how` it was reached (figure or expert scores)."""
    with decimal.localcontext(prec=_PRECISION):
        points = indicator.weight * fraction
    return IndicatorScore(
        code=indicator.code,
        first_level_code=first_level_code,
        name_zh=indicator.name_zh,
        name_en=indicator.name_en,
        kind=indicator.kind,
        weight=indicator.weight,
        fraction=fraction,
        points=points,
        **how,
    )


def _score_quantitative(indicator: Indicator, first_level_code: str, report: AnnualReport) -> IndicatorScore:
    if indicator.report_field is None or indicator.target is None:
        raise ValueError(f"quantitative indicator {indicator.code} has no report_field or target")
    actual = read_figure(report, indicator.report_field)
    note: Bilingual | None = None
    if actual is None:
        fraction = Decimal(0)
        total_hint_zh = "（合计数，须各分项均已填报）" if is_derived_field(indicator.report_field) else ""
        total_hint_en = " (a total: every part must be reported)" if is_derived_field(indicator.report_field) else ""
        note = Bilingual(
            zh=f"年度报告未填报 {indicator.report_field}{total_hint_zh}，本项得 0 分",
            en=f"{indicator.report_field} was not reported{total_hint_en}; the indicator scores 0",
        )
    else:
        fraction = quantitative_fraction(actual=actual, target=indicator.target)
        if indicator.target == 0:
            note = Bilingual(zh="目标为 0，视为完成", en="the target is 0, so it counts as met")
    return _scored(
        indicator,
        first_level_code,
        fraction,
        report_field=indicator.report_field,
        actual=actual,
        target=indicator.target,
        note=note,
    )


def _score_qualitative(
    indicator: Indicator, first_level_code: str, scores: tuple[Decimal, ...], rules: EvaluationRules
) -> IndicatorScore:
    note: Bilingual | None = None
    if not scores:
        note = Bilingual(zh="无专家评分，本项得 0 分", en="no expert scored this indicator; it scores 0")
    used = trimmed_scores(scores, rules.expert_scoring)
    fraction = expert_fraction(scores, rules.expert_scoring)
    return _scored(indicator, first_level_code, fraction, expert_scores=scores, scores_used=used, note=note)


def score_annual_report(
    *,
    report: AnnualReport,
    system: IndicatorSystem,
    rules: EvaluationRules,
    expert_scores: Mapping[str, Sequence[ExpertScore]] | None = None,
) -> AnnualScore:
    """Score a report against an indicator system (already adjusted by the center's letter, if any).

    Quantitative indicators read their figure from the report; qualitative ones take the experts' scores,
    keyed by indicator code. Total = Σ weight × fraction, rounded per the rules; graded by their thresholds.
    """
    if rules.indicator_system != system.code:
        raise ScoringInputRefused(f"rules {rules.code} score {rules.indicator_system}, not {system.code}")
    checked = _check_expert_scores(expert_scores or {}, system, rules)
    breakdown: list[IndicatorScore] = []
    for group in system.first_level:
        for indicator in group.indicators:
            if indicator.kind is IndicatorKind.QUANTITATIVE:
                breakdown.append(_score_quantitative(indicator, group.code, report))
            else:
                breakdown.append(_score_qualitative(indicator, group.code, checked.get(indicator.code, ()), rules))
    with decimal.localcontext(prec=_PRECISION):
        total = round_total(sum((score.points for score in breakdown), Decimal(0)), rules)
    return AnnualScore(
        year=report.year,
        indicator_system=system.code,
        indicator_system_version=system.version,
        rules=rules.code,
        rules_version=rules.version,
        adjusted_for=system.adjusted_for,
        total=total,
        grade=grade_for(total, rules),
        breakdown=tuple(breakdown),
    )
