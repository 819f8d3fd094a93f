"""Queries of the yearly program budgets per jurisdiction, and what the year's grants draw on them."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.grants import COMMITTED_STATUSES, GrantStatus
from funding.store.centers import within
from funding.store.records import BudgetRecord, YearTotals
from funding.store.tables import budgets, centers, grants
from tic_shared.reach import Reach


async def get_budget(session: AsyncSession, *, jurisdiction: str, year: int, lock: bool = False) -> BudgetRecord | None:
    query = select(budgets).where(budgets.c.jurisdiction == jurisdiction, budgets.c.year == year)
    if lock:
        query = query.with_for_update()
    return BudgetRecord.first(await session.execute(query))


async def list_budgets(session: AsyncSession, *, jurisdiction: str | None, year: int | None) -> list[BudgetRecord]:
    query = select(budgets).order_by(budgets.c.year, budgets.c.jurisdiction)
    if jurisdiction:
        query = query.where(budgets.c.jurisdiction == jurisdiction)
    if year is not None:
        query = query.where(budgets.c.year == year)
    return BudgetRecord.all(await session.execute(query))


def _drawn_query(jurisdiction: str, year: int, statuses: Sequence[GrantStatus]) -> Select[Any]:
    g = grants.c
    return select(func.coalesce(func.sum(g.amount_fen), 0)).where(
        g.jurisdiction == jurisdiction, g.budget_year == year, g.status.in_([s.value for s in statuses])
    )


async def drawn_fen(
    session: AsyncSession, *, reach: Reach, jurisdiction: str, year: int, statuses: Sequence[GrantStatus]
) -> int:
    """The sum of the year's grants in `statuses` that the reach covers."""
    query = _drawn_query(jurisdiction, year, statuses)
    if not reach.everything:
        query = query.join(centers, centers.c.center_id == grants.c.center_id).where(within(reach))
    return int((await session.execute(query)).scalar_one())


async def put_budget(session: AsyncSession, *, jurisdiction: str, year: int, budget_fen: int, by: str) -> BudgetRecord:
    """Set a budget; a new one starts from what the year's grants already commit (call under `hold_budget_year`
    exclusively, so that no approval or stop is in flight meanwhile)."""
    committed = _drawn_query(jurisdiction, year, COMMITTED_STATUSES).scalar_subquery()
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
    return BudgetRecord.of(result.one())


async def hold_budget_year(session: AsyncSession, *, jurisdiction: str, year: int, exclusive: bool = False) -> None:
    """Until the transaction ends: shared by whatever changes the year's commitments (approve, stop), exclusive
    for setting its budget. A budget created meanwhile thus counts every commitment exactly once."""
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    await session.execute(select(lock(func.hashtext(f"tic-funding-budget:{jurisdiction}"), year)))


async def add_to_committed(session: AsyncSession, *, jurisdiction: str, year: int, amount_fen: int) -> None:
    """Move the budget's running committed total (if the year has a budget); negative to release."""
    await session.execute(
        update(budgets)
        .where(budgets.c.jurisdiction == jurisdiction, budgets.c.year == year)
        .values(committed_fen=budgets.c.committed_fen + amount_fen)
    )


async def year_totals(session: AsyncSession, *, reach: Reach, year: int | None) -> list[YearTotals]:
    """Per jurisdiction and budget year: the amounts of the grants in reach, by stage."""
    g = grants.c

    def amount_in(*statuses: GrantStatus) -> Any:
        return func.coalesce(func.sum(case((g.status.in_([s.value for s in statuses]), g.amount_fen), else_=0)), 0)

    query = (
        select(
            g.jurisdiction,
            g.budget_year,
            func.count().label("grants"),
            amount_in(GrantStatus.CALCULATED).label("calculated_fen"),
            amount_in(*COMMITTED_STATUSES).label("committed_fen"),
            amount_in(GrantStatus.DISBURSED).label("disbursed_fen"),
        )
        .join(centers, centers.c.center_id == g.center_id)
        .where(within(reach))
        .group_by(g.jurisdiction, g.budget_year)
        .order_by(g.jurisdiction, g.budget_year)
    )
    if year is not None:
        query = query.where(g.budget_year == year)
    return YearTotals.all(await session.execute(query))
