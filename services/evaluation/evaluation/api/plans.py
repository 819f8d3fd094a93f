"""Plans: every target of every jurisdiction's plan, the figures its departments report, the bureau's decisions,
and where each indicator stands (met, on track, behind, no data) with the reason in both languages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from evaluation.plans import service
from evaluation.plans.catalog import list_plans, load_departments, load_plan, load_progress_rule
from evaluation.plans.model import Plan, PlanIndicator
from evaluation.plans.progress import IndicatorProgress, StatusCounts, by_department, path_points
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.problems import NotFound
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["plans"])

PlanCode = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
IndicatorCode = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9_]+$")]
Reader = Annotated[Principal, scoped("plans:read")]
_COMMAND: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}, 422: {}}


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


class TargetOut(_Out):
    year: int
    value: Decimal
    upper: Decimal | None = None
    clause: str


class IndicatorRow(_Out):
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


class PlanOut(PlanSummary):
    issuer_zh: str
    period_clause: str
    progress_rule: str
    indicator_rows: list[IndicatorRow]


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
        return service.exact(value)


class PathPointOut(_Out):
    year: int
    value: Decimal
    source: str


class IndicatorOut(IndicatorRow):
    plan: str
    reports: list[ReportOut] = Field(description="Every figure reported, every revision, oldest first")
    path: list[PathPointOut] = Field(description="The straight path the figures are judged against")
    due_month_day: str = Field(examples=["03-31"], description="A year's figure is due by this day of the next")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1949, le=2200)
    value: Decimal = Field(ge=Decimal("-1e15"), le=Decimal("1e15"), max_digits=24, decimal_places=6)
    source: str = Field(min_length=1, max_length=500, examples=["临海市2024年国民经济和社会发展统计公报"])
    note: str | None = Field(default=None, max_length=2000)
    correction_reason: str | None = Field(
        default=None, min_length=1, max_length=2000, description="Required to correct an accepted figure"
    )


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, examples=["口径与统计公报不一致，请核对后重报"])


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


class DepartmentOut(_Out):
    code: str
    zh: str
    en: str
    leads: StatusCounts
    co: StatusCounts
    behind: list[str] = Field(description="{plan}/{indicator} of the figures it leads that are behind")
    to_report: list[OverdueOut] = Field(description="Its overdue figures")
    returned: list[ReportOut] = Field(description="Its reports the bureau gave back, newest first")


# ---- helpers ----


def _plans() -> list[Plan]:
    return [load_plan(code) for code in list_plans()]


def _row(principal: Principal, item: PlanIndicator, judged: IndicatorProgress) -> dict[str, Any]:
    indicator = item.indicator
    return {
        "code": indicator.code,
        "number": indicator.number,
        "task": item.task.code if item.task else None,
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "unit": indicator.unit.value,
        "direction": indicator.direction.value,
        "kind": indicator.kind.value,
        "clause": indicator.clause,
        "lead": item.responsible.lead,
        "co": list(item.responsible.co),
        "baseline_year": indicator.baseline.year if indicator.baseline else None,
        "baseline": indicator.baseline.value if indicator.baseline else None,
        "targets": [TargetOut(year=t.year, value=t.value, upper=t.upper, clause=t.clause) for t in indicator.targets],
        "progress": judged,
        "may_report": service.may_report(principal, item),
    }


def _summary(principal: Principal, plan: Plan, judged: list[IndicatorProgress]) -> dict[str, Any]:
    return {
        "code": plan.code,
        "jurisdiction": plan.jurisdiction,
        "title_zh": plan.title_zh,
        "title_en": plan.title_en,
        "document_no": plan.document_no,
        "issued_on": plan.issued_on,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "indicators": len(judged),
        "counts": StatusCounts.of(item.status for item in judged),
    }


async def _visible_progress(session: Any, principal: Principal, plan: Plan) -> list[IndicatorProgress]:
    codes = {item.indicator.code for item in service.visible(principal, plan)}
    return [item for item in (await service.progress(session, plan)).items if item.indicator in codes]


def _overdue_out(found: service.Overdue) -> OverdueOut:
    return OverdueOut(
        plan=found.plan.code,
        indicator=found.item.indicator.code,
        name_zh=found.item.indicator.name_zh,
        name_en=found.item.indicator.name_en,
        year=found.year,
        due_on=found.due_on,
        lead=found.item.responsible.lead,
        co=list(found.item.responsible.co),
        last_status=found.last_status,
    )


def _report_response(row: Any, status_code: int = 200) -> JSONResponse:
    body = jsonable_encoder(ReportOut.model_validate(row))
    return JSONResponse(body, status_code=status_code, headers={"ETag": service.report_etag(row)})


# ---- reads ----


@router.get("/plans", summary="Every plan, with how many of the caller's indicators stand where")
async def list_all(session: SessionDep, principal: Reader) -> list[PlanSummary]:
    found = []
    for plan in _plans():
        judged = await _visible_progress(session, principal, plan)
        if judged:
            found.append(PlanSummary(**_summary(principal, plan, judged)))
    return found


@router.get("/plans/overdue", summary="Reported figures past their due date, with no figure accepted or waiting")
async def list_overdue(session: SessionDep, principal: Reader) -> list[OverdueOut]:
    return [_overdue_out(found) for found in await service.overdue(session, principal, _plans())]


class DepartmentName(_Out):
    code: str = Field(examples=["linhai.economy_information"])
    jurisdiction: str
    zh: str
    en: str
    kind: str


@router.get("/plans/departments", summary="The departments the plans make responsible, by jurisdiction")
async def list_departments(_: Reader) -> list[DepartmentName]:
    found = []
    for jurisdiction in sorted({plan.jurisdiction for plan in _plans()}):
        for known in load_departments(jurisdiction).departments:
            found.append(
                DepartmentName(
                    code=known.code, jurisdiction=jurisdiction, zh=known.zh, en=known.en, kind=known.kind.value
                )
            )
    return found


@router.get(
    "/plans/departments/{department}",
    summary="A department's standing across the plans, its overdue figures and returned reports",
    responses={404: {}},
)
async def department(
    department: Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")],
    session: SessionDep,
    principal: Reader,
) -> DepartmentOut:
    if service.is_department(principal) and principal.department != department:
        raise NotFound("department", department)
    jurisdiction = department.split(".", 1)[0]
    try:
        known = load_departments(jurisdiction).get(department)
    except (KeyError, Exception) as error:
        raise NotFound("department", department) from error
    plans = [plan for plan in _plans() if plan.jurisdiction == jurisdiction]
    judged = [(plan, await service.progress(session, plan)) for plan in plans]
    standing = next((d for d in by_department(judged) if d.department == department), None)
    mine = [o for o in await service.overdue(session, principal, plans) if department in o.item.responsible.departments]
    returned = []
    for plan in plans:
        for row in await service.store.reports_of(session, plan.code):
            if row.status == "returned" and row.department == department:
                returned.append(ReportOut.model_validate(row))
    return DepartmentOut(
        code=known.code,
        zh=known.zh,
        en=known.en,
        leads=standing.leads if standing else StatusCounts(),
        co=standing.co if standing else StatusCounts(),
        behind=list(standing.behind) if standing else [],
        to_report=[_overdue_out(o) for o in mine],
        returned=sorted(returned, key=lambda r: r.reported_at, reverse=True),
    )


@router.get("/plans/{code}", summary="A plan with the caller's indicators and where each stands", responses={404: {}})
async def get_plan(code: PlanCode, session: SessionDep, principal: Reader) -> PlanOut:
    plan = service.plan_or_404(code)
    progress = {item.indicator: item for item in (await service.progress(session, plan)).items}
    items = service.visible(principal, plan)
    if not items:
        raise NotFound("plan", code)
    judged = [progress[item.indicator.code] for item in items]
    return PlanOut(
        **_summary(principal, plan, judged),
        issuer_zh=plan.issuer_zh,
        period_clause=plan.period_clause,
        progress_rule=plan.progress_rule,
        indicator_rows=[IndicatorRow(**_row(principal, item, progress[item.indicator.code])) for item in items],
    )


@router.get(
    "/plans/{code}/indicators/{indicator}",
    summary="An indicator: its targets, every reported figure and revision, its path and where it stands",
    responses={404: {}},
)
async def get_indicator(
    code: PlanCode, indicator: IndicatorCode, session: SessionDep, principal: Reader
) -> IndicatorOut:
    plan = service.plan_or_404(code)
    item = service.indicator_or_404(principal, plan, indicator)
    actuals = await service.actuals(session, plan)
    rule = load_progress_rule(plan.progress_rule)
    judged = service.judge_one(plan, item, actuals)
    reports = await service.store.reports_of(session, plan.code, [indicator])
    return IndicatorOut(
        **_row(principal, item, judged),
        plan=plan.code,
        reports=[ReportOut.model_validate(row) for row in reports],
        path=[
            PathPointOut(year=p.year, value=p.value, source=p.source)
            for p in path_points(item.indicator, actuals.get(indicator, ()), rule)
        ],
        due_month_day=f"{rule.reporting.due_month:02d}-{rule.reporting.due_day:02d}",
    )


# ---- commands ----


@router.post(
    "/plans/{code}/indicators/{indicator}/reports",
    summary="Report an indicator's figure of a year (a correction of an accepted one gives its reason)",
    status_code=201,
    response_model=ReportOut,
    responses={**_COMMAND, 403: {}},
)
async def report(
    code: PlanCode,
    indicator: IndicatorCode,
    body: ReportIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("plans:report")],
    idem: IdempotencyDep,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    plan = service.plan_or_404(code)
    row = await service.report(
        session,
        principal,
        plan,
        indicator,
        service.Figure(body.year, body.value, body.source, body.note, body.correction_reason),
    )
    if idem.key is None:
        return _report_response(row, 201)
    return await idem.save(ReportOut.model_validate(row), status_code=201, headers={"ETag": service.report_etag(row)})


@router.post(
    "/plans/reports/{report_id}/accept",
    summary="Accept a reported figure: it counts from now on (a correction replaces the year's earlier one)",
    response_model=ReportOut,
    responses=_COMMAND,
)
async def accept(
    report_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("plans:accept")],
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    row = await service.accept(session, principal, report_id, if_match)
    set_etag(response, service.report_etag(row))
    return ReportOut.model_validate(row)


@router.post(
    "/plans/reports/{report_id}/return",
    summary="Give a reported figure back to its department with the reason",
    response_model=ReportOut,
    responses=_COMMAND,
)
async def give_back(
    report_id: uuid.UUID,
    body: ReturnIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("plans:accept")],
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    row = await service.give_back(session, principal, report_id, body.reason, if_match)
    set_etag(response, service.report_etag(row))
    return ReportOut.model_validate(row)
