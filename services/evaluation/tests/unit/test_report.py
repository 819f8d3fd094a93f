"""The annual report: figures by group, None when missing, negative figures and unknown fields refused."""

from typing import Any

import pytest
from pydantic import ValidationError

from evaluation.domain.report import AnnualReport, read_figure


def test_missing_figure_is_none_not_zero() -> None:
    report = AnnualReport.model_validate({"year": 2024, "team": {"total": 120}})
    assert report.team.total == 120
    assert report.team.full_time_researchers is None
    assert report.investment.lead_unit_fen is None
    assert read_figure(report, "results.patents") is None


def test_reported_zero_stays_zero() -> None:
    report = AnnualReport.model_validate({"year": 2024, "results": {"patents": 0}})
    assert read_figure(report, "results.patents") == 0


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("investment", "lead_unit_fen"),
        ("investment", "social_capital_fen"),
        ("team", "full_time_researchers"),
        ("projects", "national_major"),
        ("results", "patents"),
        ("ecosystem", "enterprises_served"),
    ],
)
def test_negative_figure_refused(section: str, field: str) -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        AnnualReport.model_validate({"year": 2024, section: {field: -1}})


@pytest.mark.parametrize(
    "data",
    [
        {"year": 2024, "revenue_fen": 5},
        {"year": 2024, "investment": {"bank_loans_fen": 5}},
        {"year": 2024, "team": {"interns": 3}},
    ],
)
def test_unknown_field_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        AnnualReport.model_validate(data)


@pytest.mark.parametrize("value", [1.5, "100", True])
def test_money_must_be_whole_fen(value: object) -> None:
    with pytest.raises(ValidationError):
        AnnualReport.model_validate({"year": 2024, "investment": {"lead_unit_fen": value}})


def test_report_without_a_year_refused() -> None:
    with pytest.raises(ValidationError):
        AnnualReport.model_validate({"team": {"total": 1}})


def test_investment_totals() -> None:
    report = AnnualReport.model_validate(
        {
            "year": 2024,
            "investment": {
                "lead_unit_fen": 600,
                "co_builders_fen": 100,
                "municipal_fiscal_fen": 50,
                "district_fiscal_fen": 25,
                "national_funds_fen": 0,
                "social_capital_fen": 225,
            },
        }
    )
    assert report.investment.local_fiscal_fen == 75
    assert report.investment.total_fen == 1000


def test_a_total_over_a_missing_figure_is_missing() -> None:
    report = AnnualReport.model_validate({"year": 2024, "investment": {"municipal_fiscal_fen": 50}})
    assert report.investment.local_fiscal_fen is None
    assert report.investment.total_fen is None
    assert report.projects.major_total is None


def test_report_round_trips_through_json() -> None:
    report = AnnualReport.model_validate({"year": 2024, "ecosystem": {"bases": 2}})
    assert AnnualReport.model_validate_json(report.model_dump_json()) == report


def test_unknown_figure_path_refused() -> None:
    with pytest.raises(KeyError):
        read_figure(AnnualReport(year=2024), "investment.bribes_fen")
