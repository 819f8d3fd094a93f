"""The public notice (公示) before approval, and the objections raised during it."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain import lifecycle
from registry.domain.lifecycle import Action
from registry.domain.policy import jurisdiction_of_district
from registry.service.acts import Details, load, transition
from registry.store import centers as store
from registry.store.records import CenterRecord, ObjectionRecord
from tic_shared.auth import Principal
from tic_shared.dated_acts import DatedAct
from tic_shared.problems import Conflict, NotFound


async def start_public_notice(
    session: AsyncSession, *, principal: Principal, center_id: uuid.UUID, starts_on: date, if_match: str | None
) -> CenterRecord:
    # The notice's length is the jurisdiction's: its district is fixed before a notice can start.
    current = await load(session, principal=principal, center_id=center_id)
    ends_on = lifecycle.public_notice_end(jurisdiction_of_district(current.district), starts_on)
    return await transition(
        session,
        center_id=center_id,
        action=Action.START_PUBLIC_NOTICE,
        on=starts_on,
        date_field="body.starts_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"notice_starts_on": starts_on, "notice_ends_on": ends_on},
        details={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )


def _notice_period(center: CenterRecord) -> tuple[DatedAct, DatedAct | None] | None:
    """An objection is raised inside the public notice: from its first day to the day approval becomes possible."""
    if center.notice_starts_on is None or center.notice_ends_on is None:
        return None
    return DatedAct("start of the public notice", center.notice_starts_on), DatedAct(
        "end of the public notice", center.notice_ends_on
    )


async def raise_objection(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    summary: str,
    raised_by: str,
    raised_on: date,
    if_match: str | None,
) -> tuple[CenterRecord, ObjectionRecord]:
    """An objection stops the notice until it is resolved."""
    objection_id = uuid.uuid4()
    center = await transition(
        session,
        center_id=center_id,
        action=Action.RAISE_OBJECTION,
        on=raised_on,
        date_field="body.raised_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        window=_notice_period,
        details={"objection_id": str(objection_id), "raised_by": raised_by},
        reason=summary,
        event_extra={"objection_id": objection_id, "summary": summary},
    )
    objection = await store.add_objection(
        session,
        {
            "id": objection_id,
            "center_id": center_id,
            "summary": summary,
            "raised_by": raised_by,
            "raised_on": raised_on,
            "recorded_by": principal.subject,
        },
    )
    return center, objection


async def resolve_objection(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    objection_id: uuid.UUID,
    upheld: bool,
    note: str,
    resolved_on: date,
    if_match: str | None,
) -> CenterRecord:
    """Upheld rejects the application; dismissed returns it to the notice (restarted from the dismissal where the
    policy data says so)."""
    await load(session, principal=principal, center_id=center_id)
    objection = await store.get_objection(session, center_id=center_id, objection_id=objection_id)
    if objection is None:
        raise NotFound("objection", objection_id)
    if objection.status != "open":
        raise Conflict("objection-resolved", f"objection {objection_id} was already {objection.status}")
    outcome = "upheld" if upheld else "dismissed"

    def reopen_notice(center: CenterRecord) -> Details:
        if upheld or center.notice_starts_on is None:
            return {}
        ends_on = lifecycle.public_notice_end(
            jurisdiction_of_district(center.district), center.notice_starts_on, last_dismissal=resolved_on
        )
        return {"notice_ends_on": ends_on}

    center = await transition(
        session,
        center_id=center_id,
        action=Action.RESOLVE_OBJECTION,
        on=resolved_on,
        date_field="body.resolved_on",
        outcome=outcome,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=reopen_notice,
        reason=f"objection upheld: {note}" if upheld else None,
        details={"objection_id": str(objection_id), "note": note},
    )
    await store.resolve_objection(
        session,
        objection_id=objection_id,
        values={
            "status": outcome,
            "resolution_note": note,
            "resolved_on": resolved_on,
            "resolved_by": principal.subject,
        },
    )
    return center
