"""Projections of another service's aggregate, kept from its events whatever order they arrive in.

Events of one aggregate carry a sequence (+1 per event). A projection row holds the last sequence applied. An event
says two kinds of things: its *state* (status, tier, …, as of that sequence), which only a newer event may change;
and *facts* only some events carry (an approval date, a lead unit), which a newer event changes when it carries them
and an older one fills in when the row lacks them. So a late event still gives what it alone knows, and a later event
that does not carry a fact never erases it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, case, func, literal
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared.db import DriverQuery, bound, fetch_in, fetch_row_in, insert_from_arrays


async def apply(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: str,
    state: Collection[str],
    sequence: str = "sequence",
) -> Mapping[str, Any]:
    """Apply one event's `values` to the projection row of `key` (INSERT … ON CONFLICT DO UPDATE) and return the
    row as it stands, by column name.

    `state` names the columns that follow the newest event (the sequence column among them, implicitly); every
    other column given is a fact. A fact given as None is left out. Every consumer applies one per event, so the
    statement runs on the driver, in the session's transaction (`tic_shared.db.fetch_row_in`).
    """
    given = _given(values, state)
    statement = _upsert(table, tuple(sorted(given)), key, frozenset(state), sequence)
    row = await fetch_row_in(session, statement, given)
    assert row is not None  # an upsert returns its row
    return row


async def apply_many(
    session: AsyncSession,
    table: Table,
    batch: Sequence[Mapping[str, Any]],
    *,
    key: str,
    state: Collection[str],
    sequence: str = "sequence",
) -> list[Mapping[str, Any]]:
    """`apply` for each of `batch` in its order, in as few statements as the batch allows; each row as it stood
    once its own values were applied, as `apply` one by one would have returned it.

    A statement takes values of one shape (the same columns given), and one row at most of each key: an upsert
    cannot change a row twice. So the batch goes in rounds — the first values given for each key, then the second,
    and so on — and each round in one statement per shape. A batch of events of different aggregates, the common
    case, is one statement."""
    frozen = frozenset(state)
    rounds: list[dict[tuple[str, ...], list[int]]] = []
    seen: dict[Any, int] = {}
    given = [_given(values, state) for values in batch]
    for index, values in enumerate(given):
        turn = seen[values[key]] = seen.get(values[key], -1) + 1
        if turn == len(rounds):
            rounds.append({})
        rounds[turn].setdefault(tuple(sorted(values)), []).append(index)
    rows: list[Mapping[str, Any]] = [{} for _ in batch]
    for shapes in rounds:
        for names, indexes in shapes.items():
            if len(indexes) == 1:
                (index,) = indexes
                one = await fetch_row_in(session, _upsert(table, names, key, frozen, sequence), given[index])
                assert one is not None  # an upsert returns its row
                rows[index] = one
                continue
            columns = {name: [given[index][name] for index in indexes] for name in names}
            returned = {
                row[key]: row for row in await fetch_in(session, _upserts(table, names, key, frozen, sequence), columns)
            }
            for index in indexes:
                rows[index] = returned[given[index][key]]
    return rows


def _given(values: Mapping[str, Any], state: Collection[str]) -> dict[str, Any]:
    """What an event gives: its state, and the facts it carries (a fact given as None is not given)."""
    return {name: value for name, value in values.items() if value is not None or name in state}


@cache
def _upsert(table: Table, names: tuple[str, ...], key: str, state: frozenset[str], sequence: str) -> DriverQuery:
    """The statement for events giving `names`: built once for each such set, its values bound per event (an event
    stream repeats a handful of shapes, and building this statement cost more than running it)."""
    return _on_conflict(insert(table).values(bound(table, names)), table, names, key, state, sequence)


@cache
def _upserts(table: Table, names: tuple[str, ...], key: str, state: frozenset[str], sequence: str) -> DriverQuery:
    """`_upsert` for many rows at once: each parameter an array, one value per row (`SELECT … FROM unnest(…)`)."""
    return _on_conflict(insert_from_arrays(table, names), table, names, key, state, sequence)


def _on_conflict(
    statement: Insert, table: Table, names: tuple[str, ...], key: str, state: frozenset[str], sequence: str
) -> DriverQuery:
    """The projection's rule as the statement's conflict clause: the state follows the newer sequence; a fact is
    the newer event's when it carries one, and an older event's only where the row has none."""
    newer = table.c[sequence] < statement.excluded[sequence]
    changes: dict[str, Any] = {}
    for name in names:
        if name == key:
            continue
        new, old = statement.excluded[name], table.c[name]
        if name in state or name == sequence:
            changes[name] = case((newer, new), else_=old)
        else:
            known = _unless_default(table, name)
            changes[name] = case((newer, func.coalesce(new, old)), else_=func.coalesce(known, new))
    if "updated_at" in table.c:
        changes["updated_at"] = func.now()
    return DriverQuery(statement.on_conflict_do_update(index_elements=[table.c[key]], set_=changes).returning(*table.c))


def _unless_default(table: Table, name: str) -> ColumnElement[Any]:
    """The column's value, or NULL while it holds only its server default (an empty list is not a fact)."""
    column = table.c[name]
    default = column.server_default
    if default is None or not hasattr(default, "arg"):
        return column
    arg = default.arg
    value = literal(arg, type_=column.type) if isinstance(arg, str) else arg
    return func.nullif(column, value)
