"""Grants per center and funding year (calculate, approve, disburse), budgets and totals."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from funding import service
from funding.api.schemas import (
    Budget,
    BudgetPut,
    CalculateGrant,
    CenterCap,
    Grant,
    JurisdictionTotal,
    OpenGrant,
)
from funding.domain.grants import COMMITTED_STATUSES, GrantStatus
from funding.domain.policy import CapabilityInvestmentShareRule
from funding.store import queries
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.problems import NotFound, problem
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["grants"])

Year = Annotated[int, Query(ge=1900, le=2200)]
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
    rows = await queries.list_grants(
        session,
        principal,
        center_id=center_id,
        budget_year=year,
        funding_year=funding_year,
        status=status.value if status else None,
        district=district,
        policy=policy,
        after=cursor_field(cursor, "n") if cursor else None,
        limit=limit,
    )
    items = [Grant.of(row, with_trace=False) for row in rows[:limit]]
    next_cursor = encode_cursor({"n": rows[limit - 1].n}) if len(rows) > limit else None
    return Page[Grant](items=items, next_cursor=next_cursor)


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
    response: Response,
    principal: Annotated[Principal, scoped("funding:write")],
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    outcome = await service.open_grant(
        session,
        principal,
        center_id=body.center_id,
        policy_code=body.policy,
        funding_year=body.funding_year,
        trigger=body.trigger,
    )
    return await _answer(idem, response, outcome, status_code=201)


@router.get("/grants/{grant_id}", response_model=Grant, summary="One grant with its trace")
async def get_grant(
    grant_id: GrantId, session: SessionDep, response: Response, principal: Annotated[Principal, scoped("funding:read")]
) -> Grant:
    row = await queries.visible_grant(session, principal, grant_id)
    if row is None:
        raise NotFound("grant", grant_id)
    set_etag(response, service.grant_etag(row))
    return Grant.of(row)


async def _answer(idem: Any, response: Response, outcome: service.GrantOutcome, status_code: int = 200) -> Any:
    result = Grant.of(outcome.row, district=outcome.district)
    etag = service.grant_etag(outcome.row)
    set_etag(response, etag)
    return await idem.save(result, status_code=status_code, headers={"ETag": etag})


@router.post("/grants/{grant_id}/calculate", response_model=Grant, summary="Calculate from the projection")
async def calculate_grant(
    grant_id: GrantId,
    body: CalculateGrant,
    session: SessionDep,
    idem: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:write")],
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    outcome = await service.calculate_grant(
        session,
        principal,
        grant_id,
        investment=body.verified_investment_fen,
        overlap=body.overlapping_grant_fen,
        if_match=if_match,
    )
    return await _answer(idem, response, outcome)


@router.post("/grants/{grant_id}/approve", response_model=Grant, summary="Approve within the year's budget")
async def approve_grant(
    grant_id: GrantId,
    request: Request,
    session: SessionDep,
    idem: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:approve")],
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    outcome = await service.approve_grant(session, request.app.state.db, principal, grant_id, if_match=if_match)
    return await _answer(idem, response, outcome)


@router.post("/grants/{grant_id}/disburse", response_model=Grant, summary="Disburse once onto the center's ledger")
async def disburse_grant(
    grant_id: GrantId,
    session: SessionDep,
    idem: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:disburse")],
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    outcome = await service.disburse_grant(session, principal, grant_id, if_match=if_match)
    return await _answer(idem, response, outcome)


# ---- budgets and totals ----


async def _budget(session: Any, row: Any, principal: Principal) -> Budget:
    # A district officer or a center sees what its own grants draw on the budget, never the city's total
    # (nor the remainder, which would give the total away).
    committed = await queries.committed_fen(
        session, row.jurisdiction, row.year, [s.value for s in COMMITTED_STATUSES], principal
    )
    disbursed = await queries.committed_fen(
        session, row.jurisdiction, row.year, [GrantStatus.DISBURSED.value], principal
    )
    return Budget(
        jurisdiction=row.jurisdiction,
        year=row.year,
        budget_fen=row.budget_fen,
        committed_fen=committed,
        disbursed_fen=disbursed,
        remaining_fen=row.budget_fen - committed if principal.sees_everything else None,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


@router.get("/budgets", response_model=list[Budget], summary="Yearly budgets per jurisdiction, against commitments")
async def list_budgets(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    jurisdiction: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> list[Budget]:
    rows = await queries.list_budgets(session, jurisdiction=jurisdiction, year=year)
    return [await _budget(session, row, principal) for row in rows]


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
    row = await service.set_budget(
        session, principal, jurisdiction=jurisdiction, year=year, budget_fen=body.budget_fen, if_match=if_match
    )
    set_etag(response, service.budget_etag(row.jurisdiction, row.year, row.version))
    return await _budget(session, row, principal)


@router.get("/totals", response_model=list[JurisdictionTotal], summary="Grant totals per jurisdiction and budget year")
async def get_totals(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> list[JurisdictionTotal]:
    items = []
    for row in await queries.totals(session, principal, year):
        budget = await queries.budget(session, row.jurisdiction, row.budget_year)
        budget_fen = None if budget is None else budget.budget_fen
        items.append(
            JurisdictionTotal(
                jurisdiction=row.jurisdiction,
                budget_year=row.budget_year,
                grants=row.grants,
                calculated_fen=row.calculated_fen,
                committed_fen=row.committed_fen,
                disbursed_fen=row.disbursed_fen,
                budget_fen=budget_fen,
                remaining_fen=None if budget_fen is None else budget_fen - row.committed_fen,
                within_budget=None if budget_fen is None else row.committed_fen <= budget_fen,
            )
        )
    return items


def cap_of(policy_code: str, granted_fen: int, disbursed_fen: int, center_id: uuid.UUID, district: str) -> CenterCap:
    policy = service.rules().policies.get(policy_code)
    cap = (
        policy.rule.total_cap_fen.value
        if policy is not None and isinstance(policy.rule, CapabilityInvestmentShareRule)
        else None
    )
    return CenterCap(
        center_id=center_id,
        district=district,
        policy=policy_code,
        granted_fen=granted_fen,
        disbursed_fen=disbursed_fen,
        total_cap_fen=cap,
        room_left_fen=None if cap is None else max(0, cap - granted_fen),
    )


@router.get("/caps", response_model=Page[CenterCap], summary="Each center's grants against its policy's total cap")
async def list_caps(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    district: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Page[CenterCap]:
    after = cursor_field(cursor, "c", uuid.UUID) if cursor else None
    rows = await queries.granted_by_center(session, principal, district=district, after=after, limit=limit)
    items = [
        cap_of(r.policy_code, int(r.granted_fen), int(r.disbursed_fen), r.center_id, r.district) for r in rows[:limit]
    ]
    next_cursor = encode_cursor({"c": str(rows[limit - 1].center_id)}) if len(rows) > limit else None
    return Page[CenterCap](items=items, next_cursor=next_cursor)
