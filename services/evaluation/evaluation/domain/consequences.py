"""What an annual grade leads to: consecutive unqualified results, delisting (摘牌), priority support."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from evaluation.domain.rules import EvaluationRules, Grade
from tic_shared.vocabulary import Tier


class AnnualResult(BaseModel):
    """One finalized annual evaluation of a center: its year and grade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    grade: Grade


class Consequences(BaseModel):
    """What the latest annual result means for the center."""

    model_config = ConfigDict(frozen=True)

    year: int
    grade: Grade
    consecutive_unqualified: int  # unqualified results in a row, ending with this one
    delist: bool
    delisting_clause: str
    priority_support: bool
    priority_support_clause: str


def _in_year_order(results: Sequence[AnnualResult]) -> list[AnnualResult]:
    ordered = sorted(results, key=lambda result: result.year)
    years = [result.year for result in ordered]
    if len(set(years)) != len(years):
        raise ValueError(f"more than one annual result for a year: {years}")
    return ordered


def consecutive_unqualified(results: Sequence[AnnualResult]) -> int:
    """How many unqualified results of consecutive calendar years end the center's history.

    连续两次 means two annual evaluations in a row, and annual evaluations come one per calendar year: a
    qualified result in between, or a year with no evaluation, starts the count again.
    """
    count = 0
    previous: int | None = None
    for result in _in_year_order(results):
        if result.grade is not Grade.UNQUALIFIED:
            count = 0
        elif previous is not None and result.year == previous + 1:
            count += 1
        else:
            count = 1
        previous = result.year
    return count


def assess_consequences(
    *, results: Sequence[AnnualResult], rules: EvaluationRules, in_construction_period: bool, tier: Tier
) -> Consequences:
    """The consequences of the latest of a center's annual results.

    Delisting when the consecutive unqualified count reaches the rules' figure and the rules delist the
    center's tier. Priority support when the grade is the rules' priority grade and the center is still within
    its construction period (001 §3(4): 建设期内年度评价优秀).
    """
    if not results:
        raise ValueError("no annual result to assess")
    latest = _in_year_order(results)[-1]
    count = consecutive_unqualified(results)
    return Consequences(
        year=latest.year,
        grade=latest.grade,
        consecutive_unqualified=count,
        delist=count >= rules.consequences.consecutive_unqualified_to_delist
        and tier in rules.consequences.delisting_applies_to_tiers,
        delisting_clause=rules.consequences.delisting_clause,
        priority_support=in_construction_period and latest.grade is rules.consequences.priority_support_grade,
        priority_support_clause=rules.consequences.priority_support_clause,
    )
