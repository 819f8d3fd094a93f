"""Finalizing: the preview of what finalizing would decide, and its confirmation — one evaluation or a round."""

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.evaluation import Action, EvaluationStatus, TransitionRefused, check_action
from evaluation.service.conclusions import (
    Blocked,
    Finalized,
    PreviewItem,
    conclude_ready,
    conclude_ready_rows,
    finalize_inputs,
    store_finalized,
)
from evaluation.service.evaluations import EvaluationView, get_evaluation, located, locked_for, refused
from evaluation.service.rounds import RoundView, get_round, round_exists
from evaluation.store import evaluations as evaluation_store
from evaluation.store.records import EvaluationRecord
from tic_shared.auth import Principal
from tic_shared.problems import Problem

FINALIZE_BATCH = 500


@dataclass(frozen=True)
class FinalizePreview:
    """The consequences of a finalize, before it happens; `preview_id` is what the confirmation names."""

    preview_id: str
    items: list[PreviewItem]
    blocked: list[Blocked]


@dataclass(frozen=True)
class FinalizedRound:
    """What a round's finalize decided, and the round after it."""

    preview: FinalizePreview
    round: RoundView


def _preview(items: list[PreviewItem], blocked: list[Blocked]) -> FinalizePreview:
    lines = sorted(item.line() for item in items) + sorted(f"blocked|{b.evaluation_id}" for b in blocked)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
    order = sorted(items, key=lambda i: (i.year, str(i.center_id)))
    return FinalizePreview(preview_id=digest, items=order, blocked=sorted(blocked, key=lambda b: str(b.center_id)))


class PreviewStale(Problem):
    """The confirmation names a preview whose consequences are no longer what finalizing would decide."""

    def __init__(self, confirm: str, preview: FinalizePreview) -> None:
        super().__init__(
            409,
            "preview-stale",
            f"body.confirm: {confirm} is not the current preview ({preview.preview_id}): the figures changed "
            "since; read the preview again and confirm what it shows",
            preview_id=preview.preview_id,
        )
        self.preview = preview


async def finalize_preview(session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID) -> FinalizePreview:
    """What finalizing the evaluation would decide: its grade, the count of unqualified years, a delisting."""
    row = await located(session, principal=principal, evaluation_id=evaluation_id)
    try:
        check_action(EvaluationStatus(row.status), Action.FINALIZE)
    except TransitionRefused as error:
        raise refused(error) from error
    outcome = await conclude_ready(session, rows=[row], actor=principal.subject)
    return _preview(outcome.items, outcome.blocked)


async def finalize(
    session: AsyncSession, *, principal: Principal, evaluation_id: uuid.UUID, confirm: str, if_match: str | None
) -> EvaluationView:
    """Compute the scores, total, grade and consequences; lock the evaluation; emit its events.

    Only what the caller saw: `confirm` must name the current preview. An evaluation that is empty, or an
    acceptance before construction has ended, is refused naming why.
    """
    row = await locked_for(
        session, principal=principal, evaluation_id=evaluation_id, action=Action.FINALIZE, if_match=if_match
    )
    outcome = await conclude_ready(session, rows=[row], actor=principal.subject)
    if outcome.blocked:
        why = outcome.blocked[0].why
        raise Problem(
            409,
            "evaluation-not-ready",
            f"evaluation {evaluation_id} cannot be finalized: {why.en}",
            current_state=row.status,
            reason={"zh": why.zh, "en": why.en},
        )
    preview = _preview(outcome.items, [])
    if preview.preview_id != confirm:
        raise PreviewStale(confirm, preview)
    await store_finalized(session, finalized=outcome.finalized)
    return await get_evaluation(session, principal=principal, evaluation_id=evaluation_id)


async def round_preview(session: AsyncSession, *, principal: Principal, round_id: uuid.UUID) -> FinalizePreview:
    """What finalizing the round would decide, evaluation by evaluation; nothing is stored."""
    await round_exists(session, round_id=round_id)
    return await _run_round(session, actor=principal.subject, round_id=round_id, confirm=None)


async def finalize_round(
    session: AsyncSession, *, principal: Principal, round_id: uuid.UUID, confirm: str
) -> FinalizedRound:
    """Finalize every evaluation of a round that can be: those empty or not due yet stay open, listed.

    Pipelined: while a worker thread scores one batch, the database stores the previous batch's results and
    reads the next batch, so the interpreter and PostgreSQL work at the same time. Everything runs in the
    request's transaction, so a confirmation that turns out stale at the end stores nothing.
    """
    await round_exists(session, round_id=round_id)
    preview = await _run_round(session, actor=principal.subject, round_id=round_id, confirm=confirm)
    return FinalizedRound(preview=preview, round=await get_round(session, principal=principal, round_id=round_id))


async def _run_round(session: AsyncSession, *, actor: str, round_id: uuid.UUID, confirm: str | None) -> FinalizePreview:
    write = confirm is not None
    items: list[PreviewItem] = []
    blocked: list[Blocked] = []
    pending: Finalized | None = None
    seen: set[uuid.UUID] = set()

    async def pass_over(rows: Sequence[EvaluationRecord]) -> tuple[Sequence[EvaluationRecord], Finalized | None]:
        nonlocal pending
        inputs = await finalize_inputs(session, rows=rows)
        scoring = asyncio.ensure_future(asyncio.to_thread(conclude_ready_rows, rows=rows, inputs=inputs, actor=actor))
        try:
            if pending is not None and write:
                await store_finalized(session, finalized=pending)
            following = await evaluation_store.lock_unfinalized(
                session, round_id=round_id, limit=FINALIZE_BATCH, after=rows[-1].id
            )
        except BaseException:
            # The thread cannot be cancelled; let it finish so that its outcome is not left unobserved.
            with contextlib.suppress(BaseException):
                await scoring
            raise
        outcome = await scoring
        items.extend(outcome.items)
        blocked.extend(outcome.blocked)
        seen.update(row.id for row in rows)
        return following, outcome.finalized

    rows: Sequence[EvaluationRecord] = await evaluation_store.lock_unfinalized(
        session, round_id=round_id, limit=FINALIZE_BATCH
    )
    while rows:
        rows, pending = await pass_over(rows)
    if pending is not None and write:
        await store_finalized(session, finalized=pending)
    # Rows skipped above because another transaction held them get one more pass (usually there are none).
    after: uuid.UUID | None = None
    while rows := await evaluation_store.lock_unfinalized(
        session, round_id=round_id, limit=FINALIZE_BATCH, after=after
    ):
        after = rows[-1].id
        fresh = [row for row in rows if row.id not in seen]
        if fresh:
            outcome = await conclude_ready(session, rows=fresh, actor=actor)
            items.extend(outcome.items)
            blocked.extend(outcome.blocked)
            seen.update(row.id for row in fresh)
            if write:
                await store_finalized(session, finalized=outcome.finalized)
    preview = _preview(items, blocked)
    if confirm is not None and preview.preview_id != confirm:
        raise PreviewStale(confirm, preview)
    return preview
