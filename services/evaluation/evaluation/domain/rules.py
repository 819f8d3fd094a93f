"""Evaluation rules as data: rounding, expert trimming, grades, consequences, milestones, acceptance."""

import decimal
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evaluation.domain import datafiles
from evaluation.domain.lookup import by_code
from evaluation.domain.report import is_report_field
from tic_shared.vocabulary import Grade, Tier

NonNegative = Annotated[int, Field(ge=0, strict=True)]
Positive = Annotated[int, Field(ge=1, strict=True)]

_ROUNDING_MODES = frozenset(
    {
        decimal.ROUND_CEILING,
        decimal.ROUND_DOWN,
        decimal.ROUND_FLOOR,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_UP,
        decimal.ROUND_05UP,
    }
)


class Checkpoint(StrEnum):
    """When construction targets are checked."""

    TWO_YEARS = "two_years"
    FIVE_YEARS = "five_years"
    END_OF_CONSTRUCTION = "end_of_construction"


class Aggregate(StrEnum):
    """How a milestone figure is drawn from the yearly reports."""

    SUM = "sum"  # summed over the reports from the approval year to the checkpoint year
    LATEST = "latest"  # read from the checkpoint year's report


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rounding(_Rule):
    """How the total is kept."""

    decimals: NonNegative
    mode: str
    clause: str

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, mode: str) -> str:
        if mode not in _ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {mode!r}")
        return mode

    def apply(self, value: Decimal) -> Decimal:
        """`value` kept to `decimals` places with `mode`."""
        return value.quantize(Decimal(1).scaleb(-self.decimals), rounding=self.mode)


class ExpertScoring(_Rule):
    """The range of an expert's score and how a panel's scores are trimmed."""

    score_min: Decimal
    score_max: Decimal
    min_experts_to_trim: Positive
    trim_highest: NonNegative
    trim_lowest: NonNegative
    clause: str

    @model_validator(mode="after")
    def _coherent(self) -> "ExpertScoring":
        if not self.score_min < self.score_max:
            raise ValueError("score_min must be below score_max")
        if self.min_experts_to_trim <= self.trim_highest + self.trim_lowest:
            raise ValueError("trimming must leave at least one score")
        return self


class GradeThreshold(_Rule):
    """A total at or above `min_score` earns `grade` (unless a better grade's threshold is met)."""

    grade: Grade
    name_zh: str
    name_en: str
    min_score: Decimal
    clause: str


class ConsequenceRules(_Rule):
    """What follows from a grade: delisting after consecutive unqualified results, priority support."""

    consecutive_unqualified_to_delist: Positive
    delisting_applies_to_tiers: tuple[Tier, ...] = Field(min_length=1)
    delisting_clause: str
    priority_support_grade: Grade
    priority_support_clause: str


class Scope(_Rule):
    """Which centers the annual evaluation covers: their tiers (the others follow their own rules)."""

    tiers: tuple[Tier, ...] = Field(min_length=1)
    clause: str


class NotSubmitted(_Rule):
    """An evaluation a reviewer records as not submitted (with a reason) is finalized with this grade."""

    grade: Grade
    clause: str
    default: bool = False


class Construction(_Rule):
    """The construction period."""

    years: Positive
    clause: str


class MilestoneFigure(_Rule):
    """One construction target: the reported figures that make it, how they add up, the default target."""

    figure: str
    name_zh: str
    name_en: str
    report_fields: tuple[str, ...] = Field(min_length=1)
    aggregate: Aggregate
    target: NonNegative
    clause: str

    @field_validator("report_fields")
    @classmethod
    def _fields_exist(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [field for field in fields if not is_report_field(field)]
        if unknown:
            raise ValueError(f"not figures of the annual report: {', '.join(unknown)}")
        return fields


class MilestoneRule(_Rule):
    """The targets due `years_after_approval` years after approval."""

    checkpoint: Checkpoint
    name_zh: str
    name_en: str
    years_after_approval: NonNegative
    clause: str
    figures: tuple[MilestoneFigure, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_figures(self) -> "MilestoneRule":
        names = [figure.figure for figure in self.figures]
        if len(set(names)) != len(names):
            raise ValueError(f"milestone {self.checkpoint} names a figure twice")
        return self

    def figure(self, name: str) -> MilestoneFigure:
        """The figure called `name`; KeyError if this milestone has none."""
        return by_code(self.figures, name, lambda figure: figure.figure)


class AcceptanceRule(_Rule):
    """验收: which milestones must be met, and which last annual grades fail it."""

    required_checkpoints: tuple[Checkpoint, ...] = Field(min_length=1)
    failing_last_grades: tuple[Grade, ...]
    clause: str


class EvaluationRules(_Rule):
    """One versioned set of evaluation rules, tied to the indicator system it scores."""

    code: str
    version: Positive
    name_zh: str
    name_en: str
    indicator_system: str
    source: str
    effective_from: date
    rounding: Rounding
    expert_scoring: ExpertScoring
    grades: tuple[GradeThreshold, ...] = Field(min_length=1)
    scope: Scope
    not_submitted: NotSubmitted
    consequences: ConsequenceRules
    construction: Construction
    milestones: tuple[MilestoneRule, ...]
    acceptance: AcceptanceRule

    @model_validator(mode="after")
    def _coherent(self) -> "EvaluationRules":
        grades = [threshold.grade for threshold in self.grades]
        if sorted(grades, key=list(Grade).index) != grades or len(set(grades)) != len(Grade):
            raise ValueError("grades must list every grade once, best first")
        minimums = [threshold.min_score for threshold in self.grades]
        if any(lower >= higher for higher, lower in pairwise(minimums)):
            raise ValueError("grade thresholds must fall strictly from the best grade to the worst")
        # Totals are never negative: a worst grade starting at 0 gives every total a grade.
        if minimums[-1] != 0:
            raise ValueError("the worst grade must start at 0 so that every total has a grade")
        checkpoints = [milestone.checkpoint for milestone in self.milestones]
        if len(set(checkpoints)) != len(checkpoints):
            raise ValueError("a checkpoint is listed twice")
        missing = set(self.acceptance.required_checkpoints) - set(checkpoints)
        if missing:
            raise ValueError(f"acceptance requires checkpoints with no milestone: {sorted(missing)}")
        return self

    def grade_rank(self, grade: Grade) -> int:
        """0 for the best grade, rising to the worst."""
        return [threshold.grade for threshold in self.grades].index(grade)

    def grade_threshold(self, grade: Grade) -> GradeThreshold:
        """The threshold (and names) of `grade`."""
        return self.grades[self.grade_rank(grade)]

    def milestone(self, checkpoint: Checkpoint) -> MilestoneRule:
        """The milestone checked at `checkpoint`; KeyError if these rules have none."""
        for milestone in self.milestones:
            if milestone.checkpoint == checkpoint:
                return milestone
        raise KeyError(str(checkpoint))


@cache
def load_rules(code: str) -> EvaluationRules:
    """The evaluation rules `data/rules/{code}.toml`; an unknown code raises `UnknownDataFile`."""
    return EvaluationRules.model_validate(datafiles.read_toml("rules", code))


def list_rules() -> list[str]:
    """The codes of every evaluation rule set in the package's data."""
    return datafiles.list_codes("rules")
