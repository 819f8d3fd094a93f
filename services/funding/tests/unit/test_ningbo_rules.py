"""POLICY §5 `ningbo-tic-2022`: one test per rule, at and around its boundaries."""

from collections.abc import Callable

import pytest

from funding.domain.calculator import Quote, SubsidyInputs, quote
from funding.domain.policy import Policy, with_overrides
from tic_shared.vocabulary import NAMES, CenterStatus, Tier

InputsFactory = Callable[..., SubsidyInputs]

CNY = 100  # fen per yuan
FIRST_YEAR_CAP = 5_000_000 * CNY
TOTAL_CAP = 10_000_000 * CNY
STEPS = [
    "base",
    "tier",
    "status",
    "funding_year",
    "first_year_cap",
    "total_cap",
    "highest_never_stacked",
    "round_down",
]
LATER_STEPS = [code if code != "first_year_cap" else "previous_grade" for code in STEPS]


def step(result: Quote, code: str) -> int:
    return next(s.result_fen for s in result.trace if s.code == code)


def test_base_is_30_percent_of_verified_investment(ningbo: Policy, inputs: InputsFactory) -> None:
    result = quote(ningbo, inputs(verified_investment_fen=10_000_000 * CNY))

    assert step(result, "base") == 3_000_000 * CNY
    assert result.amount_fen == 3_000_000 * CNY


def test_base_of_zero_investment_is_zero(ningbo: Policy, inputs: InputsFactory) -> None:
    assert quote(ningbo, inputs(verified_investment_fen=0)).amount_fen == 0


@pytest.mark.parametrize(
    ("investment_fen", "base_fen", "expected_fen"),
    [
        (1_666_666_666, FIRST_YEAR_CAP - 1, FIRST_YEAR_CAP - CNY),  # 1 fen under the cap, floored to the yuan
        (1_666_666_667, FIRST_YEAR_CAP, FIRST_YEAR_CAP),  # exactly the cap
        (1_666_666_670, FIRST_YEAR_CAP + 1, FIRST_YEAR_CAP),  # 1 fen over
        (100_000_000 * CNY, 30_000_000 * CNY, FIRST_YEAR_CAP),  # far over
    ],
)
def test_first_year_cap_5m(
    ningbo: Policy, inputs: InputsFactory, investment_fen: int, base_fen: int, expected_fen: int
) -> None:
    result = quote(ningbo, inputs(verified_investment_fen=investment_fen))

    assert step(result, "base") == base_fen
    assert result.amount_fen == expected_fen


def test_first_year_cap_applies_only_to_year_1(ningbo: Policy, inputs: InputsFactory) -> None:
    result = quote(ningbo, inputs(funding_year=2, previous_grade="good", verified_investment_fen=20_000_000 * CNY))

    assert result.amount_fen == 6_000_000 * CNY
    assert "first_year_cap" not in [s.code for s in result.trace]


def test_year_1_needs_no_evaluation(ningbo: Policy, inputs: InputsFactory) -> None:
    assert quote(ningbo, inputs(previous_grade=None, verified_investment_fen=CNY * 1000)).amount_fen == 300 * CNY


@pytest.mark.parametrize("year", [2, 3])
@pytest.mark.parametrize(
    ("grade", "paid"),
    [("excellent", True), ("good", True), ("qualified", True), ("unqualified", False), (None, False)],
)
def test_years_2_and_3_need_a_finalized_not_unqualified_grade(
    ningbo: Policy, inputs: InputsFactory, year: int, grade: str | None, paid: bool
) -> None:
    result = quote(ningbo, inputs(funding_year=year, previous_grade=grade, verified_investment_fen=1_000_000 * CNY))

    assert result.amount_fen == (300_000 * CNY if paid else 0)
    grade_step = next(s for s in result.trace if s.code == "previous_grade")
    assert grade_step.clause == "000 §4(3); 001 §5(4)"
    if grade is None:
        assert "finalized" in grade_step.en


def test_grade_multiplier_defaults_to_1_and_is_configurable(ningbo: Policy, inputs: InputsFactory) -> None:
    varied = with_overrides(ningbo, {"grade_multipliers": {"excellent": "1.2", "good": "0.5"}})
    year_2 = {"funding_year": 2, "verified_investment_fen": 1_000_000 * CNY}

    assert quote(varied, inputs(previous_grade="excellent", **year_2)).amount_fen == 360_000 * CNY
    assert quote(varied, inputs(previous_grade="good", **year_2)).amount_fen == 150_000 * CNY
    # qualified is not named, so it is paid at factor 1
    assert quote(varied, inputs(previous_grade="qualified", **year_2)).amount_fen == 300_000 * CNY


@pytest.mark.parametrize(
    ("granted_so_far_fen", "base_fen", "expected_fen"),
    [
        (0, 3_000_000 * CNY, 3_000_000 * CNY),
        (7_000_000 * CNY, 3_000_000 * CNY, 3_000_000 * CNY),  # lands exactly on the cap
        (8_000_000 * CNY, 3_000_000 * CNY, 2_000_000 * CNY),  # cap reached mid-year: cut to the room left
        (TOTAL_CAP - 1, 3_000_000 * CNY, 0),  # 1 fen of room floors to nothing
        (TOTAL_CAP - CNY, 3_000_000 * CNY, CNY),
        (TOTAL_CAP, 3_000_000 * CNY, 0),
        (TOTAL_CAP + 1, 3_000_000 * CNY, 0),  # over-granted data never makes the room negative
    ],
)
def test_total_cap_10m_cuts_to_room_left(
    ningbo: Policy, inputs: InputsFactory, granted_so_far_fen: int, base_fen: int, expected_fen: int
) -> None:
    result = quote(
        ningbo,
        inputs(
            funding_year=3,
            previous_grade="qualified",
            verified_investment_fen=base_fen * 10 // 3,
            granted_so_far_fen=granted_so_far_fen,
        ),
    )

    assert result.amount_fen == expected_fen
    assert granted_so_far_fen + result.amount_fen <= max(TOTAL_CAP, granted_so_far_fen)


def test_three_full_years_never_exceed_the_total_cap(ningbo: Policy, inputs: InputsFactory) -> None:
    granted = 0
    for year in (1, 2, 3):
        granted += quote(
            ningbo,
            inputs(
                funding_year=year,
                previous_grade="excellent",
                verified_investment_fen=50_000_000 * CNY,
                granted_so_far_fen=granted,
            ),
        ).amount_fen

    assert granted == TOTAL_CAP


@pytest.mark.parametrize(
    ("overlap_fen", "expected_fen"),
    [
        (0, 3_000_000 * CNY),
        (1_000_000 * CNY, 2_000_000 * CNY),  # below: top-up
        (3_000_000 * CNY - 1, 0),  # 1 fen of top-up floors to nothing
        (3_000_000 * CNY, 0),  # equal
        (4_000_000 * CNY, 0),  # above: never negative
        (1_000_000 * CNY + 1, 1_999_999 * CNY),  # odd fen: top-up 1,999,999.99 floored
    ],
)
def test_highest_never_stacked_topup(
    ningbo: Policy, inputs: InputsFactory, overlap_fen: int, expected_fen: int
) -> None:
    result = quote(ningbo, inputs(verified_investment_fen=10_000_000 * CNY, overlapping_grant_fen=overlap_fen))

    assert result.amount_fen == expected_fen
    assert next(s for s in result.trace if s.code == "highest_never_stacked").clause == "000 §4(3)"


def test_topup_is_taken_after_the_total_cap(ningbo: Policy, inputs: InputsFactory) -> None:
    # room 1M, A 3M ⇒ 1M; the other program's 0.5M leaves a 0.5M top-up
    result = quote(
        ningbo,
        inputs(
            funding_year=2,
            previous_grade="good",
            verified_investment_fen=10_000_000 * CNY,
            granted_so_far_fen=9_000_000 * CNY,
            overlapping_grant_fen=500_000 * CNY,
        ),
    )

    assert result.amount_fen == 500_000 * CNY


@pytest.mark.parametrize(("year", "paid"), [(1, True), (2, True), (3, True), (4, False), (5, False), (40, False)])
def test_no_grant_in_year_4(ningbo: Policy, inputs: InputsFactory, year: int, paid: bool) -> None:
    result = quote(
        ningbo, inputs(funding_year=year, previous_grade="excellent", verified_investment_fen=1_000_000 * CNY)
    )

    assert result.amount_fen == (300_000 * CNY if paid else 0)
    assert (step(result, "funding_year") == 0) is not paid


@pytest.mark.parametrize("status", [s.value for s in CenterStatus if s != "building"])
def test_no_grant_unless_building(ningbo: Policy, inputs: InputsFactory, status: str) -> None:
    result = quote(ningbo, inputs(status=status, verified_investment_fen=1_000_000 * CNY))

    assert result.amount_fen == 0
    assert step(result, "status") == 0
    said = next(s for s in result.trace if s.code == "status")
    assert NAMES[CenterStatus(status)].en in said.en
    assert NAMES[CenterStatus(status)].zh in said.zh


@pytest.mark.parametrize("tier", ["national_tic", "provincial_tic"])
def test_national_and_provincial_tiers_get_zero_under_ningbo(ningbo: Policy, inputs: InputsFactory, tier: str) -> None:
    result = quote(ningbo, inputs(tier=tier, verified_investment_fen=1_000_000 * CNY))

    assert result.amount_fen == 0
    tier_step = next(s for s in result.trace if s.code == "tier")
    assert tier_step.result_fen == 0
    assert tier_step.clause == "000 §4(3)"
    assert "national or provincial rules" in tier_step.en
    assert "国家、省有关规定" in tier_step.zh


@pytest.mark.parametrize("tier", ["key_enterprise_institute", "enterprise_rd_center"])
def test_other_tiers_are_not_covered_by_ningbo(ningbo: Policy, inputs: InputsFactory, tier: str) -> None:
    result = quote(ningbo, inputs(tier=tier, verified_investment_fen=1_000_000 * CNY))

    assert result.amount_fen == 0
    said = next(s for s in result.trace if s.code == "tier")
    assert f"does not cover {NAMES[Tier(tier)].en}" in said.en
    assert f"{NAMES[Tier(tier)].zh}不属于本政策支持对象" in said.zh


@pytest.mark.parametrize(
    ("investment_fen", "expected_fen"),
    [
        (333, 0),  # 99.9 fen
        (334, CNY),  # 100.2 fen
        (1_000_000_333, 300_000_000),  # 300,000,099.9 fen
        (999_999_999, 299_999_900),  # 299,999,999.7 fen
    ],
)
def test_round_down_to_the_yuan(ningbo: Policy, inputs: InputsFactory, investment_fen: int, expected_fen: int) -> None:
    result = quote(ningbo, inputs(verified_investment_fen=investment_fen))

    assert result.amount_fen == expected_fen
    assert result.amount_fen % CNY == 0
    assert result.trace[-1].code == "round_down"
    assert result.trace[-1].clause == "[default]"


@pytest.mark.parametrize(
    "changes",
    [
        {"tier": "national_tic"},
        {"status": "delisted"},
        {"funding_year": 4},
        {"funding_year": 2, "previous_grade": "unqualified"},
        {"granted_so_far_fen": TOTAL_CAP},
        {"overlapping_grant_fen": TOTAL_CAP},
    ],
)
def test_a_zero_result_still_has_a_full_trace(
    ningbo: Policy, inputs: InputsFactory, changes: dict[str, object]
) -> None:
    result = quote(ningbo, inputs(verified_investment_fen=1_000_000 * CNY, **changes))

    assert result.amount_fen == 0
    year = changes.get("funding_year", 1)
    assert [s.code for s in result.trace] == (STEPS if year == 1 else LATER_STEPS)
    for entry in result.trace:
        assert entry.zh and entry.en and entry.clause
        assert entry.parameters, entry.code
        for parameter in entry.parameters:
            assert parameter.clause and parameter.effective_from


def test_each_step_starts_from_the_previous_result(ningbo: Policy, inputs: InputsFactory) -> None:
    result = quote(
        ningbo,
        inputs(
            funding_year=2,
            previous_grade="good",
            verified_investment_fen=1_234_567_891,
            granted_so_far_fen=8_000_000 * CNY,
            overlapping_grant_fen=10_000_001,
        ),
    )

    results = [s.result_fen for s in result.trace]
    assert results == [
        370_370_367,
        370_370_367,
        370_370_367,
        370_370_367,
        370_370_367,
        200_000_000,
        189_999_999,
        189_999_900,
    ]
    for before, after in zip(result.trace, result.trace[1:], strict=False):
        if "amount_fen" in after.inputs:
            assert after.inputs["amount_fen"] == before.result_fen
    assert result.amount_fen == results[-1]


def test_quote_is_deterministic(ningbo: Policy, inputs: InputsFactory) -> None:
    given = inputs(verified_investment_fen=1_234_567, overlapping_grant_fen=101)

    assert quote(ningbo, given) == quote(ningbo, given)
    assert quote(ningbo, given).model_dump_json() == quote(ningbo, given).model_dump_json()
