"""Response bodies of the plans API (the plans' request bodies stay in `api/plans.py`: the contract names one of
them by that module)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evaluation.api.schemas import present
from evaluation.plans.departments import Department
from evaluation.plans.progress import IndicatorProgress, StatusCounts
from evaluation.plans.units import exact
from evaluation.service.plans import DepartmentView, IndicatorStanding, IndicatorView, Overdue, PlanView
from evaluation.store.records import PlanReportRecord


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PlanSummary(_Out):
    code: str = Field(examples=["linhai-315-2023"])
    jurisdiction: str
    title_zh: str
    title_en: str
    document_no: str | None
    issued_on: date
    period_start: int
    period_end: int
    indicators: int = Field(description="The indicators the caller may see")
    counts: StatusCounts

    @classmethod
    def of(cls, view: PlanView) -> Self:
        return present(cls, view.plan, **_counted(view))


def _counted(view: PlanView) -> dict[str, Any]:
    """How many of the plan's indicators the caller sees, and where they stand."""
    return {
        "indicators": len(view.indicators),
        "counts": StatusCounts.of(each.progress.status for each in view.indicators),
    }


class TargetOut(_Out):
    year: int
    value: Decimal
    upper: Decimal | None = None
    clause: str


class _IndicatorFields(_Out):
    code: str
    number: str | None
    task: str | None = Field(description="The task whose deliverable it is; none for a headline indicator")
    name_zh: str
    name_en: str
    unit: str
    direction: str
    kind: str = Field(description="reported (a department enters it) or derived (the platform counts it)")
    clause: str
    lead: str
    co: list[str]
    baseline_year: int | None
    baseline: Decimal | None
    targets: list[TargetOut]
    progress: IndicatorProgress
    may_report: bool


class IndicatorRow(_IndicatorFields):
    @classmethod
    def of(cls, standing: IndicatorStanding) -> Self:
        return present(cls, standing.item.indicator, **_row(standing))


def _row(standing: IndicatorStanding) -> dict[str, Any]:
    """An indicator's row, but for what its plan's file names it by (code, number, names, clause)."""
    item = standing.item
    indicator = item.indicator
    return {
        "task": item.task.code if item.task else None,
        "unit": indicator.unit.value,
        "direction": indicator.direction.value,
        "kind": indicator.kind.value,
        "lead": item.responsible.lead,
        "co": list(item.responsible.co),
        "baseline_year": indicator.baseline.year if indicator.baseline else None,
        "baseline": indicator.baseline.value if indicator.baseline else None,
        "targets": [present(TargetOut, target) for target in indicator.targets],
        "progress": standing.progress,
        "may_report": standing.may_report,
    }


class PlanOut(PlanSummary):
    issuer_zh: str
    period_clause: str
    progress_rule: str
    indicator_rows: list[IndicatorRow]

    @classmethod
    def of(cls, view: PlanView) -> Self:
        rows = [IndicatorRow.of(standing) for standing in view.indicators]
        return present(cls, view.plan, **_counted(view), indicator_rows=rows)


class ReportOut(_Out):
    id: uuid.UUID
    plan: str
    indicator: str
    year: int
    revision: int
    value: Decimal
    source: str
    note: str | None
    correction_reason: str | None
    department: str
    reported_by: str
    reported_at: datetime
    status: str = Field(description="reported | accepted | returned | superseded")
    decided_by: str | None
    decided_at: datetime | None
    return_reason: str | None

    @field_validator("value", mode="after")
    @classmethod
    def _as_written(cls, value: Decimal) -> Decimal:
        return exact(value)

    @classmethod
    def of(cls, report: PlanReportRecord) -> Self:
        return cls.model_validate(report)


class PathPointOut(_Out):
    year: int
    value: Decimal
    source: str


class IndicatorOut(_IndicatorFields):
    plan: str
    reports: list[ReportOut] = Field(description="Every figure reported, every revision, oldest first")
    path: list[PathPointOut] = Field(description="The straight path the figures are judged against")
    due_month_day: str = Field(examples=["03-31"], description="A year's figure is due by this day of the next")

    @classmethod
    def of(cls, view: IndicatorView) -> Self:
        reporting = view.rule.reporting
        return present(
            cls,
            view.standing.item.indicator,
            **_row(view.standing),
            plan=view.plan.code,
            reports=[ReportOut.of(row) for row in view.reports],
            path=[present(PathPointOut, point) for point in view.path],
            due_month_day=f"{reporting.due_month:02d}-{reporting.due_day:02d}",
        )


class OverdueOut(_Out):
    plan: str
    indicator: str
    name_zh: str
    name_en: str
    year: int
    due_on: date
    lead: str
    co: list[str]
    last_status: str | None = Field(description="returned, when the last report was given back; none if none came")

    @classmethod
    def of(cls, found: Overdue) -> Self:
        indicator, responsible = found.item.indicator, found.item.responsible
        return present(
            cls,
            found,
            plan=found.plan.code,
            indicator=indicator.code,
            name_zh=indicator.name_zh,
            name_en=indicator.name_en,
            lead=responsible.lead,
            co=list(responsible.co),
        )


class DepartmentOut(_Out):
    code: str
    zh: str
    en: str
    leads: StatusCounts
    co: StatusCounts
    behind: list[str] = Field(description="{plan}/{indicator} of the figures it leads that are behind")
    to_report: list[OverdueOut] = Field(description="Its overdue figures")
    returned: list[ReportOut] = Field(description="Its reports the bureau gave back, newest first")

    @classmethod
    def of(cls, view: DepartmentView) -> Self:
        standing = view.standing
        return cls(
            code=view.department.code,
            zh=view.department.zh,
            en=view.department.en,
            leads=standing.leads if standing else StatusCounts(),
            co=standing.co if standing else StatusCounts(),
            behind=list(standing.behind) if standing else [],
            to_report=[OverdueOut.of(found) for found in view.overdue],
            returned=[ReportOut.of(row) for row in view.returned],
        )


class DepartmentName(_Out):
    code: str = Field(examples=["linhai.economy_information"])
    jurisdiction: str
    zh: str
    en: str
    kind: str

    @classmethod
    def of(cls, jurisdiction: str, known: Department) -> Self:
        return present(cls, known, jurisdiction=jurisdiction, kind=known.kind.value)
