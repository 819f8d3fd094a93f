"""Rows written at the end of the transaction that made them: one statement per table for a whole batch.

The consumer handles a batch of events in one transaction; what the fan-out writes without reading back (the
received-event log, deliveries and inbox items) is kept here and inserted just before that transaction commits,
one statement per table instead of one per event. Same transaction, so the same all-or-nothing: a rollback drops
them with everything else.

Each statement sends its rows as one array per column and inserts `SELECT * FROM unnest(…)` of them: the values go
to the driver as they are, where a multi-row `VALUES` had every value of every row pass through SQLAlchemy's own
parameter handling (a fifth of the consumer's time, measured in the fan-out benchmark).

A row may depend on another deferred row having been written: an inbox item is written only if its delivery was (a
replayed event's deliveries already exist, and their conflict writes nothing). Statements whose rows depend on
nothing run first, in the order they were first used; a statement with `returning` tells which keys it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable

from tic_shared.db import insert_from_arrays

_KEY = "notification.deferred"


@dataclass(frozen=True)
class Into:
    """Where deferred rows go: `table`; a row that conflicts with one already there is skipped when `skip_conflicts`
    (on `constraint` if one is named, on any otherwise); `returning` names the column whose written values rows
    that depend on these wait for."""

    table: Table
    skip_conflicts: bool = False
    constraint: str | None = None
    returning: str | None = None


class _Pending:
    def __init__(self, transaction: SessionTransaction) -> None:
        self.transaction = transaction
        # (target, the rows' columns) -> [(row, the key it depends on or None)]
        self.rows: dict[tuple[Into, tuple[str, ...]], list[tuple[dict[str, Any], Any]]] = {}


async def insert_rows(
    session: AsyncSession,
    into: Into,
    rows: list[dict[str, Any]],
    *,
    only_if_written: Sequence[Any] | None = None,
) -> None:
    """Insert `rows` into `into` when the session's transaction commits.

    `only_if_written`, one key per row: the row is written only if a deferred statement of the same transaction with
    `returning` returned that key."""
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
    for row, need in zip(rows, needs, strict=True):
        pending.rows.setdefault((into, tuple(row)), []).append((row, need))


def _flush(sync: Session) -> None:
    pending: _Pending | None = sync.info.pop(_KEY, None)
    if pending is None or pending.transaction is not sync.get_transaction():
        return  # rows of a transaction that rolled back
    written: set[Any] = set()
    # Independent statements first (sorted is stable: each group keeps the order of first use).
    ordered = sorted(pending.rows.items(), key=lambda item: any(need is not None for _, need in item[1]))
    for (into, names), entries in ordered:
        rows = [row for row, need in entries if need is None or need in written]
        if not rows:
            continue
        columns = {name: [row[name] for row in rows] for name in names}
        result = sync.execute(_statement(into, names), columns)
        if into.returning is not None:
            written.update(result.scalars().all())


@cache
def _statement(into: Into, names: tuple[str, ...]) -> Executable:
    """The rows' insert, one array per column (`tic_shared.db.insert_from_arrays`); built once per target and set of
    columns."""
    statement = insert_from_arrays(into.table, names)
    if into.skip_conflicts:
        statement = statement.on_conflict_do_nothing(constraint=into.constraint)
    if into.returning is not None:
        return statement.returning(into.table.c[into.returning])
    return statement
