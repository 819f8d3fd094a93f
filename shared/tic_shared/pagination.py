"""Cursor pagination: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tic_shared.problems import Problem

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The position a cursor encodes; a cursor that was not ours is a 400 naming the parameter."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned") from exc
    if not isinstance(value, dict):
        raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned")
    return value


def cursor_field(cursor: str, key: str, kind: Callable[[Any], Any] = int) -> Any:
    """One typed field of a cursor's position, refusing a cursor that does not carry it."""
    try:
        return kind(decode_cursor(cursor)[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned") from exc


def page_of(
    page: type[Page[T]],
    rows: Sequence[R],
    *,
    limit: int,
    present: Callable[[R], T],
    position: Callable[[R], dict[str, Any]],
) -> Page[T]:
    """A page of `limit` items from the `limit` + 1 rows a list use case gives, with the cursor past the last."""
    more = len(rows) > limit
    return page(
        items=[present(row) for row in rows[:limit]],
        next_cursor=encode_cursor(position(rows[limit - 1])) if more else None,
    )
