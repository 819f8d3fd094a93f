"""Queries of the log of received events (also the webhook bodies: the CloudEvent as it arrived)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import deferred
from notification.store.tables import received_events


async def record(
    session: AsyncSession, *, event_id: uuid.UUID, event_type: str, subject: str | None, payload: dict[str, Any]
) -> None:
    """Logged when the transaction commits (with the other events of its batch, in one statement)."""
    row = {"event_id": event_id, "event_type": event_type, "subject": subject, "payload": payload}
    await deferred.insert(session, _RECORD, [row])


_RECORD = insert(received_events).on_conflict_do_nothing()
