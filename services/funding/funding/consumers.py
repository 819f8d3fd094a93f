"""The events the funding service reacts to, registered in one place: its projections of centers and grades,
the year-1 grant on approval, awards on recognition, and the clawback when a center ends."""

from sqlalchemy.ext.asyncio import AsyncSession

from funding.service import centers, clawbacks, grants
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    CenterAccepted,
    CenterApproved,
    CenterCancelled,
    CenterDelisted,
    CenterReinstated,
    CenterTierChanged,
    EvaluationCompleted,
    EvaluationExcellent,
    EvaluationFailed,
)
from tic_shared.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(CenterApproved)
async def on_center_approved(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data_as(CenterApproved)
    center = await centers.project_approval(
        session,
        data=data,
        name_zh=data.name_zh or "",
        lead_unit_type=str(data.lead_unit.type),
        approved_on=data.approved_on,
    )
    if center is not None:
        await grants.open_grants_on_approval(session, center=center)


@handlers.on(CenterTierChanged)
async def on_center_tier_changed(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data_as(CenterTierChanged)
    center = await centers.project_center(session, data=data)
    if center is not None and center.approved_on is not None:
        await grants.open_awards_on_tier_change(session, center=center, changed_on=data.changed_on)


@handlers.on(CenterAccepted)
async def on_center_accepted(session: AsyncSession, event: CloudEvent) -> None:
    await centers.project_center(session, data=event.data_as(CenterAccepted))


async def _ended(session: AsyncSession, event: CloudEvent, data: CenterCancelled | CenterDelisted) -> None:
    center = await centers.project_center(session, data=data)
    if center is not None:
        await clawbacks.order_clawback(session, center=center, event=event, reason=data.reason)


@handlers.on(CenterCancelled)
async def on_center_cancelled(session: AsyncSession, event: CloudEvent) -> None:
    await _ended(session, event, event.data_as(CenterCancelled))


@handlers.on(CenterDelisted)
async def on_center_delisted(session: AsyncSession, event: CloudEvent) -> None:
    await _ended(session, event, event.data_as(CenterDelisted))


@handlers.on(CenterReinstated)
async def on_center_reinstated(session: AsyncSession, event: CloudEvent) -> None:
    center = await centers.project_center(session, data=event.data_as(CenterReinstated))
    if center is not None:
        await clawbacks.reverse_ending(session, center=center, event=event)


async def _record_grade(session: AsyncSession, data: EvaluationCompleted) -> None:
    await centers.record_grade(
        session,
        center_id=data.center_id,
        year=data.year,
        kind=str(data.kind),
        grade=str(data.grade),
        evaluation_id=data.evaluation_id,
        revision=data.revision,
    )


@handlers.on(EvaluationCompleted)
async def on_evaluation_completed(session: AsyncSession, event: CloudEvent) -> None:
    await _record_grade(session, event.data_as(EvaluationCompleted))


@handlers.on(EvaluationFailed)
async def on_evaluation_failed(session: AsyncSession, event: CloudEvent) -> None:
    await _record_grade(session, event.data_as(EvaluationFailed))


@handlers.on(EvaluationExcellent)
async def on_evaluation_excellent(session: AsyncSession, event: CloudEvent) -> None:
    await _record_grade(session, event.data_as(EvaluationExcellent))
