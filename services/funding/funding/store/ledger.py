"""Queries of the centers' ledgers (专账): disbursements, expenditures and repayments, one hash-chained row each."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from funding.store.records import LedgerEntryRecord, LedgerSums
from funding.store.tables import LEDGER, ledger_entries
from tic_shared import audit


async def add_entry(session: AsyncSession, *, values: dict[str, Any]) -> LedgerEntryRecord:
    """Append to the center's ledger chain (`tic audit verify`)."""
    entry_id = uuid.uuid4()
    row = {name: None for name in LEDGER.content} | {"recorded_at": datetime.now(UTC)} | values | {"entry_id": entry_id}
    await audit.append(session, LEDGER, row)
    query = select(ledger_entries).where(ledger_entries.c.entry_id == entry_id)
    return LedgerEntryRecord.of((await session.execute(query)).one())


async def ledger_sums(session: AsyncSession, *, center_id: uuid.UUID) -> LedgerSums:
    e = ledger_entries.c

    def total(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, e.amount_fen), else_=0)), 0)

    query = select(
        total(e.kind == "disbursement").label("disbursed"),
        total(and_(e.kind == "expenditure", e.compliant.is_(True))).label("compliant"),
        total(and_(e.kind == "expenditure", e.compliant.is_(False))).label("non_compliant"),
        total(e.kind == "repayment").label("repaid"),
    ).where(e.center_id == center_id)
    return LedgerSums.of((await session.execute(query)).one())


async def ledger_page(
    session: AsyncSession, *, center_id: uuid.UUID, after: int | None, limit: int
) -> list[LedgerEntryRecord]:
    e = ledger_entries.c
    query = select(ledger_entries).where(e.center_id == center_id).order_by(e.n).limit(limit + 1)
    if after is not None:
        query = query.where(e.n > after)
    return LedgerEntryRecord.all(await session.execute(query))
