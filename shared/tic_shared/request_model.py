"""The base of every request body: unknown fields refused, and a date only ever an ISO 8601 string."""

from __future__ import annotations

import types
import typing
from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


@cache
def _mentions_date(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, date)
    return any(_mentions_date(arg) for arg in typing.get_args(annotation) if arg is not types.NoneType)


class RequestModel(BaseModel):
    """Pydantic in lax mode reads the number 0 as 1970-01-01; a caller who sends a number for a day has made a
    mistake we should name, not a date we should store. A misspelt field is refused for the same reason."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _dates_are_strings(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, int | float) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _mentions_date(field.annotation):
                raise ValueError("a date is an ISO 8601 string (YYYY-MM-DD), not a number")
        return value
