"""One center's evaluation of one year: its lifecycle (lock, reopen), who may take part, and finalizing it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from evaluation.domain.acceptance import AcceptanceResult, assess_acceptance
from evaluation.domain.consequences import AnnualResult, Consequences, assess_consequences
from evaluation.domain.indicators import (
    IndicatorKind,
    IndicatorSystem,
    ResponsibilityLetter,
    apply_letter,
)
from evaluation.domain.milestones import MilestoneCheck, check_milestone, checkpoints_due, validate_letter
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import Checkpoint, EvaluationRules, Grade
from evaluation.domain.scoring import AnnualScore, ExpertScore, score_annual_report
from evaluation.domain.text import Bilingual
from tic_shared.vocabulary import CenterStatus, EvaluationKind, Tier

# A center the registry has in one of these states takes part in an annual round.
EVALUABLE_STATUSES = frozenset({CenterStatus.BUILDING, CenterStatus.OPERATING})


class EvaluationStatus(StrEnum):
    """Where an evaluation is: waiting for the center's report, reported, or finalized (locked)."""

    AWAITING_REPORT = "awaiting_report"
    REPORTED = "reported"
    FINALIZED = "finalized"


class Action(StrEnum):
    SUBMIT_REPORT = "submit_report"
    RECORD_NOT_SUBMITTED = "record_not_submitted"
    ASSIGN_EXPERT = "assign_expert"
    SCORE = "score"
    FINALIZE = "finalize"
    REOPEN = "reopen"


_ALLOWED: dict[EvaluationStatus, tuple[Action, ...]] = {
    EvaluationStatus.AWAITING_REPORT: (
        Action.SUBMIT_REPORT,
        Action.RECORD_NOT_SUBMITTED,
        Action.ASSIGN_EXPERT,
        Action.SCORE,
        Action.FINALIZE,
    ),
    EvaluationStatus.REPORTED: (Action.SUBMIT_REPORT, Action.ASSIGN_EXPERT, Action.SCORE, Action.FINALIZE),
    # Finalized is locked (as DHIS2 locks approved data): the only way to change it is an explicit reopen.
    EvaluationStatus.FINALIZED: (Action.REOPEN,),
}


class TransitionRefused(ValueError):
    """The action is not allowed in the evaluation's current state."""

    def __init__(self, status: EvaluationStatus, action: Action) -> None:
        self.status = status
        self.action = action
        self.allowed = [str(a) for a in _ALLOWED[status]]
        locked = ""
        if status is EvaluationStatus.FINALIZED:
            locked = " (a finalized evaluation is locked; reopen it with a reason first)"
        super().__init__(f"cannot {action} an evaluation that is {status}{locked}; allowed: {', '.join(self.allowed)}")


def allowed_actions(status: EvaluationStatus) -> tuple[Action, ...]:
    """What may be done to an evaluation in `status`."""
    return _ALLOWED[status]


def check_action(status: EvaluationStatus, action: Action) -> None:
    """Refuse (`TransitionRefused`) an action the state does not allow."""
    if action not in _ALLOWED[status]:
        raise TransitionRefused(status, action)


def status_after_reopen(*, has_report: bool) -> EvaluationStatus:
    """A reopened evaluation goes back to where its report left it."""
    return EvaluationStatus.REPORTED if has_report else EvaluationStatus.AWAITING_REPORT


def is_eligible(*, status: str, tier: str, approved_on: date | None, year: int, rules: EvaluationRules) -> bool:
    """Whether a center takes part in the round of `year`: building or operating, of a tier the rules evaluate,
    and approved in an earlier year (001 §5(1): each calendar year after the year of approval)."""
    return (
        status in EVALUABLE_STATUSES
        and tier in rules.scope.tiers
        and approved_on is not None
        and approved_on.year < year
    )


class NotReady(ValueError):
    """An evaluation that cannot be finalized yet, and why (in both languages' sense: a sentence naming it)."""


def finalize_blocker(
    *,
    kind: EvaluationKind,
    has_report: bool,
    has_scores: bool,
    not_submitted: bool,
    construction_end: date | None,
    today: date,
) -> Bilingual | None:
    """Why the evaluation cannot be finalized now, in both languages, or None when it can.

    An evaluation is never finalized empty: it has a report or expert scores, or a reviewer recorded it as not
    submitted. An acceptance (验收) concludes a construction period, so it is finalized only once that has ended.
    """
    if not (has_report or has_scores or not_submitted):
        return Bilingual(
            zh="既无年度报告也无专家评分：请等待报告，或注明原因后记为未提交",
            en="it has no report and no scores: wait for the report, or record it as not submitted with a reason",
        )
    if kind is EvaluationKind.ACCEPTANCE and construction_end is not None and today < construction_end:
        return Bilingual(
            zh=f"这是验收评价，建设期至 {construction_end.isoformat()} 才结束",
            en=f"it is the acceptance, and the construction period runs until {construction_end.isoformat()}",
        )
    return None


def construction_end_year(*, approved_on: date, construction_end: date | None, rules: EvaluationRules) -> int:
    """The year the construction period ends: the registry's date, else approval + the rules' years."""
    if construction_end is not None:
        return construction_end.year
    return approved_on.year + rules.construction.years


def kind_for(
    *, status: str, approved_on: date, construction_end: date | None, year: int, rules: EvaluationRules
) -> EvaluationKind:
    """The evaluation in the year construction ends, of a center still building, is its acceptance (验收)."""
    end_year = construction_end_year(approved_on=approved_on, construction_end=construction_end, rules=rules)
    if status == CenterStatus.BUILDING and year == end_year:
        return EvaluationKind.ACCEPTANCE
    return EvaluationKind.ANNUAL


# How the registry may name the milestone figures of a responsibility letter, and ours.
_CHECKPOINT_ALIASES = {
    "two_years": Checkpoint.TWO_YEARS,
    "year_2": Checkpoint.TWO_YEARS,
    "five_years": Checkpoint.FIVE_YEARS,
    "year_5": Checkpoint.FIVE_YEARS,
    "end_of_construction": Checkpoint.END_OF_CONSTRUCTION,
}
_FIGURE_ALIASES = {
    "cumulative_investment_fen": "cumulative_investment_fen",
    "investment_fen": "cumulative_investment_fen",
    "team_total": "team_total",
    "team": "team_total",
    "high_level_teams": "high_level_teams",
    "bases": "bases",
    "transfer_bases": "bases",
    "close_partners": "close_partners",
    "partner_enterprises": "close_partners",
    "spin_offs": "spin_offs",
    "spinoffs": "spin_offs",
    "enterprises_served": "enterprises_served",
}


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def letter_from_approval(
    *, center_id: str, targets: Mapping[str, Any], system: IndicatorSystem, rules: EvaluationRules
) -> ResponsibilityLetter:
    """The responsibility-letter targets CenterApproved carried, as a letter; what cannot be used is left out.

    Accepted shapes: `{"<indicator code>": n}` for a quantitative indicator's yearly target, and
    `{"year_2" | "two_years" | "year_5" | "five_years" | "end_of_construction": {figure: n}}` for milestones.
    """
    quantitative = {i.code for i in system.indicators if i.kind is IndicatorKind.QUANTITATIVE}
    indicator_targets: dict[str, int] = {}
    milestone_targets: dict[str, dict[str, int]] = {}
    for key, value in targets.items():
        if key in quantitative and (whole := _whole(value)) is not None:
            indicator_targets[key] = whole
        elif key in _CHECKPOINT_ALIASES and isinstance(value, Mapping):
            checkpoint = _CHECKPOINT_ALIASES[key]
            known = {figure.figure for figure in rules.milestone(checkpoint).figures}
            figures = {
                _FIGURE_ALIASES[name]: whole
                for name, raw in value.items()
                if name in _FIGURE_ALIASES and _FIGURE_ALIASES[name] in known and (whole := _whole(raw)) is not None
            }
            if figures:
                milestone_targets.setdefault(str(checkpoint), {}).update(figures)
    return ResponsibilityLetter(
        center_id=center_id,
        reference="CenterApproved.targets",
        targets=indicator_targets,
        milestone_targets=milestone_targets,
    )


def effective_letter(*, approval: ResponsibilityLetter, letter: ResponsibilityLetter | None) -> ResponsibilityLetter:
    """The letter in force: what the bureau recorded, over the targets the approval carried."""
    if letter is None:
        return approval
    milestones = {key: dict(value) for key, value in approval.milestone_targets.items()}
    for key, value in letter.milestone_targets.items():
        milestones.setdefault(key, {}).update(value)
    return ResponsibilityLetter(
        center_id=letter.center_id,
        reference=letter.reference,
        weights=dict(letter.weights),
        targets={**approval.targets, **letter.targets},
        milestone_targets=milestones,
    )


def check_letter(*, letter: ResponsibilityLetter, system: IndicatorSystem, rules: EvaluationRules) -> None:
    """Refuse (`LetterRefused`) a letter whose codes are unknown or whose weights do not sum to the total."""
    validate_letter(letter=letter, system=system, rules=rules)


def system_for(system: IndicatorSystem, letter: ResponsibilityLetter) -> IndicatorSystem:
    """The indicator system as the center's letter adjusts it (unchanged when the letter sets nothing)."""
    if not letter.weights and not letter.targets:
        return system
    return apply_letter(system, letter)


@dataclass(frozen=True)
class CenterFacts:
    """What the evaluation knows of a center from the registry's events."""

    center_id: str
    status: str
    tier: str
    approved_on: date
    construction_end: date | None


@dataclass(frozen=True)
class PriorResult:
    """A finalized evaluation of an earlier year."""

    evaluation_id: str
    year: int
    grade: str


@dataclass(frozen=True)
class Conclusion:
    """Everything finalizing one evaluation decides."""

    score: AnnualScore
    consequences: Consequences
    unqualified_run: tuple[str, ...]  # the evaluation ids of the consecutive unqualified results, oldest first
    milestones: tuple[MilestoneCheck, ...]
    acceptance: AcceptanceResult | None


def conclude(
    *,
    evaluation_id: str,
    kind: EvaluationKind,
    year: int,
    center: CenterFacts,
    report: AnnualReport,
    reports: Sequence[AnnualReport],
    expert_scores: Mapping[str, Sequence[ExpertScore]],
    prior: Sequence[PriorResult],
    system: IndicatorSystem,
    rules: EvaluationRules,
    letter: ResponsibilityLetter,
    not_submitted: bool = False,
) -> Conclusion:
    """Score the report, grade it, count consecutive unqualified results, check due milestones and acceptance.

    `reports` are the center's annual reports of every year so far (this year's included); `prior` its
    finalized evaluations of earlier years. An evaluation recorded as not submitted takes the rules' grade for
    it. An unusable letter is refused (`LetterRefused`).
    """
    adjusted = system_for(system, letter)
    score = score_annual_report(report=report, system=adjusted, rules=rules, expert_scores=expert_scores)
    if not_submitted:
        score = score.model_copy(update={"grade": rules.not_submitted.grade})
    earlier = [result for result in prior if result.year < year]
    history = [AnnualResult(year=result.year, grade=Grade(result.grade)) for result in earlier]
    history.append(AnnualResult(year=year, grade=score.grade))
    end_year = construction_end_year(
        approved_on=center.approved_on, construction_end=center.construction_end, rules=rules
    )
    consequences = assess_consequences(
        results=history, rules=rules, in_construction_period=year <= end_year, tier=Tier(center.tier)
    )
    run_ids = [result.evaluation_id for result in sorted(earlier, key=lambda r: r.year)]
    count = consequences.consecutive_unqualified
    unqualified_run = tuple([*run_ids, evaluation_id][-count:]) if count else ()
    same_year = {r.year: r for r in reports if r.year != year}
    same_year[year] = report
    all_reports = list(same_year.values())
    due = checkpoints_due(approved_on=center.approved_on, year=year, rules=rules)
    milestones = tuple(
        check_milestone(
            checkpoint=checkpoint, approved_on=center.approved_on, reports=all_reports, rules=rules, letter=letter
        )
        for checkpoint in due
    )
    acceptance = None
    if kind is EvaluationKind.ACCEPTANCE:
        acceptance = assess_acceptance(
            approved_on=center.approved_on,
            final_year=end_year,
            reports=all_reports,
            last_annual_grade=score.grade,
            rules=rules,
            letter=letter,
        )
    return Conclusion(
        score=score,
        consequences=consequences,
        unqualified_run=unqualified_run,
        milestones=milestones,
        acceptance=acceptance,
    )


def expert_fraction_inputs(rows: Sequence[tuple[str, Decimal]]) -> dict[str, list[Decimal]]:
    """Experts' scores grouped by indicator code."""
    grouped: dict[str, list[Decimal]] = {}
    for code, score in rows:
        grouped.setdefault(code, []).append(score)
    return grouped
