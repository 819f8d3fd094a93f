"""Queries of the responsibility letters (建设责任书): one row of adjustments per center."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store.records import LetterRecord
from evaluation.store.tables import letters


async def get_letter(session: AsyncSession, *, center_id: uuid.UUID) -> LetterRecord | None:
    row = (await session.execute(select(letters).where(letters.c.center_id == center_id))).first()
    return None if row is None else LetterRecord.of(row)


async def letters_by_center(session: AsyncSession, *, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, LetterRecord]:
    rows = (await session.execute(select(letters).where(letters.c.center_id.in_(list(ids))))).all()
    return {row.center_id: LetterRecord.of(row) for row in rows}


async def upsert_letter(session: AsyncSession, *, values: dict[str, Any]) -> LetterRecord:
    """Record a center's letter, the next version of it when one exists."""
    statement = insert(letters).values(**values, version=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[letters.c.center_id],
        set_={
            **{key: statement.excluded[key] for key in values if key != "center_id"},
            "version": letters.c.version + 1,
            "updated_at": func.now(),
        },
    ).returning(*letters.c)
    return LetterRecord.of((await session.execute(upsert)).one())
