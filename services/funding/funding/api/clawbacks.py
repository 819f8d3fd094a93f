"""Clawbacks ordered when a center is delisted or cancelled, and their repayment."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from funding.api.schemas import Clawback, NewRepayment
from funding.service import clawbacks
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, page_of
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["clawbacks"])


@router.get("/clawbacks", response_model=Page[Clawback], summary="Clawbacks, e.g. ?status=outstanding")
async def list_clawbacks(
    session: SessionDep,
    principal: Annotated[Principal, scoped("funding:read")],
    status: Annotated[str | None, Query(pattern="^(outstanding|repaid|nothing_due|reversed)$")] = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[Clawback]:
    found = await clawbacks.list_clawbacks(
        session,
        principal=principal,
        status=status,
        district=district,
        after=cursor_field(cursor, "n") if cursor else None,
        limit=limit,
    )
    return page_of(
        Page[Clawback], found, limit=limit, present=Clawback.of, position=lambda located: {"n": located.record.n}
    )


@router.get("/clawbacks/{clawback_id}", response_model=Clawback, summary="One clawback")
async def get_clawback(
    clawback_id: uuid.UUID,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:read")],
) -> Clawback:
    found = await clawbacks.get_clawback(session, principal=principal, clawback_id=clawback_id)
    set_etag(response, clawbacks.clawback_etag(found))
    return Clawback.of(found)


@router.post(
    "/clawbacks/{clawback_id}/repayments", response_model=Clawback, status_code=201, summary="Record a repayment"
)
async def record_repayment(
    clawback_id: uuid.UUID,
    body: NewRepayment,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("funding:write")],
    if_match: IfMatch = None,
) -> Any:
    return await idem.run(
        lambda: clawbacks.record_repayment(
            session,
            principal=principal,
            clawback_id=clawback_id,
            amount_fen=body.amount_fen,
            repaid_on=body.repaid_on,
            if_match=if_match,
        ),
        present=Clawback.of,
        etag=clawbacks.clawback_etag,
        status_code=201,
    )
