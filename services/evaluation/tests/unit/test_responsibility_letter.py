"""Responsibility letters (001 attachment 1, note): a center's own weights and targets, for it only."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from evaluation.domain.indicators import (
    IndicatorSystem,
    LetterRefused,
    ResponsibilityLetter,
    apply_letter,
    load_indicator_system,
)
from evaluation.domain.milestones import validate_letter
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules
from evaluation.domain.scoring import score_annual_report

D = Decimal


def test_letter_applied_to_that_center_only(system: IndicatorSystem, rules: EvaluationRules) -> None:
    letter = ResponsibilityLetter(
        center_id="c-1",
        reference="甬科责〔2024〕1号",
        weights={"5.2": D("4"), "5.5": D("0")},
        targets={"6.4": 10},
    )
    adjusted = apply_letter(system, letter)
    assert adjusted.adjusted_for == "c-1"
    assert adjusted.indicator("5.2").weight == D("4")
    assert adjusted.indicator("5.5").weight == D("0")
    assert adjusted.indicator("6.4").target == 10
    assert adjusted.indicator("6.4").target_basis == "responsibility letter 甬科责〔2024〕1号"
    assert adjusted.total_weight == D("100")
    # The shared system, and so every other center, keeps the defaults.
    for untouched in (system, load_indicator_system("ningbo-tic-2022")):
        assert untouched.adjusted_for is None
        assert untouched.indicator("5.2").weight == D("2.00")
        assert untouched.indicator("6.4").target == 50

    report = AnnualReport.model_validate({"year": 2024, "team": {"full_time_researchers": 10}})
    own = score_annual_report(report=report, system=adjusted, rules=rules)
    other = score_annual_report(report=report, system=system, rules=rules)
    assert own.total == D("1.67")
    assert other.total == D("0.33")  # 1.67 × 10/50 = 0.334


def test_letter_weights_not_summing_to_one_hundred_refused(system: IndicatorSystem) -> None:
    letter = ResponsibilityLetter(center_id="c-1", weights={"5.2": D("4")})
    with pytest.raises(
        LetterRefused, match=r"weights must sum to exactly 100\.00 points; with the letter they sum to 102"
    ):
        apply_letter(system, letter)


@pytest.mark.parametrize(
    ("letter", "message"),
    [
        (ResponsibilityLetter(center_id="c-1", weights={"11.1": D(0)}), "unknown indicator code '11.1'"),
        (ResponsibilityLetter(center_id="c-1", weights={"1.3": D(0)}), "unknown indicator code '1.3'"),
        (ResponsibilityLetter(center_id="c-1", targets={"5.9": 1}), "unknown indicator code '5.9'"),
        (ResponsibilityLetter(center_id="c-1", weights={"5": D(10)}), "5 is a first-level indicator"),
        (ResponsibilityLetter(center_id="c-1", targets={"4.2": 1}), "4.2 is qualitative"),
    ],
)
def test_letter_with_unknown_or_wrong_code_refused(
    system: IndicatorSystem, letter: ResponsibilityLetter, message: str
) -> None:
    with pytest.raises(LetterRefused, match=message):
        apply_letter(system, letter)


@pytest.mark.parametrize(
    "fields",
    [{"weights": {"1.1": "-1"}}, {"targets": {"6.4": -5}}, {"weights": {"1.1": "NaN"}}, {"bonus": 1}],
)
def test_letter_with_bad_figures_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ResponsibilityLetter.model_validate({"center_id": "c-1", **fields})


def test_validate_letter_checks_weights_targets_and_milestones(system: IndicatorSystem, rules: EvaluationRules) -> None:
    good = ResponsibilityLetter(
        center_id="c-1",
        weights={"1.1": D("6"), "1.2": D("4")},
        targets={"10.3": 30},
        milestone_targets={"end_of_construction": {"enterprises_served": 150}},
    )
    validate_letter(letter=good, system=system, rules=rules)
    bad = good.model_copy(update={"milestone_targets": {"end_of_construction": {"team_total": 1}}})
    with pytest.raises(LetterRefused, match="unknown figure 'team_total'"):
        validate_letter(letter=bad, system=system, rules=rules)
