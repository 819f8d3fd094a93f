"""An evaluation's lifecycle and finalize: locking, reopen, eligibility, acceptance kind, letters from approval."""

import datetime as dt
from collections.abc import Callable

import pytest

from evaluation.domain.evaluation import (
    Action,
    CenterFacts,
    EvaluationKind,
    EvaluationStatus,
    PriorResult,
    TransitionRefused,
    check_action,
    conclude,
    effective_letter,
    is_eligible,
    kind_for,
    letter_from_approval,
    status_after_reopen,
)
from evaluation.domain.indicators import IndicatorSystem, ResponsibilityLetter
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, Grade


def test_a_finalized_evaluation_is_locked_until_reopened() -> None:
    for action in (Action.SUBMIT_REPORT, Action.ASSIGN_EXPERT, Action.SCORE, Action.FINALIZE):
        with pytest.raises(TransitionRefused) as refused:
            check_action(EvaluationStatus.FINALIZED, action)
        assert refused.value.allowed == ["reopen"]
    check_action(EvaluationStatus.FINALIZED, Action.REOPEN)
    with pytest.raises(TransitionRefused):
        check_action(EvaluationStatus.REPORTED, Action.REOPEN)
    assert status_after_reopen(has_report=True) is EvaluationStatus.REPORTED
    assert status_after_reopen(has_report=False) is EvaluationStatus.AWAITING_REPORT


def test_only_building_or_operating_centers_approved_by_the_year_are_evaluated() -> None:
    approved = dt.date(2024, 5, 1)
    assert is_eligible(status="building", approved_on=approved, year=2024)
    assert is_eligible(status="operating", approved_on=approved, year=2026)
    assert not is_eligible(status="building", approved_on=approved, year=2023)
    assert not is_eligible(status="delisted", approved_on=approved, year=2025)
    assert not is_eligible(status="building", approved_on=None, year=2025)


def test_the_evaluation_of_the_year_construction_ends_is_the_acceptance(rules: EvaluationRules) -> None:
    approved = dt.date(2021, 3, 1)
    end = dt.date(2026, 2, 28)
    assert (
        kind_for(status="building", approved_on=approved, construction_end=end, year=2026, rules=rules) == "acceptance"
    )
    assert kind_for(status="building", approved_on=approved, construction_end=end, year=2025, rules=rules) == "annual"
    assert kind_for(status="operating", approved_on=approved, construction_end=end, year=2026, rules=rules) == "annual"
    assert (
        kind_for(status="building", approved_on=approved, construction_end=None, year=2026, rules=rules) == "acceptance"
    )


def test_approval_targets_become_the_letter_and_the_bureau_letter_overrides(
    system: IndicatorSystem, rules: EvaluationRules
) -> None:
    targets = {
        "year_2": {"investment_fen": 5, "team": 6, "high_level_teams": 1, "clause": "letter"},
        "end_of_construction": {"transfer_bases": 2, "spinoffs": 3, "unknown": 9},
        "8.2": 12,
        "1.1": 50,  # qualitative: no target, ignored
        "6.4": -1,  # not a count, ignored
    }
    letter = letter_from_approval(center_id="c", targets=targets, system=system, rules=rules)
    assert letter.targets == {"8.2": 12}
    assert letter.milestone_targets == {
        "two_years": {"cumulative_investment_fen": 5, "team_total": 6, "high_level_teams": 1},
        "end_of_construction": {"bases": 2, "spin_offs": 3},
    }
    recorded = ResponsibilityLetter(
        center_id="c", targets={"8.2": 20}, milestone_targets={"two_years": {"team_total": 9}}
    )
    merged = effective_letter(approval=letter, letter=recorded)
    assert merged.targets == {"8.2": 20}
    assert merged.milestone_targets["two_years"] == {
        "cumulative_investment_fen": 5,
        "team_total": 9,
        "high_level_teams": 1,
    }


def test_finalize_counts_the_consecutive_unqualified_run_and_names_it(
    system: IndicatorSystem, rules: EvaluationRules, everything_met: Callable[..., AnnualReport]
) -> None:
    center = CenterFacts(center_id="c", status="building", approved_on=dt.date(2020, 1, 1), construction_end=None)
    prior = [PriorResult("e1", 2021, "good"), PriorResult("e2", 2022, "unqualified")]
    empty = AnnualReport(year=2023)
    conclusion = conclude(
        evaluation_id="e3",
        kind=EvaluationKind.ANNUAL,
        year=2023,
        center=center,
        report=empty,
        reports=[],
        expert_scores={},
        prior=prior,
        system=system,
        rules=rules,
        letter=ResponsibilityLetter(center_id="c"),
    )
    assert conclusion.score.grade is Grade.UNQUALIFIED
    assert conclusion.consequences.consecutive_unqualified == 2 and conclusion.consequences.delist
    assert conclusion.unqualified_run == ("e2", "e3")
    assert conclusion.milestones == () and conclusion.acceptance is None


def test_finalize_of_the_acceptance_year_checks_milestones_and_acceptance(
    system: IndicatorSystem,
    rules: EvaluationRules,
    everything_met: Callable[..., AnnualReport],
    full_marks: dict[str, list[object]],
) -> None:
    center = CenterFacts(center_id="c", status="building", approved_on=dt.date(2020, 1, 1), construction_end=None)
    conclusion = conclude(
        evaluation_id="e5",
        kind=EvaluationKind.ACCEPTANCE,
        year=2025,
        center=center,
        report=everything_met(2025),
        reports=[],
        expert_scores=full_marks,
        prior=[],
        system=system,
        rules=rules,  # type: ignore[arg-type]
        letter=ResponsibilityLetter(center_id="c"),
    )
    assert [check.checkpoint for check in conclusion.milestones] == ["five_years", "end_of_construction"]
    assert conclusion.acceptance is not None and conclusion.acceptance.passed
    assert conclusion.consequences.consecutive_unqualified == 0
