"""Rows written at the end of the transaction that made them: one statement per table for a whole batch.

The consumer handles a batch of events in one transaction; what the fan-out writes without reading back (the
received-event log, inbox items and their attempt rows) is kept here and inserted just before that transaction
commits, as one multi-row statement per table instead of one per event. Same transaction, so the same
all-or-nothing: a rollback drops them with everything else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable

_KEY = "notification.deferred"


class _Pending:
    def __init__(self, transaction: SessionTransaction) -> None:
        self.transaction = transaction
        self.rows: dict[Executable, list[dict[str, Any]]] = {}


async def insert(session: AsyncSession, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` with `statement` (an executemany) when the session's transaction commits."""
    if not rows:
        return
    sync = session.sync_session
    transaction = sync.get_transaction()
    if transaction is None:  # no transaction to wait for: write now
        await session.execute(statement, rows)
        return
    pending = sync.info.get(_KEY)
    if pending is None or pending.transaction is not transaction:
        pending = sync.info[_KEY] = _Pending(transaction)
        if not event.contains(sync, "before_commit", _flush):
            event.listen(sync, "before_commit", _flush)
    pending.rows.setdefault(statement, []).extend(rows)


def _flush(sync: Session) -> None:
    pending: _Pending | None = sync.info.pop(_KEY, None)
    if pending is None or pending.transaction is not sync.get_transaction():
        return  # rows of a transaction that rolled back
    for statement, rows in pending.rows.items():
        sync.execute(statement, rows)
