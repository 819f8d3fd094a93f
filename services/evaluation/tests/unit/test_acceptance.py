"""Acceptance (验收, 001 §5(4)): 5-year and end-of-construction targets met, last grade not unqualified."""

from datetime import date
from typing import Any

import pytest

from evaluation.domain.acceptance import assess_acceptance
from evaluation.domain.indicators import ResponsibilityLetter
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import Checkpoint, EvaluationRules, Grade

APPROVED = date(2023, 3, 1)
FINAL = 2028  # a five-year construction period


def _reports(*, until: int = FINAL, per_year_fen: int = 4_000_000_000, **last_year: Any) -> list[AnnualReport]:
    """Reports meeting every 5-year and end-of-construction target; the last year's can be changed."""
    reports = []
    for year in range(2023, until + 1):
        data: dict[str, Any] = {
            "year": year,
            "investment": {
                "lead_unit_fen": per_year_fen,
                "co_builders_fen": 0,
                "municipal_fiscal_fen": 0,
                "district_fiscal_fen": 0,
                "national_funds_fen": 0,
                "social_capital_fen": 0,
            },
            "team": {"total": 300, "high_level_teams": 5},
            "ecosystem": {"bases": 1, "close_partners": 20, "spin_offs": 1, "enterprises_served": 20},
        }
        if year == until:
            for section, figures in last_year.items():
                data[section] = {**data[section], **figures}
        reports.append(AnnualReport.model_validate(data))
    return reports


def test_acceptance_requires_the_five_year_and_end_of_construction_milestones(rules: EvaluationRules) -> None:
    assert rules.acceptance.required_checkpoints == (Checkpoint.FIVE_YEARS, Checkpoint.END_OF_CONSTRUCTION)
    assert rules.acceptance.failing_last_grades == (Grade.UNQUALIFIED,)
    assert "001 §5(4)" in rules.acceptance.clause


@pytest.mark.parametrize("grade", [Grade.EXCELLENT, Grade.GOOD, Grade.QUALIFIED])
def test_acceptance_passes_when_targets_met_and_last_grade_not_unqualified(
    rules: EvaluationRules, grade: Grade
) -> None:
    result = assess_acceptance(
        approved_on=APPROVED, final_year=FINAL, reports=_reports(), last_annual_grade=grade, rules=rules
    )
    assert result.passed
    assert len(result.reasons) == 1
    assert result.reasons[0].en.startswith("construction targets met (5 years after approval and end of construction)")
    assert "批复创建后5年、建设期满目标均已达到" in result.reasons[0].zh
    assert [check.checkpoint for check in result.checks] == [
        Checkpoint.FIVE_YEARS,
        Checkpoint.END_OF_CONSTRUCTION,
    ]


def test_acceptance_fails_on_an_unqualified_last_grade(rules: EvaluationRules) -> None:
    result = assess_acceptance(
        approved_on=APPROVED, final_year=FINAL, reports=_reports(), last_annual_grade=Grade.UNQUALIFIED, rules=rules
    )
    assert not result.passed
    assert [(r.zh, r.en) for r in result.reasons] == [
        ("最近一次年度绩效评价为不合格", "the last annual evaluation was unqualified")
    ]


def test_acceptance_fails_on_a_missed_five_year_target(rules: EvaluationRules) -> None:
    result = assess_acceptance(
        approved_on=APPROVED,
        final_year=FINAL,
        reports=_reports(team={"total": 299}),
        last_annual_grade=Grade.GOOD,
        rules=rules,
    )
    assert not result.passed
    assert len(result.reasons) == 1
    reason = result.reasons[0]
    assert reason.en == (
        "5 years after approval target not met: High-level technology innovation team (people) is 299, "
        "target 300 (001 §2(6))"
    )
    assert reason.zh.startswith("批复创建后5年目标未完成：高水平技术创新队伍人数 实际 299，目标 300")


def test_acceptance_fails_on_a_missed_end_of_construction_target_with_every_reason(
    rules: EvaluationRules,
) -> None:
    result = assess_acceptance(
        approved_on=APPROVED,
        final_year=FINAL,
        reports=_reports(ecosystem={"bases": 0, "close_partners": None}),
        last_annual_grade=Grade.UNQUALIFIED,
        rules=rules,
    )
    assert not result.passed
    assert [r.en.split(":")[0] for r in result.reasons] == [
        "end of construction target not met",
        "end of construction target not met",
        "the last annual evaluation was unqualified",
    ]
    assert "not reported" in result.reasons[1].en
    assert "未填报" in result.reasons[1].zh


def test_acceptance_fails_without_any_annual_evaluation(rules: EvaluationRules) -> None:
    result = assess_acceptance(
        approved_on=APPROVED, final_year=FINAL, reports=_reports(), last_annual_grade=None, rules=rules
    )
    assert not result.passed
    assert result.reasons[0].en == "no annual evaluation on record"


def test_acceptance_uses_the_letter_targets(rules: EvaluationRules) -> None:
    letter = ResponsibilityLetter(center_id="c-1", milestone_targets={"five_years": {"team_total": 250}})
    reports = _reports(team={"total": 260})
    assert assess_acceptance(
        approved_on=APPROVED,
        final_year=FINAL,
        reports=reports,
        last_annual_grade=Grade.GOOD,
        rules=rules,
        letter=letter,
    ).passed
    assert not assess_acceptance(
        approved_on=APPROVED, final_year=FINAL, reports=reports, last_annual_grade=Grade.GOOD, rules=rules
    ).passed


def test_a_shorter_construction_period_is_accepted_on_its_own_final_year(rules: EvaluationRules) -> None:
    # Approved in 2023 with a 3-year period: accepted on the reports up to 2026, not asked for 2028's.
    reports = _reports(until=2026, per_year_fen=6_000_000_000, ecosystem={"spin_offs": 2, "enterprises_served": 40})
    result = assess_acceptance(
        approved_on=APPROVED, final_year=2026, reports=reports, last_annual_grade=Grade.GOOD, rules=rules
    )
    assert result.passed, [r.en for r in result.reasons]
    assert {check.due_year for check in result.checks} == {2026}
    assert all("not reported" not in (f.note.en if f.note else "") for c in result.checks for f in c.figures)


def test_a_missed_money_target_is_told_in_yuan_never_in_fen(rules: EvaluationRules) -> None:
    result = assess_acceptance(
        approved_on=APPROVED,
        final_year=FINAL,
        reports=_reports(per_year_fen=1_000_000_000),
        last_annual_grade=Grade.GOOD,
        rules=rules,
    )
    (reason,) = [r for r in result.reasons if "investment" in r.en]
    assert "is CNY 60,000,000, target CNY 200,000,000 (001 §2(5))" in reason.en
    assert "实际 60,000,000 元，目标 200,000,000 元" in reason.zh
