"""Tamper-evident history: each row of an audited table carries the hash of the row before it in its chain.

A chain is the rows of one key (a center's history, a delivery's attempts), in insertion order. A row's hash
covers its content and the previous row's hash, so editing, deleting or reordering a row in SQL breaks every
hash after it; `tic audit verify` walks every chain and names the first row that does not fit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Connection, Table, Text, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared.db import DriverQuery, execute_many_in, fetch_in, inserting

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditedTable:
    """A history table whose rows are chained per `chain` column, hashing the `content` columns, in the order of
    the `order` column (an identity the database assigns as rows are inserted)."""

    table: Table
    chain: str
    content: tuple[str, ...]
    order: str = "id"


_SCALARS = (str, int, float, bool, type(None))
# One encoder for every hash (json.dumps with options builds a new one per call).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # the common case first: most content is text, numbers and nulls
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dict | Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def row_hash(previous: str, content: Mapping[str, Any]) -> str:
    """SHA-256 of the previous row's hash and this row's content as canonical JSON (keys sorted, no spaces, text
    as UTF-8; times in UTC, dates, ids and decimals as text). The form is fixed: stored chains are checked with it."""
    canonical = _CANONICAL.encode(_plain(content))
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


async def append(session: AsyncSession, audited: AuditedTable, values: Mapping[str, Any]) -> str:
    """Insert one row at the end of its chain and return its hash."""
    return (await append_many(session, audited, [values]))[0]


async def append_many(session: AsyncSession, audited: AuditedTable, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Insert rows at the end of their chains, in the order given, in three statements; their hashes, in order.
    Every row names the same columns.

    Appends to one chain are serialized by a transaction-scoped advisory lock per chain (taken in a fixed order,
    so two writers cannot deadlock), so two transactions never chain onto the same row. Every act on a center and
    every delivery attempt appends: the statements run on the driver, in the session's transaction.
    """
    if not rows:
        return []
    table, chain = audited.table, audited.chain
    statements = _statements(audited)
    keys = sorted({str(row[chain]) for row in rows})
    await fetch_in(session, statements.lock, {"keys": [f"{table.fullname}:{key}" for key in keys]})
    heads = await fetch_in(session, statements.heads, {"chains": list({row[chain] for row in rows})})
    previous = {str(key): digest for key, digest in heads}
    values, digests = [], []
    for row in rows:
        key = str(row[chain])
        before = previous.get(key, GENESIS)
        digest = row_hash(before, {name: row.get(name) for name in audited.content})
        previous[key] = digest
        values.append({**row, "prev_hash": before, "hash": digest})
        digests.append(digest)
    await execute_many_in(session, inserting(table, tuple(sorted(values[0]))), values)
    return digests


@dataclass(frozen=True)
class _Statements:
    lock: DriverQuery
    heads: DriverQuery


@cache
def _statements(audited: AuditedTable) -> _Statements:
    """The lock of the chains (by name, in the order given) and the last hash of each: built once per table."""
    table, column = audited.table, audited.table.c[audited.chain]
    lock = select(func.pg_advisory_xact_lock(func.hashtextextended(literal_column("k"), 0))).select_from(
        func.unnest(bindparam("keys", type_=ARRAY(Text))).alias("k")
    )
    heads = (
        select(column, table.c.hash)
        .where(column == any_(bindparam("chains", type_=ARRAY(column.type))))
        .order_by(column, table.c[audited.order].desc())
        .ext(distinct_on(column))
    )
    return _Statements(DriverQuery(lock), DriverQuery(heads))


def backfill(bind: Connection, audited: AuditedTable) -> None:
    """Inside a migration: chain the rows a table already holds, in id order per chain."""
    table, order = audited.table, audited.table.c[audited.order]
    rows = bind.execute(
        select(order, *(table.c[name] for name in {audited.chain, *audited.content} - {audited.order})).order_by(
            table.c[audited.chain], order
        )
    ).mappings()
    previous: dict[Any, str] = {}
    for row in rows.all():
        before = previous.get(row[audited.chain], GENESIS)
        digest = row_hash(before, {name: row[name] for name in audited.content})
        bind.execute(table.update().where(order == row[audited.order]).values(prev_hash=before, hash=digest))
        previous[row[audited.chain]] = digest


@dataclass(frozen=True)
class ChainBreak:
    """The first row of a chain that does not fit: its content was changed, or a row before it was."""

    table: str
    chain_key: str
    row_id: int
    problem: str


@dataclass(frozen=True)
class Verified:
    table: str
    chains: int
    rows: int
    breaks: Sequence[ChainBreak]


async def verify(session: AsyncSession, audited: AuditedTable, *, batch: int = 5000) -> Verified:
    """Recompute every chain of the table; report each chain's first break."""
    table = audited.table
    chain_col, order = table.c[audited.chain], table.c[audited.order]
    others = [table.c[n] for n in audited.content if n not in (audited.chain, audited.order)]
    columns = [order, chain_col, table.c.prev_hash, table.c.hash, *others]
    query = select(*columns).order_by(chain_col, order).execution_options(yield_per=batch)
    breaks: list[ChainBreak] = []
    chains = rows = 0
    current: Any = object()
    expected = GENESIS
    broken = False
    result = await session.stream(query)
    async for row in result:
        rows += 1
        key = row._mapping[audited.chain]
        if key != current:
            current, expected, broken, chains = key, GENESIS, False, chains + 1
        if broken:
            continue
        content = {name: row._mapping[name] for name in audited.content}
        problem = None
        if row.prev_hash != expected:
            problem = "its previous-hash does not match the row before it (a row was removed, added or reordered)"
        elif row.hash != row_hash(expected, content):
            problem = "its content does not match its hash (the row was edited)"
        if problem is not None:
            breaks.append(ChainBreak(table.fullname, str(key), row._mapping[audited.order], problem))
            broken = True
            continue
        expected = row.hash
    return Verified(table.fullname, chains, rows, breaks)
