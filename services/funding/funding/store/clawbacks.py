"""Queries of the clawbacks ordered when a center ends, their repayment and their reversal."""

import uuid
from typing import Any

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from funding.store.centers import within
from funding.store.records import ClawbackRecord, Located, LocatedClawback
from funding.store.tables import centers, clawbacks
from tic_shared.reach import Reach


async def insert_clawback(session: AsyncSession, *, values: dict[str, Any]) -> ClawbackRecord | None:
    """Order a clawback; None when the center already has a live one."""
    result = await session.execute(
        insert(clawbacks)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[clawbacks.c.center_id], index_where=text("status <> 'reversed'"))
        .returning(clawbacks)
    )
    return ClawbackRecord.first(result)


async def clawback_of(session: AsyncSession, *, center_id: uuid.UUID, lock: bool = False) -> ClawbackRecord | None:
    """The center's live clawback (not reversed), if one was ordered."""
    query = select(clawbacks).where(clawbacks.c.center_id == center_id, clawbacks.c.status != "reversed")
    return ClawbackRecord.first(await session.execute(query.with_for_update() if lock else query))


async def reverse_clawback(session: AsyncSession, *, clawback_id: uuid.UUID, event_id: uuid.UUID) -> ClawbackRecord:
    result = await session.execute(
        update(clawbacks)
        .where(clawbacks.c.clawback_id == clawback_id)
        .values(
            status="reversed",
            reversed_by_event_id=event_id,
            reversed_at=func.now(),
            version=clawbacks.c.version + 1,
        )
        .returning(clawbacks)
    )
    return ClawbackRecord.of(result.one())


async def update_clawback(session: AsyncSession, *, clawback_id: uuid.UUID, values: dict[str, Any]) -> ClawbackRecord:
    k = clawbacks.c
    result = await session.execute(
        update(clawbacks)
        .where(k.clawback_id == clawback_id)
        .values(**values, version=k.version + 1)
        .returning(clawbacks)
    )
    return ClawbackRecord.of(result.one())


def _located(reach: Reach) -> Select[Any]:
    return (
        select(clawbacks, centers.c.district)
        .join(centers, centers.c.center_id == clawbacks.c.center_id)
        .where(within(reach))
    )


async def located_clawback(
    session: AsyncSession, *, reach: Reach, clawback_id: uuid.UUID, lock: bool = False
) -> LocatedClawback | None:
    query = _located(reach).where(clawbacks.c.clawback_id == clawback_id)
    if lock:
        query = query.with_for_update(of=clawbacks)
    return Located.first(ClawbackRecord, await session.execute(query))


async def list_clawbacks(
    session: AsyncSession,
    *,
    reach: Reach,
    status: str | None,
    district: str | None,
    after: int | None,
    limit: int,
) -> list[LocatedClawback]:
    k = clawbacks.c
    query = _located(reach).order_by(k.n).limit(limit + 1)
    if status:
        query = query.where(k.status == status)
    if district:
        query = query.where(centers.c.district == district)
    if after is not None:
        query = query.where(k.n > after)
    return Located.all(ClawbackRecord, await session.execute(query))
