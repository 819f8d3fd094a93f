"""POLICY §5 `weihai-2018`: one-off awards on creation and recognition, each at most once per center."""

from collections.abc import Callable

import pytest

from funding.domain.calculator import SubsidyInputs, quote
from funding.domain.policy import Policy

InputsFactory = Callable[..., SubsidyInputs]
CNY = 100  # fen per yuan


@pytest.mark.parametrize(
    ("lead_unit_type", "expected_fen"),
    [
        ("enterprise", 2_000_000 * CNY),
        ("university", 3_000_000 * CNY),
        ("research_institute", 3_000_000 * CNY),
    ],
)
def test_weihai_municipal_tic_creation_2m_enterprise_led_3m_university_or_institute_led(
    weihai: Policy, inputs: InputsFactory, lead_unit_type: str, expected_fen: int
) -> None:
    result = quote(weihai, inputs(lead_unit_type=lead_unit_type, trigger="municipal_tic_established"))

    assert result.amount_fen == expected_fen
    assert result.trace[0].clause == "003 §4(3)"


@pytest.mark.parametrize("lead_unit_type", ["enterprise", "university", "research_institute", "other"])
@pytest.mark.parametrize(
    ("trigger", "expected_fen"),
    [("recognized_as_provincial_tic", 5_000_000 * CNY), ("recognized_as_national_tic", 10_000_000 * CNY)],
)
def test_weihai_recognition_5m_provincial_10m_national(
    weihai: Policy, inputs: InputsFactory, lead_unit_type: str, trigger: str, expected_fen: int
) -> None:
    result = quote(weihai, inputs(lead_unit_type=lead_unit_type, trigger=trigger))

    assert result.amount_fen == expected_fen


def test_weihai_awards_once_per_center(weihai: Policy, inputs: InputsFactory) -> None:
    again = quote(
        weihai,
        inputs(
            trigger="recognized_as_national_tic",
            awards_already_received=["municipal_tic_established", "recognized_as_national_tic"],
        ),
    )
    other = quote(
        weihai, inputs(trigger="recognized_as_national_tic", awards_already_received=["municipal_tic_established"])
    )

    assert again.amount_fen == 0
    once = next(s for s in again.trace if s.code == "once_per_center")
    assert once.result_fen == 0
    assert "already received" in once.en
    assert other.amount_fen == 10_000_000 * CNY


def test_weihai_other_lead_unit_gets_no_creation_award(weihai: Policy, inputs: InputsFactory) -> None:
    result = quote(weihai, inputs(lead_unit_type="other", trigger="municipal_tic_established"))

    assert result.amount_fen == 0
    assert "sets no municipal TIC establishment award for a center led by another kind of unit" in result.trace[0].en
    assert {p.name for p in result.trace[0].parameters} == {
        "award.municipal_tic_established.enterprise",
        "award.municipal_tic_established.university|research_institute",
    }


def test_weihai_no_event_no_award(weihai: Policy, inputs: InputsFactory) -> None:
    result = quote(weihai, inputs(trigger=None))

    assert result.amount_fen == 0
    assert [s.code for s in result.trace] == ["award_event", "once_per_center", "round_down"]
    assert "No award event" in result.trace[0].en


def test_weihai_award_trace_names_its_amount_and_clause(weihai: Policy, inputs: InputsFactory) -> None:
    result = quote(weihai, inputs(lead_unit_type="university", trigger="municipal_tic_established"))

    (parameter,) = result.trace[0].parameters
    assert parameter.value == 3_000_000 * CNY
    assert parameter.clause == "003 §4(3)"
    assert parameter.effective_from.isoformat() == "2018-11-30"
    assert result.amount_fen % CNY == 0
