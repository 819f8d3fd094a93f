"""The events this service has received, newest first."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from notification.service import events
from tic_shared.auth import Principal, scoped
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["events"])


class ReceivedEvent(BaseModel):
    event_id: str
    event_type: str
    subject: str | None
    received_at: datetime
    payload: dict[str, Any]


@router.get("/received-events", response_model=Page[ReceivedEvent], summary="Events received, newest first")
async def list_received_events(
    session: SessionDep,
    _: Annotated[Principal, scoped("notification:read", "ops:read")],
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    subject: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> Page[ReceivedEvent]:
    after = None
    if cursor:
        after = (cursor_field(cursor, "at", datetime.fromisoformat), cursor_field(cursor, "id", uuid.UUID))
    rows = await events.received_events(session, event_type=event_type, subject=subject, after=after, limit=limit + 1)
    items = [
        ReceivedEvent(
            event_id=str(row.event_id),
            event_type=row.event_type,
            subject=row.subject,
            received_at=row.received_at,
            payload=row.payload,
        )
        for row in rows[:limit]
    ]
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor({"at": last.received_at.isoformat(), "id": str(last.event_id)}) if last else None
    return Page[ReceivedEvent](items=items, next_cursor=next_cursor)
