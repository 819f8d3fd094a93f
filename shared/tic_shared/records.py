"""The base of every store's typed records: a frozen dataclass built from a result row by its own field names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, Self

from sqlalchemy import Result, Row


class Record:
    """Mix into `@dataclass(frozen=True, slots=True)` records. A record picks its own columns from a row (a joined
    row may carry more); `convert` lets a store normalise what the driver gives (numeric sums, say)."""

    __slots__ = ()

    @staticmethod
    def convert(value: object) -> object:
        return value

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> Self:
        return cls.of_mapping(row._mapping)

    @classmethod
    def of_mapping(cls, values: Mapping[Any, Any]) -> Self:
        """From anything that maps column names to values: a SQLAlchemy row's mapping, an asyncpg record."""
        convert = cls.convert
        return cls(*[convert(values[name]) for name in _field_names(cls)])

    def fields(self) -> dict[str, Any]:
        """The record's fields by name, its values as they are (`dataclasses.asdict` deep-copies every list and
        dict in it: most of the cost of a template context)."""
        return {name: getattr(self, name) for name in _field_names(type(self))}

    @classmethod
    def first(cls, result: Result[Any]) -> Self | None:
        row = result.first()
        return None if row is None else cls.of(row)

    @classmethod
    def all(cls, result: Result[Any]) -> list[Self]:
        """Every row, each field picked by its position in the result, found once for the whole result (a lookup
        by name per field and row was most of a long page's cost); by name when the result repeats a name."""
        keys = list(result.keys())
        rows = result.all()
        if len(set(keys)) < len(keys):
            return [cls.of(row) for row in rows]
        at = [keys.index(name) for name in _field_names(cls)]
        convert = cls.convert
        return [cls(*[convert(row[i]) for i in at]) for row in rows]


_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record: type) -> tuple[str, ...]:
    """A record's fields in their order (read once per class: `dataclasses.fields` walks them on every call)."""
    names = _NAMES.get(record)
    if names is None:
        names = _NAMES[record] = tuple(f.name for f in fields(record))
    return names
