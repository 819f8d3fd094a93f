"""Bad calculator input is refused with the field named, never quoted."""

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from funding.api.schemas import QuoteRequest
from funding.domain.calculator import SubsidyInputs

VALID: dict[str, Any] = {
    "tier": "municipal_tic",
    "status": "building",
    "lead_unit_type": "enterprise",
    "funding_year": 1,
    "verified_investment_fen": 100,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("verified_investment_fen", -1),
        ("verified_investment_fen", 100.0),
        ("verified_investment_fen", 100.5),
        ("verified_investment_fen", "100"),
        ("verified_investment_fen", True),
        ("funding_year", 0),
        ("funding_year", -3),
        ("funding_year", 1.0),
        ("granted_so_far_fen", -100),
        ("overlapping_grant_fen", -1),
        ("overlapping_grant_fen", 1.5),
        ("tier", "district_tic"),
        ("status", "dormant"),
        ("lead_unit_type", "government"),
        ("previous_grade", "average"),
        ("trigger", "recognized_global"),
        ("awards_already_received", ["recognized_global"]),
        ("awards_already_received", "recognized_as_national_tic"),
    ],
)
def test_bad_input_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        SubsidyInputs(**{**VALID, field: value})

    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ("ningbo-tic-2022", "tier"),
        ("ningbo-tic-2022", "status"),
        ("ningbo-tic-2022", "funding_year"),
        ("weihai-2018", "tier"),
        ("weihai-2018", "lead_unit_type"),
        ("weihai-2018", "trigger"),
    ],
)
def test_what_a_policy_reads_is_required_in_its_quote(policy: str, field: str) -> None:
    bodies = {
        "ningbo-tic-2022": {"tier": "municipal_tic", "status": "building", "funding_year": 1},
        "weihai-2018": {
            "tier": "municipal_tic",
            "lead_unit_type": "enterprise",
            "trigger": "municipal_tic_established",
        },
    }
    given = {k: v for k, v in bodies[policy].items() if k != field}
    request = TypeAdapter(QuoteRequest)
    request.validate_python({"policy": policy, **bodies[policy]})
    with pytest.raises(ValidationError, match=field):
        request.validate_python({"policy": policy, **given})


def test_a_policy_is_asked_only_what_it_reads() -> None:
    request = TypeAdapter(QuoteRequest)
    with pytest.raises(ValidationError, match="lead_unit_type"):
        request.validate_python(
            {"policy": "ningbo-tic-2022", "tier": "municipal_tic", "status": "building", "funding_year": 1}
            | {"lead_unit_type": "enterprise"}
        )
    with pytest.raises(ValidationError, match="funding_year"):
        request.validate_python(
            {"policy": "weihai-2018", "tier": "municipal_tic", "lead_unit_type": "enterprise"}
            | {"trigger": "municipal_tic_established", "funding_year": 1}
        )


def test_unknown_input_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="investment_yuan"):
        SubsidyInputs(**{**VALID, "investment_yuan": 1})


def test_inputs_from_json_are_checked_the_same_way() -> None:
    assert (
        SubsidyInputs.model_validate_json(
            '{"tier": "municipal_tic", "status": "building", "lead_unit_type": "other", "funding_year": 2}'
        ).funding_year
        == 2
    )
    with pytest.raises(ValidationError, match="verified_investment_fen"):
        SubsidyInputs.model_validate_json(
            '{"tier": "municipal_tic", "status": "building", "lead_unit_type": "other", '
            '"funding_year": 2, "verified_investment_fen": 12.5}'
        )
