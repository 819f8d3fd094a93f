"""Fixtures for the evaluation domain's unit tests: the shipped data and reports built from it."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from evaluation.domain.indicators import IndicatorKind, IndicatorSystem, load_indicator_system
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, load_rules

CODE = "ningbo-tic-2022"


@pytest.fixture
def system() -> IndicatorSystem:
    return load_indicator_system(CODE)


@pytest.fixture
def rules() -> EvaluationRules:
    return load_rules(CODE)


@pytest.fixture
def qualitative_codes(system: IndicatorSystem) -> list[str]:
    return [i.code for i in system.indicators if i.kind is IndicatorKind.QUALITATIVE]


@pytest.fixture
def everything_met() -> Callable[..., AnnualReport]:
    """A report whose every figure is far above any default target; sections can be replaced by keyword."""

    def build(year: int = 2024, **sections: dict[str, Any]) -> AnnualReport:
        data: dict[str, Any] = {
            "year": year,
            "investment": {
                "lead_unit_fen": 10**12,
                "co_builders_fen": 10**12,
                "municipal_fiscal_fen": 10**12,
                "district_fiscal_fen": 10**12,
                "national_funds_fen": 10**12,
                "social_capital_fen": 10**12,
            },
            "team": {
                "total": 10**6,
                "full_time_researchers": 10**6,
                "high_level_teams": 10**6,
                "top_talents": 10**6,
                "young_talents": 10**6,
                "non_rd_staff": 10**6,
            },
            "projects": {"national_major": 10**6, "provincial_major": 10**6, "municipal_major": 10**6},
            "results": {
                "breakthroughs": 10**6,
                "import_substitution": 10**6,
                "standards": 10**6,
                "patents": 10**6,
            },
            "ecosystem": {
                "bases": 10**6,
                "close_partners": 10**6,
                "spin_offs": 10**6,
                "enterprises_served": 10**6,
            },
        }
        data.update(sections)
        return AnnualReport.model_validate(data)

    return build


@pytest.fixture
def full_marks(qualitative_codes: list[str]) -> dict[str, list[Decimal]]:
    """Every qualitative indicator scored 100 by five experts."""
    return {code: [Decimal(100)] * 5 for code in qualitative_codes}
