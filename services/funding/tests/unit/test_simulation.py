"""Simulation: a population under the baseline and a validated variant, compared per center and to budget."""

from collections.abc import Callable

import pytest

from funding.domain.calculator import SubsidyInputs
from funding.domain.policy import InvalidPolicyError, Policy
from funding.domain.simulation import simulate

InputsFactory = Callable[..., SubsidyInputs]
CNY = 100  # fen per yuan


@pytest.fixture(scope="module")
def population(inputs: InputsFactory) -> list[tuple[str, SubsidyInputs]]:
    return [
        # year 1, base 3M: a lower rate lowers it
        ("NB-TIC-2026-001", inputs(verified_investment_fen=10_000_000 * CNY)),
        # year 1, base 6M capped at 5M either way at rate 0.30; 0.25 gives exactly 5M
        ("NB-TIC-2026-002", inputs(verified_investment_fen=20_000_000 * CNY)),
        # provincial: 0 under both
        ("NB-TIC-2026-003", inputs(tier="provincial_tic", verified_investment_fen=10_000_000 * CNY)),
        # year 2, unqualified: 0 under both
        (
            "NB-TIC-2026-004",
            inputs(funding_year=2, previous_grade="unqualified", verified_investment_fen=10_000_000 * CNY),
        ),
    ]


def test_a_lower_rate_changes_only_the_centers_it_touches(
    ningbo: Policy, population: list[tuple[str, SubsidyInputs]]
) -> None:
    result = simulate(population, ningbo, {"rate": "0.25"}, None)

    assert result.baseline_total_fen == 8_000_000 * CNY
    assert result.variant_total_fen == 7_500_000 * CNY
    assert result.difference_fen == -500_000 * CNY
    assert [(d.center_id, d.difference_fen) for d in result.differences] == [("NB-TIC-2026-001", -500_000 * CNY)]
    assert (result.centers, result.changed, result.increased, result.decreased, result.unchanged) == (
        4,
        1,
        0,
        1,
        3,
    )
    assert result.baseline_budget is None and result.variant_budget is None


def test_budget_fit_says_over_or_under_by_how_much(ningbo: Policy, population: list[tuple[str, SubsidyInputs]]) -> None:
    result = simulate(population, ningbo, {"rate": "0.25"}, 7_800_000 * CNY)

    assert result.baseline_budget is not None and result.variant_budget is not None
    assert (result.baseline_budget.within_budget, result.baseline_budget.over_by_fen) == (
        False,
        200_000 * CNY,
    )
    assert result.baseline_budget.under_by_fen == 0
    assert (result.variant_budget.within_budget, result.variant_budget.under_by_fen) == (True, 300_000 * CNY)
    assert result.variant_budget.over_by_fen == 0


def test_budget_exactly_met_fits(ningbo: Policy, population: list[tuple[str, SubsidyInputs]]) -> None:
    result = simulate(population, ningbo, {}, 8_000_000 * CNY)

    assert result.baseline_budget is not None
    assert result.baseline_budget.within_budget
    assert result.baseline_budget.over_by_fen == result.baseline_budget.under_by_fen == 0
    assert result.differences == [] and result.changed == 0


def test_variant_grade_rule_and_caps(ningbo: Policy, population: list[tuple[str, SubsidyInputs]]) -> None:
    result = simulate(
        population,
        ningbo,
        {
            "qualifying_grades": ["excellent", "good", "qualified", "unqualified"],
            "grade_multipliers": {"unqualified": "0.5"},
            "first_year_cap_fen": 2_000_000 * CNY,
        },
        None,
    )

    changes = {d.center_id: (d.baseline_fen, d.variant_fen) for d in result.differences}
    assert changes == {
        "NB-TIC-2026-001": (3_000_000 * CNY, 2_000_000 * CNY),
        "NB-TIC-2026-002": (5_000_000 * CNY, 2_000_000 * CNY),
        "NB-TIC-2026-004": (0, 1_500_000 * CNY),
    }
    assert (result.increased, result.decreased) == (1, 2)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"rate": 0.25}, "decimal string"),
        ({"rate": "1.5"}, "between 0 and 1"),
        ({"first_year_cap_fen": 2_000_000_000}, "first_year_cap_fen exceeds total_cap_fen"),
        ({"total_cap_fen": -1}, "total_cap_fen"),
        ({"grade_multipliers": {"unqualified": "2"}}, "not a qualifying grade"),
        ({"bonus_rate": "0.1"}, "no parameter 'bonus_rate'"),
        ({"kind": "one_off_awards"}, "no parameter 'kind'"),
    ],
)
def test_a_variant_is_validated_like_a_policy_file(
    ningbo: Policy, population: list[tuple[str, SubsidyInputs]], overrides: dict[str, object], complaint: str
) -> None:
    with pytest.raises(InvalidPolicyError, match=complaint):
        simulate(population, ningbo, overrides, None)


def test_a_weihai_variant_can_change_its_awards(weihai: Policy, inputs: InputsFactory) -> None:
    awards = [a.model_dump() for a in weihai.rule.awards]  # type: ignore[union-attr]
    for award in awards:
        if award["trigger"] == "recognized_as_national_tic":
            award["amount_fen"] = 8_000_000 * CNY
    population = [
        ("WH-1", inputs(trigger="recognized_as_national_tic")),
        ("WH-2", inputs(trigger="recognized_as_provincial_tic")),
    ]

    result = simulate(population, weihai, {"awards": awards}, None)

    assert result.difference_fen == -2_000_000 * CNY
    assert [d.center_id for d in result.differences] == ["WH-1"]


def test_a_center_appears_once_in_a_population(ningbo: Policy, inputs: InputsFactory) -> None:
    with pytest.raises(ValueError, match="appears twice"):
        simulate([("A", inputs()), ("A", inputs())], ningbo, {}, None)


def test_a_negative_budget_is_refused(ningbo: Policy) -> None:
    with pytest.raises(ValueError, match="budget_fen"):
        simulate([], ningbo, {}, -1)
