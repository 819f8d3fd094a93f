"""Concluding evaluations: what one finalize decides (score, grade, consequences) and everything it writes —
results, history, events. Reads and writes happen around `conclude_rows`, which does no I/O."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.catalog import rules_for_year
from evaluation.domain.evaluation import (
    Action,
    CenterFacts,
    Conclusion,
    EvaluationKind,
    PriorResult,
    conclude,
    effective_letter,
    finalize_blocker,
    letter_from_approval,
)
from evaluation.domain.indicators import LetterRefused, ResponsibilityLetter
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, Grade
from evaluation.domain.text import Bilingual
from evaluation.service.letters import letter_of
from evaluation.store import centers as center_store
from evaluation.store import evaluations as evaluation_store
from evaluation.store import experts as expert_store
from evaluation.store import letters as letter_store
from evaluation.store.evaluations import FinalizedResult
from evaluation.store.records import CenterRecord, EarlierReport, EvaluationRecord, LetterRecord, PriorGrade
from evaluation.store.tables import messaging
from tic_shared.dated_acts import today
from tic_shared.events.catalog import (
    AcceptanceCompleted,
    EvaluationCompleted,
    EvaluationExcellent,
    EvaluationFailed,
    MilestoneCheck,
    MilestoneChecked,
)
from tic_shared.events.envelope import EventData
from tic_shared.outbox import record_events
from tic_shared.problems import Problem


@dataclass(frozen=True)
class PreviewItem:
    """What finalizing one evaluation would decide (or decided): its grade and what follows from it."""

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    kind: str
    score: Decimal
    grade: str
    not_submitted: bool
    consecutive_unqualified: int
    delist_due: bool
    acceptance_passed: bool | None

    def line(self) -> str:
        return "|".join(
            str(v)
            for v in (
                self.evaluation_id,
                self.grade,
                self.score,
                self.not_submitted,
                self.consecutive_unqualified,
                self.delist_due,
                self.acceptance_passed,
            )
        )


@dataclass(frozen=True)
class Blocked:
    """An evaluation that cannot be finalized now, and why (in both languages)."""

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    why: Bilingual


@dataclass(frozen=True)
class FinalizeInputs:
    """Everything finalizing a batch of evaluations reads besides the rows themselves."""

    centers: dict[uuid.UUID, CenterRecord]
    letters: dict[uuid.UUID, LetterRecord]
    scores: dict[uuid.UUID, dict[str, list[Decimal]]]
    prior: dict[uuid.UUID, list[PriorGrade]]
    reports: dict[uuid.UUID, list[EarlierReport]]


@dataclass(frozen=True)
class Finalized:
    """What finalizing a batch writes: results, history entries, and the events with their subjects."""

    results: list[FinalizedResult]
    history: list[dict[str, Any]]
    events: list[tuple[EventData, str | None]]


@dataclass(frozen=True)
class ReadyOutcome:
    """A batch concluded: what it would store, the preview of each, and the rows that are not ready."""

    finalized: Finalized
    items: list[PreviewItem]
    blocked: list[Blocked]


async def finalize_inputs(session: AsyncSession, *, rows: Sequence[EvaluationRecord]) -> FinalizeInputs:
    center_ids = {row.center_id for row in rows}
    max_year = max(row.year for row in rows)
    return FinalizeInputs(
        centers=await center_store.centers_by_id(session, ids=center_ids),
        letters=await letter_store.letters_by_center(session, ids=center_ids),
        scores=await expert_store.scores_by_indicator(session, evaluation_ids=[row.id for row in rows]),
        prior=await evaluation_store.prior_results(session, center_ids=center_ids, before_year=max_year + 1),
        # Earlier years' reports only: each row's own report is on the row.
        reports=await evaluation_store.reports_of(session, center_ids=center_ids, up_to_year=max_year - 1),
    )


async def conclude_ready(session: AsyncSession, *, rows: Sequence[EvaluationRecord], actor: str) -> ReadyOutcome:
    inputs = await finalize_inputs(session, rows=rows)
    return conclude_ready_rows(rows=rows, inputs=inputs, actor=actor)


def conclude_ready_rows(*, rows: Sequence[EvaluationRecord], inputs: FinalizeInputs, actor: str) -> ReadyOutcome:
    """Set aside the rows that cannot be finalized now (`finalize_blocker`), conclude the others."""
    on = today()
    ready: list[EvaluationRecord] = []
    blocked: list[Blocked] = []
    for row in rows:
        center = inputs.centers[row.center_id]
        reason = finalize_blocker(
            kind=EvaluationKind(row.kind),
            has_report=row.report is not None,
            has_scores=bool(inputs.scores.get(row.id)),
            not_submitted=row.not_submitted is not None,
            construction_end=center.construction_end,
            today=on,
        )
        if reason is None:
            ready.append(row)
        else:
            blocked.append(Blocked(evaluation_id=row.id, center_id=row.center_id, year=row.year, why=reason))
    finalized, items = conclude_rows(rows=ready, inputs=inputs, actor=actor)
    return ReadyOutcome(finalized=finalized, items=items, blocked=blocked)


def _report_of(year: int, stored: dict[str, Any] | None) -> AnnualReport:
    return AnnualReport.model_validate({"year": year, **(stored or {})})


def _conclude_one(
    row: EvaluationRecord, inputs: FinalizeInputs
) -> tuple[Conclusion, ResponsibilityLetter, EvaluationRules]:
    center = inputs.centers[row.center_id]
    # A round opens evaluations for approved centers only, and the projection never forgets an approval.
    assert center.approved_on is not None
    rules, system = rules_for_year(row.year)
    approval = letter_from_approval(
        center_id=str(row.center_id), targets=center.targets or {}, system=system, rules=rules
    )
    letter = effective_letter(approval=approval, letter=letter_of(row.center_id, inputs.letters.get(row.center_id)))
    try:
        conclusion = conclude(
            evaluation_id=str(row.id),
            kind=EvaluationKind(row.kind),
            year=row.year,
            center=CenterFacts(
                center_id=str(row.center_id),
                status=center.status,
                tier=center.tier,
                approved_on=center.approved_on,
                construction_end=center.construction_end,
            ),
            report=_report_of(row.year, row.report),
            # conclude takes this year's report from `report`; the others are the earlier years'.
            reports=[_report_of(r.year, r.report) for r in inputs.reports.get(row.center_id, []) if r.year < row.year],
            expert_scores=inputs.scores.get(row.id, {}),
            prior=[
                PriorResult(evaluation_id=str(p.id), year=p.year, grade=p.grade)
                for p in inputs.prior.get(row.center_id, [])
                if p.year < row.year
            ],
            system=system,
            rules=rules,
            letter=letter,
            not_submitted=row.not_submitted is not None,
        )
    except LetterRefused as error:
        raise Problem(
            409, "letter-unusable", f"evaluation {row.id}: {error}; correct the responsibility letter first"
        ) from error
    return conclusion, letter, rules


def conclude_rows(
    *, rows: Sequence[EvaluationRecord], inputs: FinalizeInputs, actor: str
) -> tuple[Finalized, list[PreviewItem]]:
    """Score and conclude each row and prepare every write; no I/O, so it may run in a worker thread."""
    results: list[FinalizedResult] = []
    events: list[tuple[EventData, str | None]] = []
    history: list[dict[str, Any]] = []
    items: list[PreviewItem] = []
    for row in rows:
        conclusion, letter, rules = _conclude_one(row, inputs)
        score, consequences = conclusion.score, conclusion.consequences
        revision = row.revision + 1
        items.append(
            PreviewItem(
                evaluation_id=row.id,
                center_id=row.center_id,
                year=row.year,
                kind=row.kind,
                score=score.total,
                grade=str(score.grade),
                not_submitted=row.not_submitted is not None,
                consecutive_unqualified=consequences.consecutive_unqualified,
                delist_due=consequences.delist,
                acceptance_passed=conclusion.acceptance.passed if conclusion.acceptance else None,
            )
        )
        results.append(
            FinalizedResult(
                id=row.id,
                score=score.total,
                grade=str(score.grade),
                consecutive_unqualified=consequences.consecutive_unqualified,
                result_json=to_json(_result_document(conclusion, letter)).decode(),
            )
        )
        history.append(
            {
                "evaluation_id": row.id,
                "action": str(Action.FINALIZE),
                "actor": actor,
                "detail": {"revision": revision, "score": str(score.total), "grade": str(score.grade)},
            }
        )
        district = inputs.centers[row.center_id].district
        events.extend(
            (data, str(row.center_id))
            for data in consequence_events(
                row=row, conclusion=conclusion, rules=rules, district=district, revision=revision
            )
        )
    return Finalized(results=results, history=history, events=events), items


async def store_finalized(session: AsyncSession, *, finalized: Finalized) -> None:
    await evaluation_store.finalize_many(session, results=finalized.results)
    await evaluation_store.add_history(session, entries=finalized.history)
    await record_events(session, messaging.outbox, finalized.events)


def _result_document(conclusion: Conclusion, letter: ResponsibilityLetter) -> dict[str, Any]:
    """The stored result; models are left whole so that `to_json` serializes each in one call."""
    return {
        "indicator_system": conclusion.score.indicator_system,
        "indicator_system_version": conclusion.score.indicator_system_version,
        "rules": conclusion.score.rules,
        "rules_version": conclusion.score.rules_version,
        "adjusted_by_letter": letter.reference if (letter.weights or letter.targets) else None,
        "breakdown": conclusion.score.breakdown,
        "consequences": conclusion.consequences,
        "unqualified_run": list(conclusion.unqualified_run),
        "milestones": [{**check.model_dump(mode="json"), "met": check.met} for check in conclusion.milestones],
        "acceptance": conclusion.acceptance,
    }


def consequence_events(
    *, row: EvaluationRecord, conclusion: Conclusion, rules: EvaluationRules, district: str | None, revision: int
) -> list[EventData]:
    """The events one finalize emits: always EvaluationCompleted; Failed / Excellent; milestones; acceptance."""
    common: dict[str, Any] = {
        "evaluation_id": row.id,
        "center_id": row.center_id,
        "year": row.year,
        "kind": row.kind,
        "score": float(conclusion.score.total),
        "grade": str(conclusion.score.grade),
        "indicator_system": conclusion.score.indicator_system,
        "round_id": row.round_id,
        "rules": conclusion.score.rules,
        "district": district,
        "revision": revision,
    }
    events: list[EventData] = [EvaluationCompleted(**common)]
    consequences = conclusion.consequences
    if conclusion.score.grade is Grade.UNQUALIFIED:
        events.append(
            EvaluationFailed(
                **common,
                consecutive_unqualified=consequences.consecutive_unqualified,
                evidence=list(conclusion.unqualified_run),
                delist_due=consequences.delist,
                delisting_clause=consequences.delisting_clause,
            )
        )
    if conclusion.score.grade is Grade.EXCELLENT:
        events.append(
            EvaluationExcellent(
                **common,
                priority_support=consequences.priority_support,
                priority_support_clause=consequences.priority_support_clause,
            )
        )
    for check in conclusion.milestones:
        events.append(
            MilestoneChecked(
                evaluation_id=row.id,
                center_id=row.center_id,
                milestone=str(check.checkpoint),
                met=check.met,
                year=row.year,
                revision=revision,
                checks=[
                    MilestoneCheck(
                        measure=figure.figure,
                        figure=figure.actual,
                        target=figure.target,
                        met=figure.met,
                        name_zh=figure.name_zh,
                        from_letter=figure.from_letter,
                    )
                    for figure in check.figures
                ],
            )
        )
    if conclusion.acceptance is not None:
        events.append(
            AcceptanceCompleted(
                evaluation_id=row.id,
                center_id=row.center_id,
                passed=conclusion.acceptance.passed,
                reasons=[reason.zh for reason in conclusion.acceptance.reasons],
                reasons_en=[reason.en for reason in conclusion.acceptance.reasons],
                year=row.year,
                grade=str(conclusion.score.grade),
                revision=revision,
            )
        )
    return events
