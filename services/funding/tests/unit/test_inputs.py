"""Bad calculator input is refused with the field named, never quoted."""

from typing import Any

import pytest
from pydantic import ValidationError

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
        ("awards_already_received", "recognized_national"),
    ],
)
def test_bad_input_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        SubsidyInputs(**{**VALID, field: value})

    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


@pytest.mark.parametrize("field", ["tier", "status", "lead_unit_type", "funding_year"])
def test_required_input_is_refused_when_missing(field: str) -> None:
    given = {k: v for k, v in VALID.items() if k != field}

    with pytest.raises(ValidationError, match=field):
        SubsidyInputs(**given)


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
