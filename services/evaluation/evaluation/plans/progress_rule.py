"""How plan progress is judged, with its thresholds: the rule a data file (data/plan_rules/*.toml) states, every
choice marked [default] (POLICY §4)."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PathStart(StrEnum):
    """Where a path starts when the text gives no baseline."""

    FIRST_ACTUAL = "first_actual"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _RulePart(_Frozen):
    clause: str = Field(min_length=1)
    default: bool = False


class PathRule(_RulePart):
    start_without_baseline: PathStart


class ToleranceRule(_RulePart):
    share: Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False)]


class RoundingRule(_RulePart):
    share_decimals: Annotated[int, Field(ge=0, le=10, strict=True)]
    mode: str

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, mode: str) -> str:
        if not mode.startswith("ROUND_") or not hasattr(decimal, mode):
            raise ValueError(f"unknown rounding mode {mode!r}")
        return mode


class ReportingRule(_RulePart):
    """When a reported figure of a year is due: this month and day of the following year."""

    due_month: Annotated[int, Field(ge=1, le=12, strict=True)]
    due_day: Annotated[int, Field(ge=1, le=31, strict=True)]

    def due_on(self, year: int) -> date:
        return date(year + 1, self.due_month, self.due_day)


class ProgressRule(_Frozen):
    """How progress is judged, with its thresholds: a data file, every choice marked [default]."""

    code: str
    version: Annotated[int, Field(ge=1, strict=True)]
    name_zh: str
    name_en: str
    clause: str = Field(min_length=1)
    default: bool = False
    path: PathRule
    tolerance: ToleranceRule
    rounding: RoundingRule
    reporting: ReportingRule
