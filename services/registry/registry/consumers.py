"""The events the registry reacts to: failed evaluations delist, acceptance results cancel or complete."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain.lifecycle import Action, allowed_actions
from registry.service.operation import acceptance_window, complete_acceptance, end_center
from registry.store import centers as store
from tic_shared.dated_acts import LOCAL_TIME
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import AcceptanceCompleted, EvaluationFailed
from tic_shared.inbox import EventHandlers
from tic_shared.reach import EVERYTHING

log = logging.getLogger(__name__)
handlers = EventHandlers()


async def _can(session: AsyncSession, center_id: uuid.UUID, action: Action) -> bool:
    """Whether the center exists and may take `action` now; an event about a center already ended is a no-op."""
    row = await store.get_center(session, reach=EVERYTHING, center_id=center_id, for_update=True)
    if row is None or action.value not in allowed_actions(row.status):
        log.warning("ignoring %s for center %s in state %s", action, center_id, row.status if row else "unknown")
        return False
    return True


def _day_of(event: CloudEvent) -> date:
    """The day the producer concluded the act: the event's time, on the program's calendar."""
    return event.time.astimezone(LOCAL_TIME).date()


@handlers.on(EvaluationFailed)
async def delist_when_due(session: AsyncSession, event: CloudEvent) -> None:
    """A municipal TIC unqualified in consecutive annual evaluations is delisted (摘牌, 000 §4(4), 001 §5(4)).

    Whether it is due, and for which tiers, is the evaluation rules' call (`delist_due`): one figure, one place.
    """
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
    if not data.delist_due or not await _can(session, data.center_id, Action.DELIST):
        return
    failures = sorted(
        await store.recent_failures(session, center_id=data.center_id, count=data.consecutive_unqualified),
        key=lambda f: f.year,
    )
    years = [f.year for f in failures]
    await end_center(
        session,
        action=Action.DELIST,
        center_id=data.center_id,
        actor="system:evaluation",
        principal=None,
        reason=f"连续{len(years)}个年度（{'、'.join(str(y) for y in years)}年度）绩效评价不合格"
        f"（{data.delisting_clause or '000 §4(4)'}）",
        evidence=data.evidence or [str(f.evaluation_id) for f in failures],
        basis_years=years,
        effective_on=_day_of(event),
        reason_en=f"unqualified in {len(years)} consecutive annual evaluations "
        f"({' and '.join(str(y) for y in years)}; {data.delisting_clause or '000 §4(4)'})",
    )


@handlers.on(AcceptanceCompleted)
async def apply_acceptance(session: AsyncSession, event: CloudEvent) -> None:
    """Acceptance (验收) passed ⇒ operating; failed ⇒ the creation qualification is cancelled (001 §5(4))."""
    data = event.data_as(AcceptanceCompleted)
    if not await _can(session, data.center_id, Action.COMPLETE_ACCEPTANCE):
        return
    on = _day_of(event)
    if data.passed:
        await complete_acceptance(session, center_id=data.center_id, evaluation_id=data.evaluation_id, accepted_on=on)
        return
    await end_center(
        session,
        action=Action.COMPLETE_ACCEPTANCE,
        outcome="failed",
        center_id=data.center_id,
        actor="system:evaluation",
        principal=None,
        reason="；".join(data.reasons) or "未按约定完成中心建设任务",
        reason_en="; ".join(data.reasons_en) or "the construction tasks agreed were not completed",
        evidence=[str(data.evaluation_id)],
        effective_on=on,
        window=acceptance_window,
        date_field="data.time",
    )
