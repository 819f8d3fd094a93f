"""The base of every request body: unknown fields refused, and a date only ever an ISO 8601 string."""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def iso_only(value: Any, *, kind: type) -> Any:
    """Pydantic in lax mode reads the number 0 (or the string "0", or 2.5e-43) as 1970-01-01: a caller who
    sends a number for a day has made a mistake we should name, not a date we should store."""
    if isinstance(value, date):
        return value
    pattern = _ISO_DATETIME if kind is datetime else _ISO_DATE
    if not isinstance(value, str) or not pattern.match(value):
        example = "YYYY-MM-DDThh:mm:ssZ" if kind is datetime else "YYYY-MM-DD"
        raise ValueError(
            f"a {kind.__name__} is an ISO 8601 string ({example}), not {type(value).__name__} {value!r:.40}"
        )
    return value


IsoDate = Annotated[date, BeforeValidator(lambda value: iso_only(value, kind=date))]
"""A date parameter (query or path) that only an ISO 8601 string gives."""


@cache
def _temporal_kind(annotation: Any) -> type | None:
    if isinstance(annotation, type):
        return annotation if issubclass(annotation, date) else None
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType, typing.Annotated):
        return None  # a list or a mapping of dates validates its items itself
    for arg in typing.get_args(annotation):
        if arg is not types.NoneType and (kind := _temporal_kind(arg)) is not None:
            return kind
    return None


class RequestModel(BaseModel):
    """Unknown fields are refused (a misspelt field is a mistake to name, not to ignore), and a date or a time is
    only ever an ISO 8601 string."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _dates_are_iso_strings(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or info.field_name is None:
            return value
        field = cls.model_fields.get(info.field_name)
        annotation: Any = field.annotation if field is not None else None
        kind = _temporal_kind(annotation) if annotation is not None else None
        return value if kind is None else iso_only(value, kind=kind)
