"""The queries behind the operations API (tic_shared/ops_api.py): dead letters and the outbox's lag."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    id: int
    consumer: str
    stream: str
    stream_seq: int | None
    subject: str
    event_id: uuid.UUID | None
    event_type: str | None
    payload: str
    error: str
    attempts: int
    created_at: datetime
    replayed_at: datetime | None
    replay_error: str | None

    @classmethod
    def of(cls, row: Any) -> DeadLetterRecord:
        return cls(**row._mapping)


@dataclass(frozen=True, slots=True)
class OutboxLag:
    pending: int
    oldest_pending_at: datetime | None
    published: int


async def list_dead_letters(
    session: AsyncSession,
    dead_letters: Table,
    *,
    state: Literal["open", "replayed", "all"],
    before_id: int | None,
    limit: int,
) -> list[DeadLetterRecord]:
    """Newest first; `limit` rows at most (ask one more to learn whether another page follows)."""
    dl = dead_letters.c
    query = select(dead_letters).order_by(dl.id.desc()).limit(limit)
    if state == "open":
        query = query.where(dl.replayed_at.is_(None))
    elif state == "replayed":
        query = query.where(dl.replayed_at.is_not(None))
    if before_id is not None:
        query = query.where(dl.id < before_id)
    return [DeadLetterRecord.of(row) for row in (await session.execute(query)).all()]


async def get_dead_letter(session: AsyncSession, dead_letters: Table, dead_letter_id: int) -> DeadLetterRecord | None:
    row = (await session.execute(select(dead_letters).where(dead_letters.c.id == dead_letter_id))).first()
    return DeadLetterRecord.of(row) if row is not None else None


async def outbox_lag(session: AsyncSession, outbox: Table) -> OutboxLag:
    o = outbox.c
    pending, oldest = (
        await session.execute(select(func.count(), func.min(o.created_at)).where(o.published_at.is_(None)))
    ).one()
    published = (await session.execute(select(func.count()).where(o.published_at.is_not(None)))).scalar_one()
    return OutboxLag(pending=int(pending), oldest_pending_at=oldest, published=int(published))
