"""Evaluations: reading what the caller may see, the center's report, a missing report, reopening, and the lock
every command takes first."""

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.evaluation import Action, EvaluationStatus, TransitionRefused, check_action, status_after_reopen
from evaluation.domain.report import AnnualReport
from evaluation.store import centers as center_store
from evaluation.store import evaluations as evaluation_store
from evaluation.store import experts as expert_store
from evaluation.store.records import AssignmentRecord, ExpertScoreRecord, HistoryRecord, LocatedEvaluation
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.http import check_if_match, etag_for
from tic_shared.problems import Conflict, NotFound, Problem, TransitionConflict
from tic_shared.reach import Reach


@dataclass(frozen=True)
class EvaluationView:
    """One evaluation with its experts' assignments and scores (an expert sees only their own) and its history."""

    evaluation: LocatedEvaluation
    assignments: list[AssignmentRecord]
    scores: list[ExpertScoreRecord]
    history: list[HistoryRecord]


def evaluation_etag(view: EvaluationView) -> str:
    return _etag(view.evaluation)


def _etag(row: LocatedEvaluation) -> str:
    return etag_for("evaluation", row.id, row.version)


def refused(error: TransitionRefused) -> Conflict:
    return TransitionConflict(
        "transition-refused", str(error), current_state=str(error.status), allowed_actions=error.allowed
    )


async def located(
    session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID, lock: bool = False
) -> LocatedEvaluation:
    """The evaluation, or NotFound when there is none the caller may see."""
    found = await evaluation_store.get_evaluation(
        session, reach=Reach.of(principal), evaluation_id=evaluation_id, lock=lock
    )
    if found is None:
        raise NotFound("evaluation", evaluation_id)
    return found


async def locked_for(
    session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID, action: Action, if_match: str | None
) -> LocatedEvaluation:
    """The evaluation locked for `action`: seen by the caller, at the version they name, in a state allowing it."""
    row = await located(session, principal=principal, evaluation_id=evaluation_id, lock=True)
    check_if_match(if_match, _etag(row))
    try:
        check_action(EvaluationStatus(row.status), action)
    except TransitionRefused as error:
        raise refused(error) from error
    return row


async def get_evaluation(session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID) -> EvaluationView:
    row = await located(session, principal=principal, evaluation_id=evaluation_id)
    assigned = await expert_store.assignments_of(session, evaluation_id=row.id)
    scores = await expert_store.scores_of(session, evaluation_ids=[row.id])
    if not principal.sees_everything and principal.has_role("expert"):
        scores = [s for s in scores if s.expert == principal.subject]
        assigned = [a for a in assigned if a.expert == principal.subject]
    history = await evaluation_store.history_of(session, evaluation_id=row.id)
    return EvaluationView(evaluation=row, assignments=assigned, scores=scores, history=history)


async def list_evaluations(
    session: AsyncSession,
    *,
    principal: Principal,
    round_id: uuid.UUID | None,
    center_id: uuid.UUID | None,
    year: int | None,
    status: str | None,
    grade: str | None,
    after: tuple[int, uuid.UUID] | None,
    limit: int,
) -> list[LocatedEvaluation]:
    """The evaluations the caller may see, newest year first."""
    return await evaluation_store.list_evaluations(
        session,
        reach=Reach.of(principal),
        round_id=round_id,
        center_id=center_id,
        year=year,
        status=status,
        grade=grade,
        after=after,
        limit=limit,
    )


async def center_evaluations(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    limit: int,
    after: tuple[int, uuid.UUID] | None,
) -> list[LocatedEvaluation]:
    """A center's evaluations over the years, oldest first; NotFound for a center the caller may not see."""
    reach = Reach.of(principal)
    rows = await evaluation_store.list_evaluations(
        session, reach=reach, center_id=center_id, limit=limit, after=after, ascending_years=True
    )
    if not rows and after is None and await center_store.get_center(session, reach=reach, center_id=center_id) is None:
        raise NotFound("center", center_id)
    return rows


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    evaluation_id: uuid.UUID,
    action: Action,
    values: dict[str, Any] | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Change the evaluation (its version moves on even with no `values`: what hangs off it changed) and append
    the caller's action to its history."""
    await evaluation_store.update_evaluation(session, evaluation_id=evaluation_id, values=values or {})
    entry = {"evaluation_id": evaluation_id, "action": str(action), "actor": principal.subject}
    await evaluation_store.add_history(session, entries=[{**entry, "reason": reason, "detail": detail}])


async def submit_report(
    session: AsyncSession,
    *,
    principal: Principal,
    evaluation_id: uuid.UUID,
    report: dict[str, Any],
    if_match: str | None,
) -> EvaluationView:
    """The center files (or re-files) its annual report for the evaluation's year."""
    row = await locked_for(
        session, principal=principal, evaluation_id=evaluation_id, action=Action.SUBMIT_REPORT, if_match=if_match
    )
    if not principal.sees_everything and principal.center_id != row.center_id:
        raise NotFound("evaluation", evaluation_id)
    try:
        parsed = AnnualReport.model_validate({"year": row.year, **report})
    except ValidationError as error:  # pragma: no cover - the request model has already checked it
        raise Problem(422, "report-refused", str(error)) from error
    await record(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        action=Action.SUBMIT_REPORT,
        values={
            "report": parsed.model_dump(mode="json", exclude={"year"}),
            "reported_by": principal.subject,
            "reported_at": func.now(),
            "status": str(EvaluationStatus.REPORTED),
        },
    )
    return await get_evaluation(session, principal=principal, evaluation_id=evaluation_id)


async def record_not_submitted(
    session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID, reason: str, if_match: str | None
) -> EvaluationView:
    """A reviewer records that no report came for the year, with the reason; finalizing it then counts it as the
    rules say (unqualified by default) instead of scoring an empty report as if it were one."""
    await locked_for(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        action=Action.RECORD_NOT_SUBMITTED,
        if_match=if_match,
    )
    await record(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        action=Action.RECORD_NOT_SUBMITTED,
        values={"not_submitted": {"reason": reason, "by": principal.subject, "on": today().isoformat()}},
        reason=reason,
    )
    return await get_evaluation(session, principal=principal, evaluation_id=evaluation_id)


async def reopen(
    session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID, reason: str, if_match: str | None
) -> EvaluationView:
    """Unlock a finalized evaluation for a correction; the reason and the superseded result go to history."""
    row = await locked_for(
        session, principal=principal, evaluation_id=evaluation_id, action=Action.REOPEN, if_match=if_match
    )
    status = status_after_reopen(has_report=row.report is not None)
    await record(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        action=Action.REOPEN,
        values={"status": str(status), "score": None, "grade": None, "consecutive_unqualified": None},
        reason=reason,
        detail={"superseded": {"revision": row.revision, "score": str(row.score), "grade": row.grade}},
    )
    return await get_evaluation(session, principal=principal, evaluation_id=evaluation_id)
