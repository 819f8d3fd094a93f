"""Consequences (000 §4(4), 001 §5(4), §3(4)): consecutive unqualified, delisting, priority support."""

import pytest

from evaluation.domain.consequences import AnnualResult, assess_consequences, consecutive_unqualified
from evaluation.domain.rules import EvaluationRules, Grade
from tic_shared.vocabulary import Tier

E, G, Q, U = Grade.EXCELLENT, Grade.GOOD, Grade.QUALIFIED, Grade.UNQUALIFIED
MT = Tier.MUNICIPAL_TIC


def _history(*grades: Grade, start: int = 2023) -> list[AnnualResult]:
    return [AnnualResult(year=start + n, grade=grade) for n, grade in enumerate(grades)]


def test_delisting_count_comes_from_data(rules: EvaluationRules) -> None:
    assert rules.consequences.consecutive_unqualified_to_delist == 2
    assert rules.consequences.delisting_clause == "000 §4(4); 001 §5(4)"


def test_one_unqualified_counts_one_and_does_not_delist(rules: EvaluationRules) -> None:
    outcome = assess_consequences(results=_history(G, U), rules=rules, in_construction_period=True, tier=MT)
    assert outcome.consecutive_unqualified == 1
    assert not outcome.delist


def test_two_unqualified_in_a_row_delist(rules: EvaluationRules) -> None:
    outcome = assess_consequences(results=_history(G, U, U), rules=rules, in_construction_period=True, tier=MT)
    assert outcome.consecutive_unqualified == 2
    assert outcome.delist
    assert outcome.year == 2025


def test_a_qualified_year_in_between_resets_the_count(rules: EvaluationRules) -> None:
    outcome = assess_consequences(results=_history(U, Q, U), rules=rules, in_construction_period=True, tier=MT)
    assert outcome.consecutive_unqualified == 1
    assert not outcome.delist


@pytest.mark.parametrize("between", [E, G, Q])
def test_any_passing_grade_resets_the_count(between: Grade) -> None:
    assert consecutive_unqualified(_history(U, U, between)) == 0
    assert consecutive_unqualified(_history(U, between, U)) == 1


def test_results_are_counted_in_year_order_whatever_order_they_come_in(rules: EvaluationRules) -> None:
    shuffled = [
        AnnualResult(year=2025, grade=U),
        AnnualResult(year=2023, grade=U),
        AnnualResult(year=2024, grade=G),
    ]
    outcome = assess_consequences(results=shuffled, rules=rules, in_construction_period=True, tier=MT)
    assert outcome.year == 2025
    assert outcome.consecutive_unqualified == 1
    assert not outcome.delist


def test_consecutive_means_consecutive_calendar_years() -> None:
    # Annual evaluations come one a year: 2023 and 2025 unqualified with no 2024 result are not two in a row,
    # and nor are 2043 and 2057.
    assert consecutive_unqualified([AnnualResult(year=2023, grade=U), AnnualResult(year=2025, grade=U)]) == 1
    assert consecutive_unqualified([AnnualResult(year=2043, grade=U), AnnualResult(year=2057, grade=U)]) == 1
    assert consecutive_unqualified([AnnualResult(year=2023, grade=U), AnnualResult(year=2024, grade=U)]) == 2


def test_delisting_applies_only_to_the_tiers_the_rules_name(rules: EvaluationRules) -> None:
    # 000 §4(4) delists 市级技术创新中心; a provincial or national TIC is not delisted by it.
    assert rules.consequences.delisting_applies_to_tiers == (Tier.MUNICIPAL_TIC,)
    for tier in Tier:
        outcome = assess_consequences(results=_history(U, U), rules=rules, in_construction_period=True, tier=tier)
        assert outcome.consecutive_unqualified == 2
        assert outcome.delist is (tier is Tier.MUNICIPAL_TIC)


def test_the_annual_evaluation_covers_the_tiers_the_rules_name(rules: EvaluationRules) -> None:
    assert rules.scope.tiers == (Tier.MUNICIPAL_TIC,)
    assert rules.not_submitted.grade is Grade.UNQUALIFIED and rules.not_submitted.default


def test_three_in_a_row_still_delist(rules: EvaluationRules) -> None:
    outcome = assess_consequences(results=_history(U, U, U), rules=rules, in_construction_period=False, tier=MT)
    assert outcome.consecutive_unqualified == 3
    assert outcome.delist


def test_excellent_marks_priority_support(rules: EvaluationRules) -> None:
    outcome = assess_consequences(results=_history(U, E), rules=rules, in_construction_period=True, tier=MT)
    assert outcome.priority_support
    assert outcome.consecutive_unqualified == 0
    assert outcome.priority_support_clause == "001 §3(4)"


@pytest.mark.parametrize("grade", [G, Q, U])
def test_only_excellent_marks_priority_support(rules: EvaluationRules, grade: Grade) -> None:
    assert not assess_consequences(
        results=_history(grade), rules=rules, in_construction_period=True, tier=MT
    ).priority_support


def test_excellent_after_the_construction_period_gets_no_priority_support(rules: EvaluationRules) -> None:
    # 001 §3(4): 建设期内（最长不超过5年）年度评价优秀.
    assert not assess_consequences(
        results=_history(E), rules=rules, in_construction_period=False, tier=MT
    ).priority_support


def test_two_results_for_one_year_refused(rules: EvaluationRules) -> None:
    with pytest.raises(ValueError, match="more than one"):
        consecutive_unqualified([AnnualResult(year=2024, grade=U), AnnualResult(year=2024, grade=G)])


def test_no_results_refused(rules: EvaluationRules) -> None:
    with pytest.raises(ValueError):
        assess_consequences(results=[], rules=rules, in_construction_period=True, tier=MT)


def test_empty_history_counts_zero() -> None:
    assert consecutive_unqualified([]) == 0
