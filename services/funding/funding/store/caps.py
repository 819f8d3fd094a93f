"""Queries of what each center's grants add up to under a policy, for the policy's total cap."""

import uuid
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.grants import LIVE_STATUSES, GrantStatus
from funding.store.centers import within
from funding.store.records import GrantedUnderPolicy
from funding.store.tables import centers, grants
from tic_shared.reach import Reach


def _granted(reach: Reach) -> Select[Any]:
    g = grants.c

    def amount_in(*statuses: GrantStatus) -> Any:
        return func.coalesce(func.sum(case((g.status.in_([s.value for s in statuses]), g.amount_fen), else_=0)), 0)

    return (
        select(
            g.center_id,
            g.policy_code.label("policy"),
            centers.c.district,
            centers.c.status.label("center_status"),
            amount_in(*LIVE_STATUSES).label("granted_fen"),
            amount_in(GrantStatus.DISBURSED).label("disbursed_fen"),
        )
        .join(centers, centers.c.center_id == g.center_id)
        # The total cap counts the yearly grants; a one-off award is outside it.
        .where(within(reach), g.trigger.is_(None))
        .group_by(g.center_id, g.policy_code, centers.c.district, centers.c.status)
        .order_by(g.center_id, g.policy_code)
    )


async def granted_page(
    session: AsyncSession, *, reach: Reach, district: str | None, after: uuid.UUID | None, limit: int
) -> list[GrantedUnderPolicy]:
    """Per center in reach and policy, in center order: `limit` + 1 rows after the center `after`."""
    query = _granted(reach).limit(limit + 1)
    if district:
        query = query.where(centers.c.district == district)
    if after is not None:
        query = query.where(grants.c.center_id > after)
    return GrantedUnderPolicy.all(await session.execute(query))


async def granted_to_center(session: AsyncSession, *, reach: Reach, center_id: uuid.UUID) -> list[GrantedUnderPolicy]:
    """Per policy: what one center's grants add up to."""
    query = _granted(reach).where(grants.c.center_id == center_id)
    return GrantedUnderPolicy.all(await session.execute(query))
