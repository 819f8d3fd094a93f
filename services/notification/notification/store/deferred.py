"""Rows written at the end of the transaction that made them: one statement per table for a whole batch.

The consumer handles a batch of events in one transaction; what the fan-out writes without reading back (the
received-event log, deliveries, inbox items and their attempt rows) is kept here and inserted just before that
transaction commits, as one multi-row statement per table instead of one per event. Same transaction, so the same
all-or-nothing: a rollback drops them with everything else.

A row may depend on another deferred row having been written: an inbox item and its first attempt are written only
if their delivery was (a replayed event's deliveries already exist, and their conflict writes nothing). Statements
whose rows depend on nothing run first, in the order they were first used; a statement with `RETURNING` tells which
keys it wrote (its first column).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable

_KEY = "notification.deferred"


class _Pending:
    def __init__(self, transaction: SessionTransaction) -> None:
        self.transaction = transaction
        # statement -> (row, the key it depends on or None)
        self.rows: dict[Executable, list[tuple[dict[str, Any], Any]]] = {}


async def insert(
    session: AsyncSession,
    statement: Executable,
    rows: list[dict[str, Any]],
    *,
    only_if_written: Sequence[Any] | None = None,
) -> None:
    """Insert `rows` with `statement` (an executemany) when the session's transaction commits.

    `only_if_written`, one key per row: the row is written only if a deferred statement of the same transaction with
    `RETURNING` returned that key."""
    if not rows:
        return
    if only_if_written is not None and len(only_if_written) != len(rows):
        raise ValueError("only_if_written names one key per row")
    needs = list(only_if_written) if only_if_written is not None else [None] * len(rows)
    sync = session.sync_session
    transaction = sync.get_transaction()
    if transaction is None:
        raise RuntimeError("rows are deferred to the commit of a transaction; there is none")
    pending = sync.info.get(_KEY)
    if pending is None or pending.transaction is not transaction:
        pending = sync.info[_KEY] = _Pending(transaction)
        if not event.contains(sync, "before_commit", _flush):
            event.listen(sync, "before_commit", _flush)
    pending.rows.setdefault(statement, []).extend(zip(rows, needs, strict=True))


def _flush(sync: Session) -> None:
    pending: _Pending | None = sync.info.pop(_KEY, None)
    if pending is None or pending.transaction is not sync.get_transaction():
        return  # rows of a transaction that rolled back
    written: set[Any] = set()
    # Independent statements first (sorted is stable: each group keeps the order of first use).
    ordered = sorted(pending.rows.items(), key=lambda item: any(need is not None for _, need in item[1]))
    for statement, entries in ordered:
        rows = [row for row, need in entries if need is None or need in written]
        if not rows:
            continue
        result = sync.execute(statement, rows)
        if isinstance(result, CursorResult) and result.returns_rows:
            written.update(result.scalars().all())
