"""Properties of every quote: capped in total, never negative, whole yuan, deterministic."""

from hypothesis import given, settings
from hypothesis import strategies as st

from funding.domain.calculator import SubsidyInputs, quote
from funding.domain.policy import CapabilityInvestmentShareRule, OneOffAwardsRule, load_policies
from tic_shared.vocabulary import CenterStatus, Grade, LeadUnitType, Tier, Trigger

GRADES, LEAD_UNIT_TYPES, STATUSES, TIERS, TRIGGERS = (
    [word.value for word in words] for words in (Grade, LeadUnitType, CenterStatus, Tier, Trigger)
)

POLICIES = load_policies()
NINGBO = POLICIES["ningbo-tic-2022"]
WEIHAI = POLICIES["weihai-2018"]
assert isinstance(NINGBO.rule, CapabilityInvestmentShareRule)
assert isinstance(WEIHAI.rule, OneOffAwardsRule)
TOTAL_CAP = NINGBO.rule.total_cap_fen.value
UNIT = NINGBO.rule.rounding_unit_fen.value

fen = st.integers(min_value=0, max_value=10**12)
grades = st.none() | st.sampled_from(GRADES)

any_inputs = st.builds(
    SubsidyInputs,
    tier=st.sampled_from(TIERS),
    status=st.sampled_from(STATUSES),
    lead_unit_type=st.sampled_from(LEAD_UNIT_TYPES),
    funding_year=st.integers(min_value=1, max_value=8),
    verified_investment_fen=fen,
    previous_grade=grades,
    granted_so_far_fen=fen,
    overlapping_grant_fen=fen,
    trigger=st.none() | st.sampled_from(TRIGGERS),
    awards_already_received=st.lists(st.sampled_from(TRIGGERS), max_size=3),
)


@settings(max_examples=300)
@given(
    years=st.lists(st.tuples(fen, grades, fen, st.sampled_from(["building", "building", "operating"])), max_size=6),
    already=st.integers(min_value=0, max_value=TOTAL_CAP),
)
def test_total_granted_per_center_over_the_years_never_exceeds_the_cap(
    years: list[tuple[int, str | None, int, str]], already: int
) -> None:
    granted = already
    for year, (invested, grade, overlap, status) in enumerate(years, start=1):
        result = quote(
            NINGBO,
            SubsidyInputs(
                tier="municipal_tic",
                status=status,  # type: ignore[arg-type]
                lead_unit_type="enterprise",
                funding_year=year,
                verified_investment_fen=invested,
                previous_grade=grade,  # type: ignore[arg-type]
                granted_so_far_fen=granted,
                overlapping_grant_fen=overlap,
            ),
        )
        granted += result.amount_fen
        assert granted <= TOTAL_CAP


@settings(max_examples=500)
@given(given_inputs=any_inputs, use_weihai=st.booleans())
def test_a_grant_is_never_negative_and_a_whole_yuan(given_inputs: SubsidyInputs, use_weihai: bool) -> None:
    result = quote(WEIHAI if use_weihai else NINGBO, given_inputs)

    assert result.amount_fen >= 0
    assert result.amount_fen % UNIT == 0
    assert result.amount_fen == result.trace[-1].result_fen
    assert all(step.result_fen >= 0 for step in result.trace)


@given(given_inputs=any_inputs)
def test_ningbo_never_pays_more_than_the_year_1_cap_in_year_1_nor_than_the_base(
    given_inputs: SubsidyInputs,
) -> None:
    assert isinstance(NINGBO.rule, CapabilityInvestmentShareRule)
    result = quote(NINGBO, given_inputs)

    assert result.amount_fen <= result.trace[0].result_fen
    if given_inputs.funding_year == 1:
        assert result.amount_fen <= NINGBO.rule.first_year_cap_fen.value


@given(given_inputs=any_inputs)
def test_weihai_pays_one_of_its_award_amounts_or_nothing(given_inputs: SubsidyInputs) -> None:
    assert isinstance(WEIHAI.rule, OneOffAwardsRule)
    amounts = {award.amount_fen for award in WEIHAI.rule.awards} | {0}

    assert quote(WEIHAI, given_inputs).amount_fen in amounts


@given(given_inputs=any_inputs, use_weihai=st.booleans())
def test_quote_is_deterministic(given_inputs: SubsidyInputs, use_weihai: bool) -> None:
    policy = WEIHAI if use_weihai else NINGBO
    again = SubsidyInputs.model_validate_json(given_inputs.model_dump_json())

    assert quote(policy, given_inputs).model_dump_json() == quote(policy, again).model_dump_json()


CODES = [*GRADES, *LEAD_UNIT_TYPES, *STATUSES, *TIERS, *TRIGGERS]


@settings(max_examples=300)
@given(inputs=any_inputs)
def test_a_trace_names_the_words_of_the_vocabulary_never_their_codes(inputs: SubsidyInputs) -> None:
    # Some codes are English words ("operating", "good"): an English sentence may say those, never one like
    # "municipal_tic"; a Chinese sentence says none of them.
    for policy in (NINGBO, WEIHAI):
        for step in quote(policy, inputs).trace:
            assert not [code for code in CODES if code in step.zh], step.zh
            assert not [code for code in CODES if "_" in code and code in step.en], step.en
