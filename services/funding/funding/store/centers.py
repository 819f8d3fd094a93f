"""Queries of the centers funding projects from registry events, and who may see which (the rows' reach)."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from funding.store.records import CenterRecord
from funding.store.tables import centers
from tic_shared import projection
from tic_shared.reach import Reach

# What every registry event says of the center's state: applied only from an event newer than the last applied.
STATE_FIELDS = frozenset({"code", "tier", "status", "district", "jurisdiction", "sequence"})


def within(reach: Reach) -> ColumnElement[bool]:
    """The centers (and so their grants, ledgers and clawbacks) a caller may see."""
    return reach.where(district=centers.c.district, center_id=centers.c.center_id)


async def get_center(session: AsyncSession, *, center_id: uuid.UUID, lock: bool = False) -> CenterRecord | None:
    query = select(centers).where(centers.c.center_id == center_id)
    if lock:
        query = query.with_for_update()
    return CenterRecord.first(await session.execute(query))


async def upsert_center(session: AsyncSession, *, values: dict[str, Any]) -> tuple[CenterRecord, bool]:
    """Apply a registry event to the projection, whatever order the events arrive in: the center as it now stands
    (its row locked until the transaction ends, as any upsert locks it), and whether the event was the newest.

    The state fields follow the newest event; the facts only some events carry (the approval date, the lead unit's
    type, the name) are kept from whichever event carries them (`tic_shared.projection`).
    """
    row = await projection.apply(session, centers, values, key="center_id", state=STATE_FIELDS)
    return CenterRecord.of_mapping(row), int(row["sequence"]) == values["sequence"]


async def list_centers(
    session: AsyncSession,
    *,
    reach: Reach,
    district: str | None,
    jurisdiction: str | None,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[CenterRecord]:
    c = centers.c
    query = select(centers).where(within(reach)).order_by(c.center_id).limit(limit + 1)
    if district:
        query = query.where(c.district == district)
    if jurisdiction:
        query = query.where(c.jurisdiction == jurisdiction)
    if status:
        query = query.where(c.status == status)
    if after is not None:
        query = query.where(c.center_id > after)
    return CenterRecord.all(await session.execute(query))


async def approved_centers(session: AsyncSession, *, jurisdiction: str, by: date) -> list[CenterRecord]:
    """The centers of a jurisdiction approved on or before `by`."""
    c = centers.c
    query = (
        select(centers)
        .where(c.jurisdiction == jurisdiction, c.approved_on.is_not(None), c.approved_on <= by)
        .order_by(c.center_id)
    )
    return CenterRecord.all(await session.execute(query))
