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
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditedTable:
    """A history table whose rows are chained per `chain` column, hashing the `content` columns."""

    table: Table
    chain: str
    content: tuple[str, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def row_hash(previous: str, content: Mapping[str, Any]) -> str:
    """SHA-256 of the previous row's hash and this row's content as canonical JSON."""
    canonical = json.dumps(_plain(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


async def append(session: AsyncSession, audited: AuditedTable, values: Mapping[str, Any]) -> str:
    """Insert one row at the end of its chain and return its hash.

    Appends to one chain are serialized by a transaction-scoped advisory lock on the chain, so two writers
    never chain onto the same row.
    """
    table, key = audited.table, values[audited.chain]
    lock = func.hashtextextended(f"{table.fullname}:{key}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(lock)))
    previous = (
        await session.execute(
            select(table.c.hash).where(table.c[audited.chain] == key).order_by(table.c.id.desc()).limit(1)
        )
    ).scalar_one_or_none() or GENESIS
    content = {name: values.get(name) for name in audited.content}
    digest = row_hash(previous, content)
    await session.execute(table.insert().values(**values, prev_hash=previous, hash=digest))
    return digest


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
    chain_col = table.c[audited.chain]
    columns = [table.c.id, chain_col, table.c.prev_hash, table.c.hash, *(table.c[n] for n in audited.content)]
    query = select(*columns).order_by(chain_col, table.c.id).execution_options(yield_per=batch)
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
            breaks.append(ChainBreak(table.fullname, str(key), row.id, problem))
            broken = True
            continue
        expected = row.hash
    return Verified(table.fullname, chains, rows, breaks)
