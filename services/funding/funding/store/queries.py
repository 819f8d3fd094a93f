"""Every query of the funding schema."""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, false, func, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.grants import COMMITTED_STATUSES, LIVE_STATUSES, OPEN_STATUSES, GrantStatus
from funding.store.tables import LEDGER, budgets, centers, clawbacks, grades, grants, ledger_entries
from tic_shared import audit, projection
from tic_shared.auth import Principal

AnyRow = Row[*tuple[Any, ...]]


# ---- who sees which center ----


def visible(principal: Principal) -> ColumnElement[bool]:
    """The centers a caller may see: everything for bureau roles; its own center or district otherwise."""
    if principal.sees_everything:
        return true()
    reach: list[ColumnElement[bool]] = []
    if principal.has_role("center_user") and principal.center_id is not None:
        reach.append(centers.c.center_id == principal.center_id)
    if principal.has_role("district_officer") and principal.district:
        reach.append(centers.c.district == principal.district)
    return or_(*reach) if reach else false()


def can_see(principal: Principal, center: AnyRow) -> bool:
    if principal.sees_everything:
        return True
    if principal.has_role("center_user") and principal.center_id == center.center_id:
        return True
    return bool(principal.has_role("district_officer") and principal.district and principal.district == center.district)


# ---- the projections ----


async def center(session: AsyncSession, center_id: uuid.UUID, *, lock: bool = False) -> AnyRow | None:
    query = select(centers).where(centers.c.center_id == center_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


# What every registry event says of the center's state: applied only from an event newer than the last applied.
STATE_FIELDS = frozenset({"code", "tier", "status", "district", "jurisdiction", "sequence"})


async def upsert_center(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Apply a registry event to the projection, whatever order the events arrive in; True if it was the newest.

    The state fields follow the newest event; the facts only some events carry (the approval date, the lead unit's
    type, the name) are kept from whichever event carries them (`tic_shared.projection`).
    """
    row = (await session.execute(projection.upsert(centers, values, key="center_id", state=STATE_FIELDS))).one()
    return int(row.sequence) == values["sequence"]


async def list_centers(
    session: AsyncSession,
    principal: Principal,
    *,
    district: str | None,
    jurisdiction: str | None,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[AnyRow]:
    c = centers.c
    query = select(centers).where(visible(principal)).order_by(c.center_id).limit(limit + 1)
    if district:
        query = query.where(c.district == district)
    if jurisdiction:
        query = query.where(c.jurisdiction == jurisdiction)
    if status:
        query = query.where(c.status == status)
    if after is not None:
        query = query.where(c.center_id > after)
    return (await session.execute(query)).all()


async def centers_of(session: AsyncSession, jurisdiction: str, approved_by: date) -> Sequence[AnyRow]:
    c = centers.c
    query = (
        select(centers)
        .where(c.jurisdiction == jurisdiction, c.approved_on.is_not(None), c.approved_on <= approved_by)
        .order_by(c.center_id)
    )
    return (await session.execute(query)).all()


async def upsert_grade(session: AsyncSession, values: dict[str, Any]) -> None:
    """Keep a year's grade; a corrected result (a higher revision) supersedes it, an older one never does."""
    statement = insert(grades).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[grades.c.center_id, grades.c.year, grades.c.kind],
            set_={
                "grade": statement.excluded.grade,
                "evaluation_id": statement.excluded.evaluation_id,
                "revision": statement.excluded.revision,
                "updated_at": func.now(),
            },
            where=grades.c.revision <= statement.excluded.revision,
        )
    )


async def latest_annual_grade(session: AsyncSession, center_id: uuid.UUID) -> str | None:
    g = grades.c
    query = select(g.grade).where(g.center_id == center_id, g.kind == "annual").order_by(g.year.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def latest_annual_grades(session: AsyncSession, center_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    g = grades.c
    query = (
        select(g.center_id, g.grade)
        .where(g.center_id.in_(center_ids), g.kind == "annual")
        .order_by(g.center_id, g.year.desc())
        .ext(distinct_on(g.center_id))
    )
    return {row.center_id: row.grade for row in (await session.execute(query)).all()}


# ---- grants ----


async def insert_grant(session: AsyncSession, values: dict[str, Any]) -> AnyRow | None:
    """Open a grant; None when the center already has it (same policy and year, or same award)."""
    result = await session.execute(insert(grants).values(**values).on_conflict_do_nothing().returning(grants))
    return result.first()


async def grant(session: AsyncSession, grant_id: uuid.UUID, *, lock: bool = False) -> AnyRow | None:
    query = select(grants).where(grants.c.grant_id == grant_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def update_grant(session: AsyncSession, grant_id: uuid.UUID, values: dict[str, Any]) -> AnyRow:
    result = await session.execute(
        update(grants)
        .where(grants.c.grant_id == grant_id)
        .values(**values, version=grants.c.version + 1)
        .returning(grants)
    )
    return result.one()


async def other_live_grants(session: AsyncSession, grant_row: AnyRow) -> Sequence[AnyRow]:
    """The center's other grants under the same policy that carry an amount (for the cap and once-only rules)."""
    g = grants.c
    query = select(g.trigger, g.amount_fen, g.funding_year).where(
        g.center_id == grant_row.center_id,
        g.policy_code == grant_row.policy_code,
        g.grant_id != grant_row.grant_id,
        g.status.in_([s.value for s in LIVE_STATUSES]),
    )
    return (await session.execute(query)).all()


async def center_policy_grants(
    session: AsyncSession, center_ids: Sequence[uuid.UUID], policy_code: str
) -> Sequence[AnyRow]:
    g = grants.c
    query = select(grants).where(g.center_id.in_(center_ids), g.policy_code == policy_code)
    return (await session.execute(query)).all()


async def stop_open_grants(session: AsyncSession, center_id: uuid.UUID) -> Sequence[AnyRow]:
    g = grants.c
    result = await session.execute(
        update(grants)
        .where(g.center_id == center_id, g.status.in_([s.value for s in OPEN_STATUSES]))
        .values(status=GrantStatus.STOPPED.value, stopped_from=g.status, stopped_at=func.now(), version=g.version + 1)
        .returning(grants)
    )
    return result.all()


async def restore_stopped_grants(session: AsyncSession, center_id: uuid.UUID) -> Sequence[AnyRow]:
    """Grants stopped by an ending that was reversed go back to where they were; an approval lapsed with the
    ending, so an approved grant returns to calculated, to be approved again within the budget in force."""
    g = grants.c
    back = case((g.stopped_from == GrantStatus.APPROVED.value, GrantStatus.CALCULATED.value), else_=g.stopped_from)
    result = await session.execute(
        update(grants)
        .where(g.center_id == center_id, g.status == GrantStatus.STOPPED.value, g.stopped_from.is_not(None))
        .values(status=back, stopped_from=None, stopped_at=None, version=g.version + 1)
        .returning(grants)
    )
    return result.all()


async def lock_approved_amounts(session: AsyncSession, center_id: uuid.UUID) -> dict[tuple[str, int], int]:
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


def _grant_query(principal: Principal) -> Any:
    return (
        select(grants, centers.c.district)
        .join(centers, centers.c.center_id == grants.c.center_id)
        .where(visible(principal))
    )


async def visible_grant(session: AsyncSession, principal: Principal, grant_id: uuid.UUID) -> AnyRow | None:
    return (await session.execute(_grant_query(principal).where(grants.c.grant_id == grant_id))).first()


async def list_grants(
    session: AsyncSession,
    principal: Principal,
    *,
    center_id: uuid.UUID | None = None,
    budget_year: int | None = None,
    funding_year: int | None = None,
    status: str | None = None,
    district: str | None = None,
    policy: str | None = None,
    after: int | None = None,
    limit: int,
) -> Sequence[AnyRow]:
    g = grants.c
    query = _grant_query(principal).order_by(g.n).limit(limit + 1)
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
    return (await session.execute(query)).all()


def committed_fen_query(jurisdiction: str, year: int, statuses: Sequence[str]) -> Select[Any]:
    g = grants.c
    return select(func.coalesce(func.sum(g.amount_fen), 0)).where(
        g.jurisdiction == jurisdiction, g.budget_year == year, g.status.in_(statuses)
    )


async def committed_fen(
    session: AsyncSession, jurisdiction: str, year: int, statuses: Sequence[str], principal: Principal | None = None
) -> int:
    """The sum of the year's grants in `statuses`; with a row-limited `principal`, of the grants it may see."""
    query = committed_fen_query(jurisdiction, year, statuses)
    if principal is not None and not principal.sees_everything:
        query = query.join(centers, centers.c.center_id == grants.c.center_id).where(visible(principal))
    return int((await session.execute(query)).scalar_one())


async def totals(session: AsyncSession, principal: Principal, year: int | None) -> Sequence[AnyRow]:
    """Per jurisdiction and budget year: the amounts of the visible grants by stage."""
    g = grants.c

    def amount_in(*statuses: GrantStatus) -> Any:
        return func.coalesce(func.sum(case((g.status.in_([s.value for s in statuses]), g.amount_fen), else_=0)), 0)

    query = (
        select(
            g.jurisdiction,
            g.budget_year,
            func.count().label("grants"),
            amount_in(GrantStatus.CALCULATED).label("calculated_fen"),
            amount_in(GrantStatus.APPROVED, GrantStatus.DISBURSED).label("committed_fen"),
            amount_in(GrantStatus.DISBURSED).label("disbursed_fen"),
        )
        .join(centers, centers.c.center_id == g.center_id)
        .where(visible(principal))
        .group_by(g.jurisdiction, g.budget_year)
        .order_by(g.jurisdiction, g.budget_year)
    )
    if year is not None:
        query = query.where(g.budget_year == year)
    return (await session.execute(query)).all()


async def granted_by_center(
    session: AsyncSession, principal: Principal, *, district: str | None, after: uuid.UUID | None, limit: int
) -> Sequence[AnyRow]:
    """Per visible center and policy: what its live grants add up to (for the total cap)."""
    g = grants.c
    query = (
        select(
            g.center_id,
            g.policy_code,
            centers.c.district,
            func.coalesce(
                func.sum(case((g.status.in_([s.value for s in LIVE_STATUSES]), g.amount_fen), else_=0)), 0
            ).label("granted_fen"),
            func.coalesce(func.sum(case((g.status == GrantStatus.DISBURSED.value, g.amount_fen), else_=0)), 0).label(
                "disbursed_fen"
            ),
        )
        .join(centers, centers.c.center_id == g.center_id)
        .where(visible(principal), g.trigger.is_(None))
        .group_by(g.center_id, g.policy_code, centers.c.district)
        .order_by(g.center_id, g.policy_code)
        .limit(limit + 1)
    )
    if district:
        query = query.where(centers.c.district == district)
    if after is not None:
        query = query.where(g.center_id > after)
    return (await session.execute(query)).all()


# ---- budgets ----


async def budget(session: AsyncSession, jurisdiction: str, year: int, *, lock: bool = False) -> AnyRow | None:
    query = select(budgets).where(budgets.c.jurisdiction == jurisdiction, budgets.c.year == year)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def list_budgets(session: AsyncSession, *, jurisdiction: str | None, year: int | None) -> Sequence[AnyRow]:
    query = select(budgets).order_by(budgets.c.year, budgets.c.jurisdiction)
    if jurisdiction:
        query = query.where(budgets.c.jurisdiction == jurisdiction)
    if year is not None:
        query = query.where(budgets.c.year == year)
    return (await session.execute(query)).all()


async def put_budget(session: AsyncSession, *, jurisdiction: str, year: int, budget_fen: int, by: str) -> AnyRow:
    """Set a budget; a new one starts from what the year's grants already commit (call under `hold_budget_year`
    exclusively, so that no approval or stop is in flight meanwhile)."""
    committed = committed_fen_query(jurisdiction, year, [s.value for s in COMMITTED_STATUSES]).scalar_subquery()
    statement = insert(budgets).values(
        jurisdiction=jurisdiction, year=year, budget_fen=budget_fen, committed_fen=committed, updated_by=by
    )
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[budgets.c.jurisdiction, budgets.c.year],
            set_={
                "budget_fen": statement.excluded.budget_fen,
                "updated_by": statement.excluded.updated_by,
                "updated_at": func.now(),
                "version": budgets.c.version + 1,
            },
        ).returning(budgets)
    )
    return result.one()


async def hold_budget_year(session: AsyncSession, jurisdiction: str, year: int, *, exclusive: bool = False) -> None:
    """Until the transaction ends: shared by whatever changes the year's commitments (approve, stop), exclusive
    for setting its budget. A budget created meanwhile thus counts every commitment exactly once."""
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    await session.execute(select(lock(func.hashtext(f"tic-funding-budget:{jurisdiction}"), year)))


async def add_to_committed(session: AsyncSession, jurisdiction: str, year: int, amount_fen: int) -> None:
    """Move the budget's running committed total (if the year has a budget); negative to release."""
    await session.execute(
        update(budgets)
        .where(budgets.c.jurisdiction == jurisdiction, budgets.c.year == year)
        .values(committed_fen=budgets.c.committed_fen + amount_fen)
    )


# ---- the ledger ----


async def add_entry(session: AsyncSession, values: dict[str, Any]) -> AnyRow:
    """Append to the center's ledger chain (`tic audit verify`)."""
    entry_id = uuid.uuid4()
    row = {name: None for name in LEDGER.content} | {"recorded_at": datetime.now(UTC)} | values | {"entry_id": entry_id}
    await audit.append(session, LEDGER, row)
    return (await session.execute(select(ledger_entries).where(ledger_entries.c.entry_id == entry_id))).one()


async def ledger_sums(session: AsyncSession, center_id: uuid.UUID) -> dict[str, int]:
    e = ledger_entries.c

    def total(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, e.amount_fen), else_=0)), 0)

    query = select(
        total(e.kind == "disbursement").label("disbursed"),
        total(and_(e.kind == "expenditure", e.compliant.is_(True))).label("compliant"),
        total(and_(e.kind == "expenditure", e.compliant.is_(False))).label("non_compliant"),
        total(e.kind == "repayment").label("repaid"),
    ).where(e.center_id == center_id)
    row = (await session.execute(query)).one()
    return {key: int(value) for key, value in row._mapping.items()}


async def ledger_page(
    session: AsyncSession, center_id: uuid.UUID, *, after: int | None, limit: int
) -> Sequence[AnyRow]:
    e = ledger_entries.c
    query = select(ledger_entries).where(e.center_id == center_id).order_by(e.n).limit(limit + 1)
    if after is not None:
        query = query.where(e.n > after)
    return (await session.execute(query)).all()


# ---- clawbacks ----


async def insert_clawback(session: AsyncSession, values: dict[str, Any]) -> AnyRow | None:
    result = await session.execute(
        insert(clawbacks)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[clawbacks.c.center_id], index_where=text("status <> 'reversed'"))
        .returning(clawbacks)
    )
    return result.first()


async def clawback_of(session: AsyncSession, center_id: uuid.UUID, *, lock: bool = False) -> AnyRow | None:
    """The center's live clawback (not reversed), if one was ordered."""
    query = select(clawbacks).where(clawbacks.c.center_id == center_id, clawbacks.c.status != "reversed")
    return (await session.execute(query.with_for_update() if lock else query)).first()


async def reverse_clawback(session: AsyncSession, clawback_id: uuid.UUID, event_id: uuid.UUID) -> AnyRow:
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
    return result.one()


async def visible_clawback(
    session: AsyncSession, principal: Principal, clawback_id: uuid.UUID, *, lock: bool = False
) -> AnyRow | None:
    query = (
        select(clawbacks, centers.c.district)
        .join(centers, centers.c.center_id == clawbacks.c.center_id)
        .where(clawbacks.c.clawback_id == clawback_id, visible(principal))
    )
    if lock:
        query = query.with_for_update(of=clawbacks)
    return (await session.execute(query)).first()


async def list_clawbacks(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    district: str | None,
    after: int | None,
    limit: int,
) -> Sequence[AnyRow]:
    k = clawbacks.c
    query = (
        select(clawbacks, centers.c.district)
        .join(centers, centers.c.center_id == k.center_id)
        .where(visible(principal))
        .order_by(k.n)
        .limit(limit + 1)
    )
    if status:
        query = query.where(k.status == status)
    if district:
        query = query.where(centers.c.district == district)
    if after is not None:
        query = query.where(k.n > after)
    return (await session.execute(query)).all()


async def update_clawback(session: AsyncSession, clawback_id: uuid.UUID, values: dict[str, Any]) -> AnyRow:
    k = clawbacks.c
    result = await session.execute(
        update(clawbacks)
        .where(k.clawback_id == clawback_id)
        .values(**values, version=k.version + 1)
        .returning(clawbacks)
    )
    return result.one()
