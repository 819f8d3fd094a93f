"""The shape of a plan file: plan, indicators and their targets, tasks and deliverables, responsible departments.

A plan (规划/实施方案) sets numbered targets for a year, each with the departments that answer for it (POLICY §4).
Every figure carries the clause it comes from; a choice the text leaves open is marked `default` with a note
(`Point`, shared with the jurisdiction files, refuses a default without one).
Figures are `Decimal`: a file writes integers as integers and anything with a fraction as a string ("3.2"), never
a float, and money is integer fen like everywhere else on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from evaluation.domain.lookup import by_code
from evaluation.plans.units import Unit
from tic_shared.jurisdictions import Point
from tic_shared.vocabulary import CenterStatus, Tier


def _figure(value: Any) -> Any:
    # TOML reads 3.2 as a binary float; refusing it keeps every figure exactly as the text wrote it.
    if isinstance(value, bool | float):
        raise ValueError(f'write {value!r} as an integer or a decimal string (e.g. "3.2"), never a float')
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        return parsed
    return value


Figure = Annotated[Decimal, BeforeValidator(_figure), Field(allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1949, le=2100, strict=True)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$")]
PlanCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+\.[a-z0-9_]+$")]
Text = Annotated[str, StringConstraints(min_length=1)]


class Direction(StrEnum):
    """Which way a figure has to go."""

    AT_LEAST = "at_least"  # reach the target or more (达到, 以上, 超)
    AT_MOST = "at_most"  # stay at or under the target
    GROWTH_RATE = "growth_rate"  # the figure grows by at least the target percentage every year (每年增长…以上)


class IndicatorKind(StrEnum):
    REPORTED = "reported"  # a department enters the year's figure and the bureau accepts it
    DERIVED = "derived"  # the platform computes it from its own data


class DerivedMeasure(StrEnum):
    """What the platform counts for a derived indicator, from its projection of the registry's events."""

    CENTERS_CREATED = "centers_created"  # centers of a tier that reached it on or after `counted_from`
    CENTERS_TOTAL = "centers_total"  # every center of a tier


class TaskGroup(StrEnum):
    MAIN_TASK = "main_task"  # a numbered task of the text
    SPECIAL_PROJECT = "special_project"  # 002 attachment 2
    PLATFORM = "platform"  # 002 attachment 3
    DISTRICT = "district"  # 002 attachment 4


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Baseline(Point):
    """基期值: the figure the path to the target starts from."""

    year: Year
    value: Figure


class Target(Point):
    """The figure to reach by `year`. `upper` is the top of a range the text gives (5~10家: 5, upper 10)."""

    year: Year
    value: Figure
    upper: Figure | None = None

    @model_validator(mode="after")
    def _range(self) -> Target:
        if self.upper is not None and self.upper <= self.value:
            raise ValueError(f"the top of the range {self.upper} must exceed the target {self.value}")
        return self


class Responsibility(Point):
    """Who answers for a target: the lead department (牵头单位, the first named) and the co-departments."""

    lead: DepartmentCode
    co: tuple[DepartmentCode, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> Responsibility:
        named = [self.lead, *self.co]
        if len(set(named)) != len(named):
            raise ValueError(f"a department is named twice: {named}")
        return self

    @property
    def departments(self) -> tuple[str, ...]:
        """The lead first, then the co-departments."""
        return (self.lead, *self.co)


class DerivedSpec(_Frozen):
    """How the platform computes a derived indicator: which centers it counts."""

    measure: DerivedMeasure
    tier: Tier
    statuses: tuple[CenterStatus, ...] = Field(min_length=1)
    counted_from: date | None = None
    clause: Text

    @model_validator(mode="after")
    def _from_date(self) -> DerivedSpec:
        if self.measure is DerivedMeasure.CENTERS_CREATED and self.counted_from is None:
            raise ValueError("a count of centers created needs counted_from")
        if self.measure is DerivedMeasure.CENTERS_TOTAL and self.counted_from is not None:
            raise ValueError("a total of centers counts them all: no counted_from")
        return self


class Indicator(_Frozen):
    """指标: one target figure of a plan — a headline indicator or a task's deliverable.

    For `growth_rate` the reported figure is the level (e.g. spending in fen) and the targets are the minimum
    yearly growth in percent. `every_year` marks a target every year of the plan must meet on its own (每年…);
    growth targets always are. Targets other than the last are interim; the last is final.
    """

    code: Code
    number: str | None = None
    name_zh: Text
    name_en: Text
    unit: Unit
    direction: Direction
    every_year: bool = False
    kind: IndicatorKind
    clause: Text
    note: str | None = None
    derived: DerivedSpec | None = None
    baseline: Baseline | None = None
    responsible: Responsibility | None = None  # None only on a deliverable, which takes its task's
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> Indicator:
        years = [target.year for target in self.targets]
        if any(later <= earlier for earlier, later in pairwise(years)):
            raise ValueError(f"{self.code}: targets must be listed by year, one per year; got {years}")
        if (self.kind is IndicatorKind.DERIVED) != (self.derived is not None):
            raise ValueError(f"{self.code}: a derived indicator, and only one, says how it is derived")
        if self.baseline is not None and self.baseline.year >= years[0]:
            raise ValueError(f"{self.code}: the baseline year must come before the first target year")
        if self.unit is Unit.FEN:
            levels = [] if self.direction is Direction.GROWTH_RATE else [t.value for t in self.targets]
            levels += [self.baseline.value] if self.baseline is not None else []
            if any(value != value.to_integral_value() for value in levels):
                raise ValueError(f"{self.code}: money is whole fen")
        return self

    @property
    def final_target(self) -> Target:
        return self.targets[-1]

    @property
    def interim_targets(self) -> tuple[Target, ...]:
        return self.targets[:-1]

    @property
    def judged_each_year(self) -> bool:
        """Whether each year's figure is held to that year's target, rather than to a path towards the last."""
        return self.every_year or self.direction is Direction.GROWTH_RATE

    def target_for(self, year: int) -> Target:
        """The target in force in `year`: the first one due in or after it (the final one once past)."""
        return next((target for target in self.targets if target.year >= year), self.final_target)


class Task(_Frozen):
    """任务: a numbered task of a plan, who answers for it, and the figures it must deliver."""

    code: Code
    number: Text
    group: TaskGroup
    name_zh: Text
    name_en: Text
    clause: Text
    note: str | None = None
    focus_zh: tuple[str, ...] = ()
    focus_en: str | None = None
    indicator_refs: tuple[Code, ...] = ()  # headline indicators this task also works towards
    responsible: Responsibility
    deliverables: tuple[Indicator, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _deliverables_answer_to_the_task(cls, data: Any) -> Any:
        # A deliverable names its own departments only where they differ from its task's.
        if isinstance(data, dict) and "responsible" in data:
            deliverables = [
                {"responsible": data["responsible"], **d} if isinstance(d, dict) else d
                for d in data.get("deliverables", ())
            ]
            return {**data, "deliverables": deliverables}
        return data


class LeadRule(Point):
    """How the text says which of several named units leads (e.g. 004: 列第一位的为牵头单位)."""

    rule: Text


@dataclass(frozen=True)
class PlanIndicator:
    """An indicator with its place in the plan: a headline indicator (task None) or a task's deliverable."""

    indicator: Indicator
    task: Task | None

    @property
    def responsible(self) -> Responsibility:
        # A plan checks on load that every indicator has its departments.
        assert self.indicator.responsible is not None
        return self.indicator.responsible


class Plan(_Frozen):
    """规划/实施方案: one plan text with its indicators and tasks, versioned."""

    code: PlanCode
    version: Annotated[int, Field(ge=1, strict=True)]
    jurisdiction: Code
    document_no: str | None = None
    index_no: str | None = None
    issuer_zh: Text
    title_zh: Text
    title_en: Text
    issued_on: date
    issued_note: str | None = None
    period_start: Year
    period_end: Year
    period_clause: Text
    source: Text
    progress_rule: PlanCode
    lead_rule: LeadRule | None = None
    indicators: tuple[Indicator, ...] = ()
    tasks: tuple[Task, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> Plan:
        if not (self.document_no or self.index_no):
            raise ValueError(f"{self.code}: a plan is identified by its document number or its index number")
        if not self.period_start <= self.period_end:
            raise ValueError(f"{self.code}: the period must start before it ends")
        if self.issued_on.year > self.period_start:
            raise ValueError(f"{self.code}: a plan cannot start before it is issued")
        everything = self.all_indicators()
        if not everything:
            raise ValueError(f"{self.code}: a plan sets at least one figure")
        codes = [item.indicator.code for item in everything]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"{self.code}: indicator codes must be unique in the plan: {duplicates}")
        task_codes = [task.code for task in self.tasks]
        if len(set(task_codes)) != len(task_codes):
            raise ValueError(f"{self.code}: task codes must be unique")
        headline = {indicator.code for indicator in self.indicators}
        for task in self.tasks:
            unknown = set(task.indicator_refs) - headline
            if unknown:
                raise ValueError(f"{self.code}: task {task.code} refers to no headline indicator {sorted(unknown)}")
        for item in everything:
            indicator = item.indicator
            if indicator.responsible is None:
                raise ValueError(f"{self.code}: indicator {indicator.code} names no responsible department")
            outside = [t.year for t in indicator.targets if not self.period_start <= t.year <= self.period_end]
            if outside:
                raise ValueError(f"{self.code}: {indicator.code} has targets outside the plan's period: {outside}")
            # The departments of a plan belong to its jurisdiction: codes are `{jurisdiction}.{unit}`.
            foreign = [d for d in indicator.responsible.departments if not d.startswith(f"{self.jurisdiction}.")]
            if foreign:
                raise ValueError(f"{self.code}: {indicator.code} names departments of another jurisdiction {foreign}")
        return self

    def all_indicators(self) -> tuple[PlanIndicator, ...]:
        """The headline indicators, then every task's deliverables, in the order of the file."""
        headline = tuple(PlanIndicator(indicator, None) for indicator in self.indicators)
        return headline + tuple(PlanIndicator(d, task) for task in self.tasks for d in task.deliverables)

    def indicator(self, code: str) -> PlanIndicator:
        """The indicator or deliverable `code`; KeyError if the plan has none."""
        return by_code(self.all_indicators(), code, lambda item: item.indicator.code)

    def departments(self) -> frozenset[str]:
        """Every department the plan makes responsible for a figure or a task."""
        named = {d for item in self.all_indicators() for d in item.responsible.departments}
        return frozenset(named | {d for task in self.tasks for d in task.responsible.departments})
