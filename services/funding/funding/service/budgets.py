"""Yearly program budgets per jurisdiction: setting them, what grants commit against them, and the totals."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.grants import COMMITTED_STATUSES, GrantStatus
from funding.domain.ledger import BudgetExceededError, check_budget
from funding.service.policies import rules
from funding.store import budgets
from funding.store.records import BudgetRecord, GrantRecord, YearTotals
from funding.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.db import Database
from tic_shared.events.catalog import BudgetExceeded
from tic_shared.http import check_if_match, etag_for
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, NotFound
from tic_shared.reach import Reach


@dataclass(frozen=True)
class BudgetStanding:
    """A budget against what the grants in the caller's reach draw on it."""

    budget: BudgetRecord
    committed_fen: int
    disbursed_fen: int
    # None for a caller who does not see every grant: the remainder would give the city's total away.
    remaining_fen: int | None


@dataclass(frozen=True)
class YearStanding:
    """A budget year's grants by stage, against the budget if there is one."""

    totals: YearTotals
    budget_fen: int | None
    remaining_fen: int | None
    within_budget: bool | None


def budget_etag(standing: BudgetStanding) -> str:
    return _etag(standing.budget)


def _etag(budget: BudgetRecord) -> str:
    return etag_for("budget", budget.jurisdiction, budget.year, budget.version)


async def _standing(session: AsyncSession, *, reach: Reach, budget: BudgetRecord) -> BudgetStanding:
    # A district officer or a center sees what its own grants draw on the budget, never the city's total.
    jurisdiction, year = budget.jurisdiction, budget.year
    committed = await budgets.drawn_fen(
        session, reach=reach, jurisdiction=jurisdiction, year=year, statuses=COMMITTED_STATUSES
    )
    disbursed = await budgets.drawn_fen(
        session, reach=reach, jurisdiction=jurisdiction, year=year, statuses=[GrantStatus.DISBURSED]
    )
    remaining = budget.budget_fen - committed if reach.everything else None
    return BudgetStanding(budget, committed_fen=committed, disbursed_fen=disbursed, remaining_fen=remaining)


async def list_budgets(
    session: AsyncSession, *, principal: Principal, jurisdiction: str | None, year: int | None
) -> list[BudgetStanding]:
    reach = Reach.of(principal)
    found = await budgets.list_budgets(session, jurisdiction=jurisdiction, year=year)
    return [await _standing(session, reach=reach, budget=budget) for budget in found]


async def set_budget(
    session: AsyncSession,
    *,
    principal: Principal,
    jurisdiction: str,
    year: int,
    budget_fen: int,
    if_match: str | None,
) -> BudgetStanding:
    if jurisdiction not in rules().jurisdictions.by_code:
        raise NotFound("jurisdiction", jurisdiction)
    # Before the row lock, as approvals take them: a budget created now counts the year's commitments once.
    await budgets.hold_budget_year(session, jurisdiction=jurisdiction, year=year, exclusive=True)
    current = await budgets.get_budget(session, jurisdiction=jurisdiction, year=year, lock=True)
    if current is not None:
        check_if_match(if_match, _etag(current))
    budget = await budgets.put_budget(
        session, jurisdiction=jurisdiction, year=year, budget_fen=budget_fen, by=principal.subject
    )
    return await _standing(session, reach=Reach.of(principal), budget=budget)


async def list_totals(session: AsyncSession, *, principal: Principal, year: int | None) -> list[YearStanding]:
    standings = []
    for totals in await budgets.year_totals(session, reach=Reach.of(principal), year=year):
        budget = await budgets.get_budget(session, jurisdiction=totals.jurisdiction, year=totals.budget_year)
        budget_fen = None if budget is None else budget.budget_fen
        committed = totals.committed_fen
        standings.append(
            YearStanding(
                totals,
                budget_fen=budget_fen,
                remaining_fen=None if budget_fen is None else budget_fen - committed,
                within_budget=None if budget_fen is None else committed <= budget_fen,
            )
        )
    return standings


async def commit_grant(session: AsyncSession, *, db: Database, grant: GrantRecord) -> None:
    """Commit an approved grant's amount against its budget year, or refuse past the budget (409).

    The budget row's lock serializes approvals within a budget; its running total is what they commit.
    """
    jurisdiction, year = grant.jurisdiction, grant.budget_year
    await budgets.hold_budget_year(session, jurisdiction=jurisdiction, year=year)
    budget = await budgets.get_budget(session, jurisdiction=jurisdiction, year=year, lock=True)
    committed = 0 if budget is None else budget.committed_fen
    amount = grant.amount_fen or 0
    try:
        check_budget(
            budget_fen=None if budget is None else budget.budget_fen, committed_fen=committed, amount_fen=amount
        )
    except BudgetExceededError as error:
        assert budget is not None
        exceeded = BudgetExceeded(
            jurisdiction=jurisdiction,
            year=year,
            budget_fen=budget.budget_fen,
            committed_fen=committed,
            requested_fen=amount,
            grant_id=grant.grant_id,
        )
        # The refusal rolls the request back; the event that reports it must survive, so it commits on its own.
        async with db.transaction() as own:
            await record_event(own, messaging.outbox, exceeded, subject=str(grant.center_id))
        raise Conflict(
            "budget-exceeded",
            f"the {jurisdiction} budget for {year}: {error}",
            budget_fen=budget.budget_fen,
            committed_fen=committed,
            requested_fen=amount,
        ) from None
    if budget is not None and amount:
        await budgets.add_to_committed(session, jurisdiction=jurisdiction, year=year, amount_fen=amount)


async def release(session: AsyncSession, *, amounts: dict[tuple[str, int], int]) -> None:
    """Give back to each (jurisdiction, year) budget what stopped approvals had committed."""
    for (jurisdiction, year), amount in sorted(amounts.items()):
        await budgets.hold_budget_year(session, jurisdiction=jurisdiction, year=year)
        await budgets.add_to_committed(session, jurisdiction=jurisdiction, year=year, amount_fen=-amount)
