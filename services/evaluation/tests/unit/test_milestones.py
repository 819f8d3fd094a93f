"""Construction milestones (001 §2(5), §2(6), §2(10)): figures at 2 and 5 years and at the end."""

from datetime import date
from typing import Any

import pytest

from evaluation.domain.indicators import LetterRefused, ResponsibilityLetter
from evaluation.domain.milestones import (
    MilestoneCheck,
    check_milestone,
    checkpoints_due,
    due_year,
    milestone_targets,
)
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import Checkpoint, EvaluationRules

APPROVED = date(2023, 3, 1)
YUAN = 100  # fen
INVESTMENT_FIELDS = (
    "lead_unit_fen",
    "co_builders_fen",
    "municipal_fiscal_fen",
    "district_fiscal_fen",
    "national_funds_fen",
    "social_capital_fen",
)


def _report(
    year: int,
    *,
    investment_yuan: int | None = 0,
    team: int | None = 0,
    teams: int | None = 0,
    ecosystem: dict[str, int] | None = None,
) -> AnnualReport:
    data: dict[str, Any] = {"year": year, "team": {"total": team, "high_level_teams": teams}}
    if investment_yuan is not None:
        # Spread over two sources so the milestone must add sources as well as years.
        data["investment"] = {field: 0 for field in INVESTMENT_FIELDS}
        data["investment"]["lead_unit_fen"] = investment_yuan * YUAN // 2
        data["investment"]["municipal_fiscal_fen"] = investment_yuan * YUAN - investment_yuan * YUAN // 2
    if ecosystem is not None:
        data["ecosystem"] = ecosystem
    return AnnualReport.model_validate(data)


def _figure(check: MilestoneCheck, name: str):  # type: ignore[no-untyped-def]
    return next(figure for figure in check.figures if figure.figure == name)


def test_milestone_figures_come_from_data_with_clauses(rules: EvaluationRules) -> None:
    expected = {
        Checkpoint.TWO_YEARS: {
            "cumulative_investment_fen": 10**8 * YUAN,
            "team_total": 100,
            "high_level_teams": 2,
        },
        Checkpoint.FIVE_YEARS: {
            "cumulative_investment_fen": 2 * 10**8 * YUAN,
            "team_total": 300,
            "high_level_teams": 5,
        },
        Checkpoint.END_OF_CONSTRUCTION: {
            "bases": 1,
            "close_partners": 20,
            "spin_offs": 5,
            "enterprises_served": 100,
        },
    }
    for checkpoint, targets in expected.items():
        assert milestone_targets(checkpoint=checkpoint, rules=rules) == targets
        assert all(figure.clause.startswith("001 §2(") for figure in rules.milestone(checkpoint).figures)
    assert rules.milestone(Checkpoint.TWO_YEARS).years_after_approval == 2
    assert rules.milestone(Checkpoint.FIVE_YEARS).years_after_approval == 5
    assert rules.construction.years == 5


def test_checkpoints_due_in_the_matching_year(rules: EvaluationRules) -> None:
    assert checkpoints_due(approved_on=APPROVED, year=2024, rules=rules) == ()
    assert checkpoints_due(approved_on=APPROVED, year=2025, rules=rules) == (Checkpoint.TWO_YEARS,)
    assert checkpoints_due(approved_on=APPROVED, year=2028, rules=rules) == (
        Checkpoint.FIVE_YEARS,
        Checkpoint.END_OF_CONSTRUCTION,
    )
    assert due_year(approved_on=APPROVED, checkpoint=Checkpoint.TWO_YEARS, rules=rules) == 2025


def test_two_year_milestone_met(rules: EvaluationRules) -> None:
    reports = [
        _report(2023, investment_yuan=30_000_000, team=40, teams=1),
        _report(2024, investment_yuan=30_000_000, team=80, teams=1),
        _report(2025, investment_yuan=40_000_000, team=100, teams=2),
    ]
    check = check_milestone(checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert check.met
    assert check.years_counted == (2023, 2024, 2025)
    investment = _figure(check, "cumulative_investment_fen")
    assert (investment.actual, investment.target, investment.met) == (10**8 * YUAN, 10**8 * YUAN, True)
    assert (_figure(check, "team_total").actual, _figure(check, "high_level_teams").actual) == (100, 2)
    assert not any(figure.from_letter for figure in check.figures)


def test_two_year_milestone_missed_reports_each_figure(rules: EvaluationRules) -> None:
    reports = [
        _report(2023, investment_yuan=30_000_000, team=40, teams=1),
        _report(2024, investment_yuan=30_000_000, team=80, teams=1),
        _report(2025, investment_yuan=39_999_999, team=99, teams=2),
    ]
    check = check_milestone(checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert not check.met
    assert not _figure(check, "cumulative_investment_fen").met
    assert _figure(check, "cumulative_investment_fen").actual == 99_999_999 * YUAN
    assert not _figure(check, "team_total").met
    assert _figure(check, "high_level_teams").met


def test_head_counts_are_read_from_the_due_year_not_summed(rules: EvaluationRules) -> None:
    reports = [
        _report(2023, team=60, teams=1),
        _report(2024, team=60, teams=1),
        _report(2025, team=60, teams=1),
    ]
    check = check_milestone(checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert _figure(check, "team_total").actual == 60
    assert not _figure(check, "team_total").met


def test_five_year_milestone_met(rules: EvaluationRules) -> None:
    reports = [_report(year, investment_yuan=40_000_000, team=300, teams=5) for year in range(2023, 2028)]
    reports.append(_report(2028, investment_yuan=0, team=300, teams=5))
    check = check_milestone(checkpoint=Checkpoint.FIVE_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert check.met
    assert _figure(check, "cumulative_investment_fen").actual == 2 * 10**8 * YUAN


def test_five_year_milestone_missed(rules: EvaluationRules) -> None:
    reports = [_report(year, investment_yuan=40_000_000, team=250, teams=6) for year in range(2023, 2029)]
    check = check_milestone(checkpoint=Checkpoint.FIVE_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert not check.met
    assert [figure.figure for figure in check.figures if not figure.met] == ["team_total"]


def test_reports_outside_the_window_are_ignored(rules: EvaluationRules) -> None:
    reports = [
        _report(2022, investment_yuan=10**9, team=1000, teams=10),
        _report(2025, investment_yuan=1, team=100, teams=2),
        _report(2026, investment_yuan=10**9, team=1000, teams=10),
    ]
    check = check_milestone(checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert check.years_counted == (2025,)
    assert _figure(check, "cumulative_investment_fen").actual == 1 * YUAN


def test_end_of_construction_milestone_met_and_missed(rules: EvaluationRules) -> None:
    yearly = {"bases": 1, "close_partners": 20, "spin_offs": 1, "enterprises_served": 20}
    reports = [_report(year, ecosystem=yearly) for year in range(2024, 2029)]
    check = check_milestone(
        checkpoint=Checkpoint.END_OF_CONSTRUCTION, approved_on=APPROVED, reports=reports, rules=rules
    )
    assert check.met
    assert (_figure(check, "spin_offs").actual, _figure(check, "enterprises_served").actual) == (5, 100)
    assert (_figure(check, "bases").actual, _figure(check, "close_partners").actual) == (1, 20)

    short = [
        *reports[:-1],
        _report(2028, ecosystem={**yearly, "close_partners": 19, "enterprises_served": 19}),
    ]
    missed = check_milestone(
        checkpoint=Checkpoint.END_OF_CONSTRUCTION, approved_on=APPROVED, reports=short, rules=rules
    )
    assert [figure.figure for figure in missed.figures if not figure.met] == [
        "close_partners",
        "enterprises_served",
    ]


def test_a_missing_figure_is_not_met_and_says_so(rules: EvaluationRules) -> None:
    reports = [_report(2024, investment_yuan=None, team=None, teams=None)]
    check = check_milestone(checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules)
    assert not check.met
    team = _figure(check, "team_total")
    assert team.actual is None
    assert team.note is not None and "2025" in team.note.en
    investment = _figure(check, "cumulative_investment_fen")
    assert investment.actual is None
    assert investment.note is not None and "2024 investment.lead_unit_fen" in investment.note.en


def test_responsibility_letter_targets_override_defaults(rules: EvaluationRules) -> None:
    letter = ResponsibilityLetter(
        center_id="c-1", milestone_targets={"two_years": {"team_total": 60, "cumulative_investment_fen": 0}}
    )
    reports = [_report(2025, investment_yuan=0, team=60, teams=2)]
    check = check_milestone(
        checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules, letter=letter
    )
    assert check.met
    assert _figure(check, "team_total").target == 60
    assert _figure(check, "team_total").from_letter
    assert not _figure(check, "high_level_teams").from_letter
    # The same reports fall short for a center held to the defaults.
    assert not check_milestone(checkpoint=Checkpoint.TWO_YEARS, approved_on=APPROVED, reports=reports, rules=rules).met


@pytest.mark.parametrize(
    ("milestones", "message"),
    [
        ({"three_years": {"team_total": 1}}, "unknown checkpoint 'three_years'"),
        ({"two_years": {"bases": 1}}, "unknown figure 'bases'"),
    ],
)
def test_letter_with_unknown_milestone_refused(
    rules: EvaluationRules, milestones: dict[str, dict[str, int]], message: str
) -> None:
    letter = ResponsibilityLetter(center_id="c-1", milestone_targets=milestones)
    with pytest.raises(LetterRefused, match=message):
        milestone_targets(checkpoint=Checkpoint.TWO_YEARS, rules=rules, letter=letter)


def test_two_reports_for_one_year_refused(rules: EvaluationRules) -> None:
    with pytest.raises(ValueError, match="more than one"):
        check_milestone(
            checkpoint=Checkpoint.TWO_YEARS,
            approved_on=APPROVED,
            reports=[_report(2024), _report(2024)],
            rules=rules,
        )
