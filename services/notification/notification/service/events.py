"""The log of events this service received."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import received


async def received_events(
    session: AsyncSession,
    *,
    event_type: str | None,
    subject: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[received.ReceivedRecord]:
    """The log of events this service received, newest first (a page after `after`)."""
    return await received.newest(session, event_type=event_type, subject=subject, after=after, limit=limit)
