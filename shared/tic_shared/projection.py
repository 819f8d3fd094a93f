"""Projections of another service's aggregate, kept from its events whatever order they arrive in.

Events of one aggregate carry a sequence (+1 per event). A projection row holds the last sequence applied. An event
says two kinds of things: its *state* (status, tier, …, as of that sequence), which only a newer event may change;
and *facts* only some events carry (an approval date, a lead unit), which a newer event changes when it carries them
and an older one fills in when the row lacks them. So a late event still gives what it alone knows, and a later event
that does not carry a fact never erases it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, case, func, literal
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert


def upsert(
    table: Table, values: Mapping[str, Any], *, key: str, state: Collection[str], sequence: str = "sequence"
) -> ReturningInsert[Any]:
    """INSERT … ON CONFLICT DO UPDATE applying one event's `values` to the projection row of `key`.

    `state` names the columns that follow the newest event (the sequence column among them, implicitly); every
    other column given is a fact. A fact given as None is left out. The statement returns the row as it stands.
    """
    given = {name: value for name, value in values.items() if value is not None or name in state}
    statement = insert(table).values(**given)
    newer = table.c[sequence] < statement.excluded[sequence]
    changes: dict[str, Any] = {}
    for name in given:
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
    return statement.on_conflict_do_update(index_elements=[table.c[key]], set_=changes).returning(*table.c)


def _unless_default(table: Table, name: str) -> ColumnElement[Any]:
    """The column's value, or NULL while it holds only its server default (an empty list is not a fact)."""
    column = table.c[name]
    default = column.server_default
    if default is None or not hasattr(default, "arg"):
        return column
    arg = default.arg
    value = literal(arg, type_=column.type) if isinstance(arg, str) else arg
    return func.nullif(column, value)
