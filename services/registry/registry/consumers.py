"""The events the registry reacts to: failed evaluations delist, acceptance results cancel or complete."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from registry import service
from registry.domain.lifecycle import Action, allowed_actions
from registry.domain.policy import registry_policy
from registry.store import centers as store
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import AcceptanceCompleted, EvaluationFailed
from tic_shared.inbox import EventHandlers

log = logging.getLogger(__name__)
handlers = EventHandlers()


async def _can(session: AsyncSession, center_id: object, action: Action) -> bool:
    """Whether the center exists and may take `action` now; an event about a center already ended is a no-op."""
    row = await store.get_center(session, center_id, service.SYSTEM, for_update=True)  # type: ignore[arg-type]
    if row is None or action.value not in allowed_actions(row.status):
        log.warning("ignoring %s for center %s in state %s", action, center_id, row.status if row else "unknown")
        return False
    return True


@handlers.on(EvaluationFailed)
async def delist_after_consecutive_failures(session: AsyncSession, event: CloudEvent) -> None:
    """Two consecutive unqualified annual evaluations ⇒ delisting (摘牌, 000 §4(4), 001 §5(4))."""
    data = event.data_as(EvaluationFailed)
    if data.kind != "annual":
        return
    await store.record_evaluation_failure(
        session,
        {
            "evaluation_id": data.evaluation_id,
            "center_id": data.center_id,
            "year": data.year,
            "consecutive_unqualified": data.consecutive_unqualified,
            "event_id": event.id,
        },
    )
    needed = registry_policy().delisting_consecutive_unqualified
    if data.consecutive_unqualified < needed or not await _can(session, data.center_id, Action.DELIST):
        return
    failures = await store.recent_failures(session, data.center_id, needed)
    years = ", ".join(str(f.year) for f in sorted(failures, key=lambda f: f.year))
    await service.end_center(
        session,
        action=Action.DELIST,
        center_id=data.center_id,
        actor="system:evaluation",
        principal=None,
        reason=(
            f"{data.consecutive_unqualified} consecutive unqualified annual evaluations ({years}); "
            "delisted under 000 §4(4) and 001 §5(4)"
        ),
        evidence=[str(f.evaluation_id) for f in sorted(failures, key=lambda f: f.year)],
        effective_on=datetime.now(UTC).date(),
    )


@handlers.on(AcceptanceCompleted)
async def apply_acceptance(session: AsyncSession, event: CloudEvent) -> None:
    """Acceptance (验收) passed ⇒ operating; failed ⇒ the creation qualification is cancelled (001 §5(4))."""
    data = event.data_as(AcceptanceCompleted)
    if not await _can(session, data.center_id, Action.COMPLETE_ACCEPTANCE):
        return
    today = datetime.now(UTC).date()
    if data.passed:
        await service.complete_acceptance(
            session, center_id=data.center_id, evaluation_id=data.evaluation_id, accepted_on=today
        )
        return
    reasons = "; ".join(data.reasons) or "construction tasks not completed"
    await service.end_center(
        session,
        action=Action.COMPLETE_ACCEPTANCE,
        outcome="failed",
        center_id=data.center_id,
        actor="system:evaluation",
        principal=None,
        reason=f"acceptance failed: {reasons}",
        evidence=[str(data.evaluation_id)],
        effective_on=today,
    )
