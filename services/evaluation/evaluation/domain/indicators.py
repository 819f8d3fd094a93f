"""Indicator systems as versioned data, and the responsibility letter that adjusts one for a center."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evaluation.domain import datafiles
from evaluation.domain.lookup import by_code
from evaluation.domain.report import is_report_field

Target = Annotated[int, Field(ge=0, strict=True)]
Weight = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class IndicatorSystemError(ValueError):
    """An indicator system's data breaks its own rules (codes, kinds, weights)."""


class LetterRefused(ValueError):
    """A responsibility letter asks for something the indicator system or the rules do not allow."""


class IndicatorKind(StrEnum):
    """How a second-level indicator is scored."""

    QUANTITATIVE = "quantitative"  # a reported figure against a target
    QUALITATIVE = "qualitative"  # scored by experts


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indicator(_Frozen):
    """二级指标: a second-level indicator, its weight and, if quantitative, the figure and target."""

    code: str
    name_zh: str
    name_en: str
    kind: IndicatorKind
    weight: Weight
    report_field: str | None = None
    target: Target | None = None
    target_basis: str | None = None

    @model_validator(mode="after")
    def _kind_matches(self) -> "Indicator":
        if self.kind is IndicatorKind.QUANTITATIVE:
            if self.report_field is None or self.target is None:
                raise ValueError(f"quantitative indicator {self.code} needs a report_field and a target")
            if not is_report_field(self.report_field):
                raise ValueError(f"indicator {self.code}: {self.report_field!r} is not a figure of the report")
        elif self.report_field is not None or self.target is not None:
            raise ValueError(f"qualitative indicator {self.code} is scored by experts: no report_field/target")
        return self


class FirstLevelIndicator(_Frozen):
    """一级指标: a first-level indicator and its second-level indicators."""

    code: str
    name_zh: str
    name_en: str
    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @property
    def weight(self) -> Decimal:
        """Its points: the sum of its second-level weights."""
        return sum((indicator.weight for indicator in self.indicators), Decimal(0))


class IndicatorSystem(_Frozen):
    """评价指标体系: one versioned indicator system, possibly adjusted for one center by its letter."""

    code: str
    version: Annotated[int, Field(ge=1, strict=True)]
    name_zh: str
    name_en: str
    source: str
    adjustment_clause: str
    effective_from: date
    total_points: Decimal
    weight_rule: str
    first_level: tuple[FirstLevelIndicator, ...] = Field(min_length=1)
    adjusted_for: str | None = None  # the center whose responsibility letter adjusted this copy

    @model_validator(mode="after")
    def _coherent(self) -> "IndicatorSystem":
        # Codes are numbered as in the text: 1, 2, … and, under k, k.1, k.2, … with no gap.
        expected = [str(position) for position in range(1, len(self.first_level) + 1)]
        if [group.code for group in self.first_level] != expected:
            raise ValueError(f"first-level codes must run {', '.join(expected)}")
        for group in self.first_level:
            children = [f"{group.code}.{position}" for position in range(1, len(group.indicators) + 1)]
            if [indicator.code for indicator in group.indicators] != children:
                raise ValueError(f"second-level codes under {group.code} must run {', '.join(children)}")
        if self.total_weight != self.total_points:
            raise ValueError(f"weights must sum to exactly {self.total_points} points; they sum to {self.total_weight}")
        return self

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every second-level indicator, in code order."""
        return tuple(indicator for group in self.first_level for indicator in group.indicators)

    @property
    def total_weight(self) -> Decimal:
        """The sum of every second-level weight."""
        return sum((indicator.weight for indicator in self.indicators), Decimal(0))

    def indicator(self, code: str) -> Indicator:
        """The second-level indicator `code`; KeyError if there is none."""
        return by_code(self.indicators, code, lambda indicator: indicator.code)


class ResponsibilityLetter(_Frozen):
    """建设责任书: a center's own weights and targets (001 attachment 1, note) and its milestone figures.

    Only what the letter names changes; everything else keeps the indicator system's and the rules' defaults.
    """

    center_id: str
    reference: str | None = None  # the letter's document number
    weights: dict[str, Weight] = Field(default_factory=dict)  # second-level code → points
    targets: dict[str, Target] = Field(default_factory=dict)  # quantitative code → yearly target
    # checkpoint (two_years, five_years, end_of_construction) → milestone figure → target
    milestone_targets: dict[str, dict[str, Target]] = Field(default_factory=dict)


def _group_points(raw_group: Mapping[str, Any]) -> Decimal:
    return Decimal(str(raw_group["points"]))


@cache
def load_indicator_system(code: str) -> IndicatorSystem:
    """The indicator system `data/indicator_systems/{code}.toml`, checked.

    An unknown code raises `UnknownDataFile`.

    Each first-level indicator declares its points; the loader checks its second-level weights add up to them.
    """
    raw = datafiles.read_toml("indicator_systems", code)
    groups = raw.get("first_level", [])
    for group in groups:
        declared = _group_points(group)
        summed = sum((Decimal(str(child["weight"])) for child in group.get("indicators", [])), Decimal(0))
        if summed != declared:
            raise IndicatorSystemError(
                f"{code}: the weights under {group.get('code')} sum to {summed}, not its {declared} points"
            )
    data = {**raw, "first_level": [{k: v for k, v in g.items() if k != "points"} for g in groups]}
    try:
        return IndicatorSystem.model_validate(data)
    except ValueError as error:
        raise IndicatorSystemError(f"{code}: {error}") from error


def list_indicator_systems() -> list[str]:
    """The codes of every indicator system in the package's data."""
    return datafiles.list_codes("indicator_systems")


def apply_letter(system: IndicatorSystem, letter: ResponsibilityLetter) -> IndicatorSystem:
    """A copy of `system` with the letter's weights and targets, for the letter's center only.

    Refused (`LetterRefused`) when the letter names a code that is not a second-level indicator, sets a target
    on a qualitative indicator, or leaves weights that do not sum to exactly the system's total points.
    """
    known = {indicator.code: indicator for indicator in system.indicators}
    first_level = {group.code for group in system.first_level}
    problems: list[str] = []
    for field, codes in (("weights", letter.weights), ("targets", letter.targets)):
        for code in codes:
            if code in first_level:
                problems.append(f"{field}: {code} is a first-level indicator; set its second-level ones")
            elif code not in known:
                problems.append(f"{field}: unknown indicator code {code!r} in {system.code}")
    for code in letter.targets:
        if code in known and known[code].kind is IndicatorKind.QUALITATIVE:
            problems.append(f"targets: {code} is qualitative (scored by experts) and has no target")
    if problems:
        raise LetterRefused(f"responsibility letter of center {letter.center_id} refused: " + "; ".join(problems))

    groups = tuple(
        group.model_copy(
            update={
                "indicators": tuple(
                    indicator.model_copy(
                        update={
                            "weight": letter.weights.get(indicator.code, indicator.weight),
                            "target": letter.targets.get(indicator.code, indicator.target),
                            "target_basis": (
                                f"responsibility letter {letter.reference or ''}".strip()
                                if indicator.code in letter.targets
                                else indicator.target_basis
                            ),
                        }
                    )
                    for indicator in group.indicators
                )
            }
        )
        for group in system.first_level
    )
    total = sum((indicator.weight for group in groups for indicator in group.indicators), Decimal(0))
    if total != system.total_points:
        raise LetterRefused(
            f"responsibility letter of center {letter.center_id} refused: weights must sum to exactly "
            f"{system.total_points} points; with the letter they sum to {total}"
        )
    return system.model_copy(update={"first_level": groups, "adjusted_for": letter.center_id})
