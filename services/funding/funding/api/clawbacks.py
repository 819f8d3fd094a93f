"""Clawbacks ordered when a center is delisted or cancelled, and their repayment."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from funding import service
from funding.api.schemas import Clawback, NewRepayment
from funding.store import queries
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.problems import NotFound
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
    rows = await queries.list_clawbacks(
        session,
        principal,
        status=status,
        district=district,
        after=cursor_field(cursor, "n") if cursor else None,
        limit=limit,
    )
    items = [Clawback.of(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"n": rows[limit - 1].n}) if len(rows) > limit else None
    return Page[Clawback](items=items, next_cursor=next_cursor)


@router.get("/clawbacks/{clawback_id}", response_model=Clawback, summary="One clawback")
async def get_clawback(
    clawback_id: uuid.UUID,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:read")],
) -> Clawback:
    row = await queries.visible_clawback(session, principal, clawback_id)
    if row is None:
        raise NotFound("clawback", clawback_id)
    set_etag(response, service.clawback_etag(row))
    return Clawback.of(row)


@router.post(
    "/clawbacks/{clawback_id}/repayments", response_model=Clawback, status_code=201, summary="Record a repayment"
)
async def record_repayment(
    clawback_id: uuid.UUID,
    body: NewRepayment,
    session: SessionDep,
    idem: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, scoped("funding:write")],
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    row = await service.record_repayment(
        session,
        principal,
        clawback_id,
        amount_fen=body.amount_fen,
        repaid_on=body.repaid_on or service.today(),
        if_match=if_match,
    )
    center = await queries.center(session, row.center_id)
    result = Clawback.of(row).model_copy(update={"district": center.district if center else None})
    set_etag(response, service.clawback_etag(row))
    return await idem.save(result, status_code=201, headers={"ETag": service.clawback_etag(row)})
