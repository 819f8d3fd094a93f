"""Grades by threshold (POLICY §3 Grades [default]): excellent ≥ 90, good ≥ 80, qualified ≥ 60."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from evaluation.domain.indicators import IndicatorSystem
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, Grade
from evaluation.domain.scoring import grade_for, score_annual_report


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100.00", Grade.EXCELLENT),
        ("90.01", Grade.EXCELLENT),
        ("90.00", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80.01", Grade.GOOD),
        ("80.00", Grade.GOOD),
        ("79.99", Grade.QUALIFIED),
        ("60.01", Grade.QUALIFIED),
        ("60.00", Grade.QUALIFIED),
        ("59.99", Grade.UNQUALIFIED),
        ("0.00", Grade.UNQUALIFIED),
    ],
)
def test_grade_thresholds_at_below_and_above(rules: EvaluationRules, total: str, grade: Grade) -> None:
    assert grade_for(Decimal(total), rules) is grade


def test_grade_thresholds_come_from_data(rules: EvaluationRules) -> None:
    assert [(t.grade, t.min_score) for t in rules.grades] == [
        (Grade.EXCELLENT, Decimal(90)),
        (Grade.GOOD, Decimal(80)),
        (Grade.QUALIFIED, Decimal(60)),
        (Grade.UNQUALIFIED, Decimal(0)),
    ]
    assert all(t.clause for t in rules.grades)


def test_a_report_scoring_exactly_ninety_is_excellent(
    system: IndicatorSystem,
    rules: EvaluationRules,
    everything_met: Callable[..., AnnualReport],
    full_marks: dict[str, list[Decimal]],
) -> None:
    experts = {**full_marks, "1.1": [], "1.2": []}  # group 1 (10 points) lost
    score = score_annual_report(report=everything_met(), system=system, rules=rules, expert_scores=experts)
    assert score.total == Decimal("90.00")
    assert score.grade is Grade.EXCELLENT


def test_a_report_scoring_just_below_ninety_is_good(
    system: IndicatorSystem,
    rules: EvaluationRules,
    everything_met: Callable[..., AnnualReport],
    full_marks: dict[str, list[Decimal]],
) -> None:
    # 1.1 and 1.2 lost (10 points) and 2.1 at 99.8 % (5 × 0.998 = 4.99): 89.99.
    experts = {**full_marks, "1.1": [], "1.2": [], "2.1": [Decimal("99.8")]}
    score = score_annual_report(report=everything_met(), system=system, rules=rules, expert_scores=experts)
    assert score.total == Decimal("89.99")
    assert score.grade is Grade.GOOD


def test_grade_is_given_on_the_rounded_total(
    system: IndicatorSystem,
    rules: EvaluationRules,
    everything_met: Callable[..., AnnualReport],
    full_marks: dict[str, list[Decimal]],
) -> None:
    # 2.1 at 99.9 %: 89.995 is kept as 90.00, which is excellent.
    experts = {**full_marks, "1.1": [], "1.2": [], "2.1": [Decimal("99.9")]}
    score = score_annual_report(report=everything_met(), system=system, rules=rules, expert_scores=experts)
    assert score.total == Decimal("90.00")
    assert score.grade is Grade.EXCELLENT
