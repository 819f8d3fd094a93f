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
    finalize_blocker,
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


def test_only_building_or_operating_municipal_tics_are_evaluated_for_the_years_after_approval(
    rules: EvaluationRules,
) -> None:
    approved = dt.date(2024, 5, 1)
    mt = "municipal_tic"
    assert is_eligible(status="building", tier=mt, approved_on=approved, year=2025, rules=rules)
    assert is_eligible(status="operating", tier=mt, approved_on=approved, year=2026, rules=rules)
    # 001 §5(1): each calendar year after the year of approval, not the year itself.
    assert not is_eligible(status="building", tier=mt, approved_on=approved, year=2024, rules=rules)
    assert not is_eligible(status="building", tier=mt, approved_on=approved, year=2023, rules=rules)
    assert not is_eligible(status="delisted", tier=mt, approved_on=approved, year=2025, rules=rules)
    assert not is_eligible(status="building", tier=mt, approved_on=None, year=2025, rules=rules)
    for other in ("national_tic", "provincial_tic", "key_enterprise_institute", "enterprise_rd_center"):
        assert not is_eligible(status="building", tier=other, approved_on=approved, year=2025, rules=rules)


def test_an_evaluation_is_never_finalized_empty_nor_an_acceptance_before_construction_ends() -> None:
    annual, acceptance = EvaluationKind.ANNUAL, EvaluationKind.ACCEPTANCE
    today = dt.date(2026, 6, 1)
    common = {"construction_end": dt.date(2026, 12, 1), "today": today}
    empty = finalize_blocker(kind=annual, has_report=False, has_scores=False, not_submitted=False, **common)
    assert empty is not None and "not submitted" in empty.en and "未提交" in empty.zh
    for ready in ({"has_report": True}, {"has_scores": True}, {"not_submitted": True}):
        flags = {"has_report": False, "has_scores": False, "not_submitted": False, **ready}
        assert finalize_blocker(kind=annual, **flags, **common) is None
    early = finalize_blocker(kind=acceptance, has_report=True, has_scores=True, not_submitted=False, **common)
    assert early is not None and "2026-12-01" in early.en and "建设期至 2026-12-01" in early.zh
    ended = {"construction_end": dt.date(2026, 5, 31), "today": today}
    assert finalize_blocker(kind=acceptance, has_report=True, has_scores=False, not_submitted=False, **ended) is None


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
    center = CenterFacts(
        center_id="c", status="building", tier="municipal_tic", approved_on=dt.date(2020, 1, 1), construction_end=None
    )
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
    center = CenterFacts(
        center_id="c", status="building", tier="municipal_tic", approved_on=dt.date(2020, 1, 1), construction_end=None
    )
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
