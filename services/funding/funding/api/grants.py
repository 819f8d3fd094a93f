"""Grants per center and funding year (open, calculate, approve, disburse), budgets, totals and caps."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from funding.api.schemas import (
    Budget,
    BudgetPut,
    CalculateGrant,
    CenterCap,
    Grant,
    JurisdictionTotal,
    OpenGrant,
)
from funding.domain.grants import GrantStatus
from funding.service import budgets, caps, grants
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, page_of
from tic_shared.problems import problem
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["grants"])

GrantId = Annotated[uuid.UUID, Path()]


@router.get("/grants", response_model=Page[Grant], summary="Grants by budget year, funding year, status, district")
async def list_grants(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    year: Annotated[int | None, Query(ge=1900, le=2200, description="The budget (calendar) year.")] = None,
    funding_year: Annotated[int | None, Query(ge=1, le=100)] = None,
    status: GrantStatus | None = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    center_id: uuid.UUID | None = None,
    policy: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[Grant]:
    found = await grants.list_grants(
        session,
        principal=principal,
        center_id=center_id,
        budget_year=year,
        funding_year=funding_year,
        status=status,
        district=district,
        policy=policy,
        after=cursor_field(cursor, "n") if cursor else None,
        limit=limit,
    )
    return page_of(
        Page[Grant],
        found,
        limit=limit,
        present=lambda located: Grant.of(located, with_trace=False),
        position=lambda located: {"n": located.record.n},
    )


@router.post(
    "/grants",
    response_model=Grant,
    status_code=201,
    summary="Open a grant: a later year, or an award",
    responses={404: problem(404, "The center is not known to funding, or not visible to you")},
)
async def open_grant(
    body: OpenGrant,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("funding:write")],
) -> Any:
    return await idem.run(
        lambda: grants.open_grant(
            session,
            principal=principal,
            center_id=body.center_id,
            policy_code=body.policy,
            funding_year=body.funding_year,
            trigger=body.trigger,
        ),
        present=Grant.of,
        etag=grants.grant_etag,
        status_code=201,
    )


@router.get("/grants/{grant_id}", response_model=Grant, summary="One grant with its trace")
async def get_grant(
    grant_id: GrantId, session: SessionDep, response: Response, principal: Annotated[Principal, scoped("funding:read")]
) -> Grant:
    found = await grants.get_grant(session, principal=principal, grant_id=grant_id)
    set_etag(response, grants.grant_etag(found))
    return Grant.of(found)


@router.post("/grants/{grant_id}/calculate", response_model=Grant, summary="Calculate from the projection")
async def calculate_grant(
    grant_id: GrantId,
    body: CalculateGrant,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("funding:write")],
    if_match: IfMatch = None,
) -> Any:
    return await idem.run(
        lambda: grants.calculate_grant(
            session,
            principal=principal,
            grant_id=grant_id,
            investment=body.verified_investment_fen,
            overlap=body.overlapping_grant_fen,
            if_match=if_match,
        ),
        present=Grant.of,
        etag=grants.grant_etag,
    )


@router.post("/grants/{grant_id}/approve", response_model=Grant, summary="Approve within the year's budget")
async def approve_grant(
    grant_id: GrantId,
    request: Request,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("funding:approve")],
    if_match: IfMatch = None,
) -> Any:
    return await idem.run(
        lambda: grants.approve_grant(
            session, db=request.app.state.db, principal=principal, grant_id=grant_id, if_match=if_match
        ),
        present=Grant.of,
        etag=grants.grant_etag,
    )


@router.post("/grants/{grant_id}/disburse", response_model=Grant, summary="Disburse once onto the center's ledger")
async def disburse_grant(
    grant_id: GrantId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("funding:disburse")],
    if_match: IfMatch = None,
) -> Any:
    return await idem.run(
        lambda: grants.disburse_grant(session, principal=principal, grant_id=grant_id, if_match=if_match),
        present=Grant.of,
        etag=grants.grant_etag,
    )


# ---- budgets, totals and caps ----


@router.get("/budgets", response_model=list[Budget], summary="Yearly budgets per jurisdiction, against commitments")
async def list_budgets(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    jurisdiction: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> list[Budget]:
    found = await budgets.list_budgets(session, principal=principal, jurisdiction=jurisdiction, year=year)
    return [Budget.of(budget) for budget in found]


@router.put("/budgets/{jurisdiction}/{year}", response_model=Budget, summary="Set a jurisdiction's yearly budget")
async def put_budget(
    jurisdiction: Annotated[str, Path(max_length=40)],
    year: Annotated[int, Path(ge=1900, le=2200)],
    body: BudgetPut,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:write")],
    if_match: IfMatch = None,
) -> Budget:
    budget = await budgets.set_budget(
        session,
        principal=principal,
        jurisdiction=jurisdiction,
        year=year,
        budget_fen=body.budget_fen,
        if_match=if_match,
    )
    set_etag(response, budgets.budget_etag(budget))
    return Budget.of(budget)


@router.get("/totals", response_model=list[JurisdictionTotal], summary="Grant totals per jurisdiction and budget year")
async def get_totals(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> list[JurisdictionTotal]:
    return [JurisdictionTotal.of(total) for total in await budgets.list_totals(session, principal=principal, year=year)]


@router.get("/caps", response_model=Page[CenterCap], summary="Each center's grants against its policy's total cap")
async def list_caps(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    district: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Page[CenterCap]:
    after = cursor_field(cursor, "c", uuid.UUID) if cursor else None
    found = await caps.list_caps(session, principal=principal, district=district, after=after, limit=limit)
    return page_of(
        Page[CenterCap],
        found,
        limit=limit,
        present=CenterCap.of,
        position=lambda cap: {"c": str(cap.granted.center_id)},
    )
