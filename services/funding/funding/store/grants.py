"""Queries of the grants: opened, calculated, approved, disbursed or stopped, per center, policy and year."""

import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.grants import LIVE_STATUSES, OPEN_STATUSES, GrantStatus
from funding.store.centers import within
from funding.store.records import GrantRecord, Located, LocatedGrant
from funding.store.tables import centers, grants
from tic_shared.db import DriverQuery, bound, fetch_row_in
from tic_shared.reach import Reach


async def insert_grant(session: AsyncSession, *, values: dict[str, Any]) -> GrantRecord | None:
    """Open a grant; None when the center already has it (same policy and year, or same award). Every approval
    opens one as its event is consumed: the statement runs on the driver, in the session's transaction."""
    row = await fetch_row_in(session, _opening(tuple(sorted(values))), values)
    return None if row is None else GrantRecord.of_mapping(row)


@cache
def _opening(names: tuple[str, ...]) -> DriverQuery:
    """The insert of a grant giving `names`, built once for each such set (the consumers open grants of a few)."""
    return DriverQuery(insert(grants).values(bound(grants, names)).on_conflict_do_nothing().returning(*grants.c))


async def get_grant(session: AsyncSession, *, grant_id: uuid.UUID, lock: bool = False) -> GrantRecord | None:
    query = select(grants).where(grants.c.grant_id == grant_id)
    if lock:
        query = query.with_for_update()
    return GrantRecord.first(await session.execute(query))


async def update_grant(session: AsyncSession, *, grant_id: uuid.UUID, values: dict[str, Any]) -> GrantRecord:
    result = await session.execute(
        update(grants)
        .where(grants.c.grant_id == grant_id)
        .values(**values, version=grants.c.version + 1)
        .returning(grants)
    )
    return GrantRecord.of(result.one())


async def other_live_grants(session: AsyncSession, *, grant: GrantRecord) -> list[GrantRecord]:
    """The center's other grants under the same policy that carry an amount (for the cap and once-only rules)."""
    g = grants.c
    query = select(grants).where(
        g.center_id == grant.center_id,
        g.policy_code == grant.policy_code,
        g.grant_id != grant.grant_id,
        g.status.in_([s.value for s in LIVE_STATUSES]),
    )
    return GrantRecord.all(await session.execute(query))


async def grants_under_policy(
    session: AsyncSession, *, center_ids: Sequence[uuid.UUID], policy_code: str
) -> list[GrantRecord]:
    g = grants.c
    query = select(grants).where(g.center_id.in_(center_ids), g.policy_code == policy_code)
    return GrantRecord.all(await session.execute(query))


async def stop_open_grants(session: AsyncSession, *, center_id: uuid.UUID) -> None:
    g = grants.c
    await session.execute(
        update(grants)
        .where(g.center_id == center_id, g.status.in_([s.value for s in OPEN_STATUSES]))
        .values(status=GrantStatus.STOPPED.value, stopped_from=g.status, stopped_at=func.now(), version=g.version + 1)
    )


async def restore_stopped_grants(session: AsyncSession, *, center_id: uuid.UUID) -> None:
    """Grants stopped by an ending that was reversed go back to where they were; an approval lapsed with the
    ending, so an approved grant returns to calculated, to be approved again within the budget in force."""
    g = grants.c
    back = case((g.stopped_from == GrantStatus.APPROVED.value, GrantStatus.CALCULATED.value), else_=g.stopped_from)
    await session.execute(
        update(grants)
        .where(g.center_id == center_id, g.status == GrantStatus.STOPPED.value, g.stopped_from.is_not(None))
        .values(status=back, stopped_from=None, stopped_at=None, version=g.version + 1)
    )


async def lock_approved_amounts(session: AsyncSession, *, center_id: uuid.UUID) -> dict[tuple[str, int], int]:
    """The center's approved (not yet disbursed) grants, locked: their amounts per jurisdiction and budget year."""
    g = grants.c
    query = (
        select(g.jurisdiction, g.budget_year, g.amount_fen)
        .where(g.center_id == center_id, g.status == GrantStatus.APPROVED.value)
        .with_for_update()
    )
    amounts: dict[tuple[str, int], int] = {}
    for row in (await session.execute(query)).all():
        key = (row.jurisdiction, row.budget_year)
        amounts[key] = amounts.get(key, 0) + (row.amount_fen or 0)
    return amounts


def _located(reach: Reach) -> Select[Any]:
    return (
        select(grants, centers.c.district).join(centers, centers.c.center_id == grants.c.center_id).where(within(reach))
    )


async def located_grant(session: AsyncSession, *, reach: Reach, grant_id: uuid.UUID) -> LocatedGrant | None:
    return Located.first(GrantRecord, await session.execute(_located(reach).where(grants.c.grant_id == grant_id)))


async def list_grants(
    session: AsyncSession,
    *,
    reach: Reach,
    center_id: uuid.UUID | None = None,
    budget_year: int | None = None,
    funding_year: int | None = None,
    status: str | None = None,
    district: str | None = None,
    policy: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[LocatedGrant]:
    """The grants in reach, in the order they were opened; `limit` + 1 of them when a page is asked for."""
    g = grants.c
    query = _located(reach).order_by(g.n)
    if limit is not None:
        query = query.limit(limit + 1)
    if center_id is not None:
        query = query.where(g.center_id == center_id)
    if budget_year is not None:
        query = query.where(g.budget_year == budget_year)
    if funding_year is not None:
        query = query.where(g.funding_year == funding_year)
    if status:
        query = query.where(g.status == status)
    if district:
        query = query.where(centers.c.district == district)
    if policy:
        query = query.where(g.policy_code == policy)
    if after is not None:
        query = query.where(g.n > after)
    return Located.all(GrantRecord, await session.execute(query))
