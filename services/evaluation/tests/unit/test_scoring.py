"""Scoring rules (POLICY §3 Scoring): fractions, expert trimming, weights, rounding."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from evaluation.domain.indicators import IndicatorSystem, ResponsibilityLetter, apply_letter
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, Grade
from evaluation.domain.scoring import (
    AnnualScore,
    ScoringInputRefused,
    expert_fraction,
    quantitative_fraction,
    round_total,
    score_annual_report,
    trimmed_scores,
)

D = Decimal


def _line(score: AnnualScore, code: str):  # type: ignore[no-untyped-def]
    return next(line for line in score.breakdown if line.code == code)


def test_quantitative_fraction_is_actual_over_target() -> None:
    assert quantitative_fraction(actual=25, target=100) == D("0.25")
    assert quantitative_fraction(actual=1, target=3).quantize(D("0.000001")) == D("0.333333")


def test_quantitative_fraction_capped_at_one() -> None:
    assert quantitative_fraction(actual=100, target=100) == 1
    assert quantitative_fraction(actual=1_000_000, target=100) == 1


def test_quantitative_target_zero_gives_full_score() -> None:
    assert quantitative_fraction(actual=0, target=0) == 1


def test_quantitative_target_zero_gives_full_score_in_a_report(system: IndicatorSystem, rules: EvaluationRules) -> None:
    letter = ResponsibilityLetter(center_id="c-1", targets={"8.2": 0})
    report = AnnualReport.model_validate({"year": 2024, "results": {"patents": 0}})
    line = _line(score_annual_report(report=report, system=apply_letter(system, letter), rules=rules), "8.2")
    assert line.fraction == 1
    assert line.points == line.weight
    assert line.note is not None and "target is 0" in line.note.en


def test_quantitative_missing_figure_scores_zero_and_says_so(system: IndicatorSystem, rules: EvaluationRules) -> None:
    report = AnnualReport.model_validate({"year": 2024, "results": {"patents": 5}})
    score = score_annual_report(report=report, system=system, rules=rules)
    line = _line(score, "6.4")
    assert line.actual is None
    assert line.fraction == 0
    assert line.points == 0
    assert line.note is not None
    assert "team.full_time_researchers was not reported" in line.note.en
    assert "未填报" in line.note.zh
    assert _line(score, "8.2").note is None


def test_quantitative_missing_part_of_a_total_scores_zero_and_says_so(
    system: IndicatorSystem, rules: EvaluationRules
) -> None:
    report = AnnualReport.model_validate({"year": 2024, "investment": {"municipal_fiscal_fen": 10**10}})
    line = _line(score_annual_report(report=report, system=system, rules=rules), "5.3")
    assert line.fraction == 0
    assert line.note is not None and "every part must be reported" in line.note.en


def test_quantitative_fraction_in_the_breakdown(system: IndicatorSystem, rules: EvaluationRules) -> None:
    report = AnnualReport.model_validate({"year": 2024, "team": {"full_time_researchers": 25}})
    line = _line(score_annual_report(report=report, system=system, rules=rules), "6.4")
    assert (line.actual, line.target, line.report_field) == (25, 50, "team.full_time_researchers")
    assert line.fraction == D("0.5")
    assert line.points == D("1.67") * D("0.5")


def test_expert_trimming_not_applied_with_four_experts(rules: EvaluationRules) -> None:
    scores = [D(0), D(60), D(80), D(100)]
    assert trimmed_scores(scores, rules.expert_scoring) == (D(0), D(60), D(80), D(100))
    assert expert_fraction(scores, rules.expert_scoring) == D("0.6")


def test_expert_trimming_drops_highest_and_lowest_with_five_experts(rules: EvaluationRules) -> None:
    scores = [D(100), D(70), D(0), D(80), D(90)]
    assert trimmed_scores(scores, rules.expert_scoring) == (D(70), D(80), D(90))
    assert expert_fraction(scores, rules.expert_scoring) == D("0.8")


def test_expert_trimming_drops_only_one_of_each_with_six_experts(rules: EvaluationRules) -> None:
    scores = [D(100), D(100), D(60), D(60), D(70), D(90)]
    assert trimmed_scores(scores, rules.expert_scoring) == (D(60), D(70), D(90), D(100))
    assert expert_fraction(scores, rules.expert_scoring) == D("0.8")


def test_expert_scores_in_the_breakdown(system: IndicatorSystem, rules: EvaluationRules) -> None:
    score = score_annual_report(
        report=AnnualReport(year=2024),
        system=system,
        rules=rules,
        expert_scores={"1.1": [100, 70, 0, 80, D("90")]},
    )
    line = _line(score, "1.1")
    assert line.expert_scores == (D(100), D(70), D(0), D(80), D(90))
    assert line.scores_used == (D(70), D(80), D(90))
    assert line.fraction == D("0.8")
    assert line.points == D("4.000")
    assert score.total == D("4.00")


def test_qualitative_without_experts_scores_zero_and_says_so(system: IndicatorSystem, rules: EvaluationRules) -> None:
    line = _line(score_annual_report(report=AnnualReport(year=2024), system=system, rules=rules), "4.2")
    assert line.fraction == 0
    assert line.note is not None and "no expert" in line.note.en
    assert line.note.zh == "无专家评分，本项得 0 分"


def test_weights_applied(
    system: IndicatorSystem,
    rules: EvaluationRules,
    everything_met: Callable[..., AnnualReport],
    full_marks: dict[str, list[Decimal]],
) -> None:
    full = score_annual_report(report=everything_met(), system=system, rules=rules, expert_scores=full_marks)
    assert full.total == D("100.00")
    assert all(line.points == line.weight for line in full.breakdown)
    # Dropping 3.1 (weight 3.34) and 9.7 (weight 1.42) to zero costs exactly their weights.
    partial = dict(full_marks)
    partial["3.1"] = [D(0)] * 5
    partial["9.7"] = []
    score = score_annual_report(report=everything_met(), system=system, rules=rules, expert_scores=partial)
    assert score.total == D("100.00") - D("3.34") - D("1.42")


def test_letter_weights_applied(system: IndicatorSystem, rules: EvaluationRules, qualitative_codes: list[str]) -> None:
    letter = ResponsibilityLetter(center_id="c-1", weights={"1.1": D("8"), "1.2": D("2")})
    adjusted = apply_letter(system, letter)
    experts = {"1.1": [D(100)], "1.2": [D(0)]}
    score = score_annual_report(report=AnnualReport(year=2024), system=adjusted, rules=rules, expert_scores=experts)
    assert score.total == D("8.00")
    assert score.adjusted_for == "c-1"


def test_total_rounded_to_two_decimals(system: IndicatorSystem, rules: EvaluationRules) -> None:
    # 1.1 weight 5 × (200/3)/100 = 3.3333…
    score = score_annual_report(
        report=AnnualReport(year=2024), system=system, rules=rules, expert_scores={"1.1": [100, 100, 0]}
    )
    assert score.total == D("3.33")
    assert score.total.as_tuple().exponent == -2


def test_total_rounds_half_up(system: IndicatorSystem, rules: EvaluationRules) -> None:
    # 1.1 weight 5 × (150.3/3)/100 = 5 × 0.501 = 2.505: half-up gives 2.51 where banker's rounding gives 2.50.
    score = score_annual_report(
        report=AnnualReport(year=2024),
        system=system,
        rules=rules,
        expert_scores={"1.1": [D("50"), D("50"), D("50.3")]},
    )
    assert _line(score, "1.1").points == D("2.505")
    assert score.total == D("2.51")


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("2.505", "2.51"), ("2.5049", "2.50"), ("89.995", "90.00"), ("89.994", "89.99"), ("0", "0.00")],
)
def test_round_total_half_up(rules: EvaluationRules, raw: str, kept: str) -> None:
    assert round_total(D(raw), rules) == D(kept)


def test_full_breakdown_lists_every_indicator(system: IndicatorSystem, rules: EvaluationRules) -> None:
    score = score_annual_report(report=AnnualReport(year=2024), system=system, rules=rules)
    assert [line.code for line in score.breakdown] == [i.code for i in system.indicators]
    assert score.total == 0
    assert score.grade is Grade.UNQUALIFIED
    assert (score.indicator_system, score.indicator_system_version, score.year) == (
        "ningbo-tic-2022",
        1,
        2024,
    )


@pytest.mark.parametrize(
    ("experts", "message"),
    [
        ({"11.1": [80]}, "unknown indicator code"),
        ({"5.2": [80]}, "quantitative"),
        ({"1.1": [101]}, "outside 0–100"),
        ({"1.1": [D(-1)]}, "outside 0–100"),
        ({"1.1": [D("NaN")]}, "outside 0–100"),
    ],
)
def test_bad_expert_scores_refused(
    system: IndicatorSystem, rules: EvaluationRules, experts: dict[str, list[int | Decimal]], message: str
) -> None:
    with pytest.raises(ScoringInputRefused, match=message):
        score_annual_report(report=AnnualReport(year=2024), system=system, rules=rules, expert_scores=experts)
