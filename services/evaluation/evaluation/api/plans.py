"""Plans: every target of every jurisdiction's plan, the figures its departments report, the bureau's decisions,
and where each indicator stands (met, on track, behind, no data) with the reason in both languages."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from evaluation.api.plan_schemas import (
    DepartmentName,
    DepartmentOut,
    IndicatorOut,
    OverdueOut,
    PlanOut,
    PlanSummary,
    ReportOut,
)
from evaluation.service import plan_reports, plans
from evaluation.service.plan_reports import Figure
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["plans"])

PlanCode = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
IndicatorCode = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9_]+$")]
Reader = Annotated[Principal, scoped("plans:read")]
_COMMAND: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}, 422: {}}


# The request bodies live here: the contract names this ReportIn by its module (evaluation__api__plans__ReportIn),
# apart from the evaluations' ReportIn in api/schemas.py.


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1949, le=2200)
    value: Decimal = Field(
        ge=0,
        le=Decimal("1e15"),
        max_digits=24,
        decimal_places=6,
        description="The year's level in the indicator's unit (money in whole fen); none is below zero",
    )
    source: str = Field(min_length=1, max_length=500, examples=["临海市2024年国民经济和社会发展统计公报"])
    note: str | None = Field(default=None, max_length=2000)
    correction_reason: str | None = Field(
        default=None, min_length=1, max_length=2000, description="Required to correct an accepted figure"
    )


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, examples=["口径与统计公报不一致，请核对后重报"])


# ---- reads ----


@router.get("/plans", summary="Every plan, with how many of the caller's indicators stand where")
async def list_all(session: SessionDep, principal: Reader) -> list[PlanSummary]:
    return [PlanSummary.of(view) for view in await plans.list_plans_seen(session, principal=principal)]


@router.get("/plans/overdue", summary="Reported figures past their due date, with no figure accepted or waiting")
async def list_overdue(session: SessionDep, principal: Reader) -> list[OverdueOut]:
    return [OverdueOut.of(found) for found in await plans.overdue(session, principal=principal)]


@router.get("/plans/departments", summary="The departments the plans make responsible, by jurisdiction")
async def list_departments(_: Reader) -> list[DepartmentName]:
    return [DepartmentName.of(jurisdiction, known) for jurisdiction, known in plans.list_departments()]


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
    return DepartmentOut.of(await plans.get_department(session, principal=principal, department=department))


@router.get("/plans/{code}", summary="A plan with the caller's indicators and where each stands", responses={404: {}})
async def get_plan(code: PlanCode, session: SessionDep, principal: Reader) -> PlanOut:
    return PlanOut.of(await plans.get_plan(session, principal=principal, code=code))


@router.get(
    "/plans/{code}/indicators/{indicator}",
    summary="An indicator: its targets, every reported figure and revision, its path and where it stands",
    responses={404: {}},
)
async def get_indicator(
    code: PlanCode, indicator: IndicatorCode, session: SessionDep, principal: Reader
) -> IndicatorOut:
    return IndicatorOut.of(await plans.get_indicator(session, principal=principal, code=code, indicator=indicator))


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
    figure = Figure(body.year, body.value, body.source, body.note, body.correction_reason)
    return await idem.run(
        lambda: plan_reports.report_figure(
            session, principal=principal, plan_code=code, indicator=indicator, figure=figure
        ),
        present=ReportOut.of,
        etag=plans.report_etag,
        status_code=201,
    )


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
    row = await plan_reports.accept_figure(session, principal=principal, report_id=report_id, if_match=if_match)
    set_etag(response, plans.report_etag(row))
    return ReportOut.of(row)


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
    row = await plan_reports.return_figure(
        session, principal=principal, report_id=report_id, reason=body.reason, if_match=if_match
    )
    set_etag(response, plans.report_etag(row))
    return ReportOut.of(row)
