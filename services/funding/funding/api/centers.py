"""The centers as funding knows them: their funding history, their ledger (专账) and expenditures."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from funding.api.schemas import Center, FundingHistory, Ledger, NewExpenditure, RecordedExpenditure
from funding.service import centers, history, ledger
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep
from tic_shared.pagination import Page, cursor_field, page_of
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["centers"])

Reader = Annotated[Principal, scoped("funding:read")]


@router.get("/centers", response_model=Page[Center], summary="The centers projected from registry events")
async def list_centers(
    session: SessionDep,
    principal: Reader,
    district: Annotated[str | None, Query(max_length=40)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Page[Center]:
    found = await centers.list_centers(
        session,
        principal=principal,
        district=district,
        jurisdiction=jurisdiction,
        status=status,
        after=cursor_field(cursor, "c", uuid.UUID) if cursor else None,
        limit=limit,
    )
    return page_of(
        Page[Center], found, limit=limit, present=Center.of, position=lambda center: {"c": str(center.center_id)}
    )


@router.get(
    "/centers/{center_id}/funding",
    response_model=FundingHistory,
    summary="A center's funding history: grants with their traces, ledger, clawback, caps",
)
async def funding_history(center_id: uuid.UUID, session: SessionDep, principal: Reader) -> FundingHistory:
    return FundingHistory.of(await history.get_funding_history(session, principal=principal, center_id=center_id))


@router.get("/centers/{center_id}/ledger", response_model=Ledger, summary="A center's ledger entries and totals")
async def get_ledger(
    center_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Ledger:
    page = await ledger.get_ledger(
        session,
        principal=principal,
        center_id=center_id,
        after=cursor_field(cursor, "n") if cursor else None,
        limit=limit,
    )
    return Ledger.of(page, limit=limit)


@router.post(
    "/centers/{center_id}/expenditures",
    response_model=RecordedExpenditure,
    status_code=201,
    summary="Record spending of subsidy; a forbidden category is recorded and flagged non-compliant",
)
async def record_expenditure(
    center_id: uuid.UUID,
    body: NewExpenditure,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("funding:expenditure")],
) -> Any:
    return await idem.run(
        lambda: ledger.record_expenditure(
            session,
            principal=principal,
            center_id=center_id,
            category=body.category,
            amount_fen=body.amount_fen,
            spent_on=body.spent_on,
            description=body.description,
        ),
        present=RecordedExpenditure.of,
        status_code=201,
    )
