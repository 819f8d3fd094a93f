"""Queries of the log of received events (also the webhook bodies: the CloudEvent as it arrived)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import deferred
from notification.store.records import ReceivedRecord
from notification.store.tables import received_events


async def record(
    session: AsyncSession, *, event_id: uuid.UUID, event_type: str, subject: str | None, payload: dict[str, Any]
) -> None:
    """Logged when the transaction commits (with the other events of its batch, in one statement)."""
    row = {"event_id": event_id, "event_type": event_type, "subject": subject, "payload": payload}
    await deferred.insert_rows(session, _RECORD, [row])


_RECORD = deferred.Into(received_events, skip_conflicts=True)


async def newest(
    session: AsyncSession,
    *,
    event_type: str | None,
    subject: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ReceivedRecord]:
    """Newest first, then by event id: a batch received in one transaction shares its `received_at`, so the
    page boundary is the pair, or a page would skip the rest of a batch that straddles it."""
    r = received_events.c
    query = select(received_events).order_by(r.received_at.desc(), r.event_id).limit(limit)
    if event_type:
        query = query.where(r.event_type == event_type)
    if subject:
        query = query.where(r.subject == subject)
    if after is not None:
        at, event_id = after
        query = query.where(or_(r.received_at < at, and_(r.received_at == at, r.event_id > event_id)))
    return [ReceivedRecord.of(row) for row in (await session.execute(query)).all()]
