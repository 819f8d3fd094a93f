"""Queries of the center projection: applying a registry event, reading the centers a caller may see."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store.records import CenterRecord
from evaluation.store.tables import centers
from tic_shared import projection
from tic_shared.reach import Reach

CENTER_STATE = frozenset({"code", "tier", "status", "district", "last_sequence"})


def in_reach(reach: Reach) -> ColumnElement[bool]:
    """A center user's own center, a district officer's district; an expert sees no center as such."""
    return reach.where(center_id=centers.c.center_id, district=centers.c.district)


async def project_center(session: AsyncSession, *, values: dict[str, Any]) -> bool:
    """Apply one registry event's values (`tic_shared.projection`); True when it was the newest."""
    row = await projection.apply(
        session, centers, values, key="center_id", state=CENTER_STATE, sequence="last_sequence"
    )
    return int(row["last_sequence"]) == values["last_sequence"]


async def get_center(session: AsyncSession, *, reach: Reach, center_id: uuid.UUID) -> CenterRecord | None:
    query = select(centers).where(centers.c.center_id == center_id, in_reach(reach))
    row = (await session.execute(query)).first()
    return None if row is None else CenterRecord.of(row)


async def list_centers(
    session: AsyncSession,
    *,
    reach: Reach,
    status: str | None,
    district: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[CenterRecord]:
    query = select(centers).where(in_reach(reach)).order_by(centers.c.center_id).limit(limit)
    if status:
        query = query.where(centers.c.status == status)
    if district:
        query = query.where(centers.c.district == district)
    if after is not None:
        query = query.where(centers.c.center_id > after)
    return [CenterRecord.of(row) for row in (await session.execute(query)).all()]


async def eligible_centers(session: AsyncSession, *, statuses: Iterable[str]) -> list[CenterRecord]:
    """The approved centers in one of `statuses`, by id."""
    query = select(centers).where(centers.c.status.in_(list(statuses)), centers.c.approved_on.is_not(None))
    return [CenterRecord.of(row) for row in (await session.execute(query.order_by(centers.c.center_id))).all()]


async def centers_by_id(session: AsyncSession, *, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, CenterRecord]:
    rows = (await session.execute(select(centers).where(centers.c.center_id.in_(list(ids))))).all()
    return {row.center_id: CenterRecord.of(row) for row in rows}
