"""验收: acceptance at the end of the construction period, with its reasons in Chinese and English."""

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from evaluation.domain.indicators import ResponsibilityLetter
from evaluation.domain.milestones import FigureCheck, MilestoneCheck, check_milestone, due_year
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, Grade
from evaluation.domain.text import Bilingual


class AcceptanceResult(BaseModel):
    """The acceptance decision: passed or not, why, and the checks it rests on."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    reasons: tuple[Bilingual, ...]
    checks: tuple[MilestoneCheck, ...]
    last_annual_grade: Grade | None
    clause: str


def _amount(figure: FigureCheck, value: int | None, *, en: bool) -> str:
    """A figure as people read it: money (kept in fen) in yuan, counts as they are."""
    if value is None:
        return "not reported" if en else "未填报"
    if not figure.figure.endswith("_fen"):
        return f"{value:,}"
    yuan = f"{value // 100:,}" + (f".{value % 100:02d}" if value % 100 else "")
    return f"CNY {yuan}" if en else f"{yuan} 元"


def _missed(check: MilestoneCheck, figure: FigureCheck, rules: EvaluationRules) -> Bilingual:
    when = rules.milestone(check.checkpoint)
    # The clause's reference (001 §2(10)) in English; its Chinese words belong to the Chinese sentence.
    reference = figure.clause.split(":")[0]
    return Bilingual(
        zh=(
            f"{when.name_zh}目标未完成：{figure.name_zh} 实际 {_amount(figure, figure.actual, en=False)}，"
            f"目标 {_amount(figure, figure.target, en=False)}（{figure.clause}）"
        ),
        en=(
            f"{when.name_en} target not met: {figure.name_en} is {_amount(figure, figure.actual, en=True)}, "
            f"target {_amount(figure, figure.target, en=True)} ({reference})"
        ),
    )


def assess_acceptance(
    *,
    approved_on: date,
    final_year: int,
    reports: Sequence[AnnualReport],
    last_annual_grade: Grade | None,
    rules: EvaluationRules,
    letter: ResponsibilityLetter | None = None,
) -> AcceptanceResult:
    """Pass when every required milestone (the final targets, the end-of-construction ones) is met and the
    last annual grade is not a failing one; otherwise fail, with one reason per unmet figure or grade.

    The targets are checked against the construction period the center actually has: a period that ends in
    `final_year` before the milestone's own year brings its check forward to that year's figures, so a
    3-year center is accepted on what it reported by its third year.

    A center with no annual evaluation on record fails: the text asks for yearly evaluations (001 §5(4)).
    """
    checks = tuple(
        check_milestone(
            checkpoint=checkpoint,
            approved_on=approved_on,
            reports=reports,
            rules=rules,
            letter=letter,
            due=min(final_year, due_year(approved_on=approved_on, checkpoint=checkpoint, rules=rules)),
        )
        for checkpoint in rules.acceptance.required_checkpoints
    )
    reasons = [_missed(check, figure, rules) for check in checks for figure in check.figures if not figure.met]
    if last_annual_grade is None:
        reasons.append(Bilingual(zh="无年度绩效评价结果", en="no annual evaluation on record"))
    else:
        grade = rules.grade_threshold(last_annual_grade)
        if last_annual_grade in rules.acceptance.failing_last_grades:
            reasons.append(
                Bilingual(
                    zh=f"最近一次年度绩效评价为{grade.name_zh}",
                    en=f"the last annual evaluation was {grade.name_en}",
                )
            )
        elif not reasons:
            met_zh = "、".join(check.checkpoint_name_zh for check in checks)
            met_en = " and ".join(check.checkpoint_name_en for check in checks)
            reasons.append(
                Bilingual(
                    zh=f"建设任务按约定完成：{met_zh}目标均已达到，最近一次年度绩效评价为{grade.name_zh}",
                    en=f"construction targets met ({met_en}); the last annual evaluation was {grade.name_en}",
                )
            )
    return AcceptanceResult(
        passed=all(check.met for check in checks)
        and last_annual_grade is not None
        and last_annual_grade not in rules.acceptance.failing_last_grades,
        reasons=tuple(reasons),
        checks=checks,
        last_annual_grade=last_annual_grade,
        clause=rules.acceptance.clause,
    )
