"""Properties of scoring and grading that hold for every report: total within [0, 100], grade monotone."""

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.domain.indicators import IndicatorKind, load_indicator_system
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import load_rules
from evaluation.domain.scoring import grade_for, score_annual_report
from tic_shared.bounds import MAX_COUNT

SYSTEM = load_indicator_system("ningbo-tic-2022")
RULES = load_rules("ningbo-tic-2022")
QUALITATIVE = [i.code for i in SYSTEM.indicators if i.kind is IndicatorKind.QUALITATIVE]

# Any figure a report may hold: money up to 10^13 fen, counts up to their bound (tic_shared.bounds).
money = st.none() | st.integers(min_value=0, max_value=10**13)
count = st.none() | st.integers(min_value=0, max_value=MAX_COUNT)
expert_score = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)


def _section(*fields: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({field: money if field.endswith("_fen") else count for field in fields})


reports = st.builds(
    lambda investment, team, projects, results, ecosystem: AnnualReport.model_validate(
        {
            "year": 2024,
            "investment": investment,
            "team": team,
            "projects": projects,
            "results": results,
            "ecosystem": ecosystem,
        }
    ),
    _section(
        "lead_unit_fen",
        "co_builders_fen",
        "municipal_fiscal_fen",
        "district_fiscal_fen",
        "national_funds_fen",
        "social_capital_fen",
    ),
    _section("total", "full_time_researchers", "high_level_teams", "top_talents", "young_talents", "non_rd_staff"),
    _section("national_major", "provincial_major", "municipal_major"),
    _section("breakthroughs", "import_substitution", "standards", "patents"),
    _section("bases", "close_partners", "spin_offs", "enterprises_served"),
)
panels = st.fixed_dictionaries({}, optional={code: st.lists(expert_score, max_size=8) for code in QUALITATIVE})
totals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(report=reports, experts=panels)
def test_total_always_within_zero_and_one_hundred(report: AnnualReport, experts: dict[str, list[Decimal]]) -> None:
    score = score_annual_report(report=report, system=SYSTEM, rules=RULES, expert_scores=experts)
    assert Decimal(0) <= score.total <= Decimal(100)
    assert score.total.as_tuple().exponent == -RULES.rounding.decimals
    assert all(Decimal(0) <= line.fraction <= Decimal(1) for line in score.breakdown)
    assert score.grade is grade_for(score.total, RULES)


@given(low=totals, high=totals)
def test_grade_monotone_in_total(low: Decimal, high: Decimal) -> None:
    low, high = min(low, high), max(low, high)
    # A higher total never earns a worse grade (rank 0 is the best).
    assert RULES.grade_rank(grade_for(high, RULES)) <= RULES.grade_rank(grade_for(low, RULES))


@settings(max_examples=100, deadline=None)
@given(report=reports, experts=panels, more=st.sampled_from(QUALITATIVE))
def test_a_better_expert_score_never_lowers_the_total(
    report: AnnualReport, experts: dict[str, list[Decimal]], more: str
) -> None:
    base = score_annual_report(report=report, system=SYSTEM, rules=RULES, expert_scores=experts)
    raised = {**experts, more: [Decimal(100)] * max(len(experts.get(more, [])), 1)}
    better = score_annual_report(report=report, system=SYSTEM, rules=RULES, expert_scores=raised)
    assert better.total >= base.total
