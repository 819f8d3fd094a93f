"""What an annual grade leads to: consecutive unqualified results, delisting (摘牌), priority support."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from evaluation.domain.rules import EvaluationRules, Grade


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
    """How many unqualified results in a row end the center's history (taken in year order).

    Any other grade in between resets the count. The text counts evaluations (连续两次绩效评价不合格), so a
    year without an evaluation neither counts nor resets.
    """
    count = 0
    for result in _in_year_order(results):
        count = count + 1 if result.grade is Grade.UNQUALIFIED else 0
    return count


def assess_consequences(
    *, results: Sequence[AnnualResult], rules: EvaluationRules, in_construction_period: bool
) -> Consequences:
    """The consequences of the latest of a center's annual results.

    Delisting when the consecutive unqualified count reaches the rules' figure. Priority support when the
    grade is the rules' priority grade and the center is still within its construction period (001 §3(4):
    建设期内年度评价优秀).
    """
    if not results:
        raise ValueError("no annual result to assess")
    latest = _in_year_order(results)[-1]
    count = consecutive_unqualified(results)
    return Consequences(
        year=latest.year,
        grade=latest.grade,
        consecutive_unqualified=count,
        delist=count >= rules.consequences.consecutive_unqualified_to_delist,
        delisting_clause=rules.consequences.delisting_clause,
        priority_support=in_construction_period and latest.grade is rules.consequences.priority_support_grade,
        priority_support_clause=rules.consequences.priority_support_clause,
    )
