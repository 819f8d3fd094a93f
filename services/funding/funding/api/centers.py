"""The centers as funding knows them: their funding history, their ledger (专账) and expenditures."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from funding import service
from funding.api.grants import cap_of
from funding.api.schemas import (
    Center,
    Clawback,
    FundingHistory,
    Grant,
    Ledger,
    LedgerEntry,
    LedgerSummary,
    NewExpenditure,
    RecordedExpenditure,
)
from funding.store import queries
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep
from tic_shared.pagination import Page, cursor_field, encode_cursor
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
    after = cursor_field(cursor, "c", uuid.UUID) if cursor else None
    rows = await queries.list_centers(
        session, principal, district=district, jurisdiction=jurisdiction, status=status, after=after, limit=limit
    )
    items = [Center.of(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"c": str(rows[limit - 1].center_id)}) if len(rows) > limit else None
    return Page[Center](items=items, next_cursor=next_cursor)


async def _summary(session: Any, center_id: uuid.UUID) -> LedgerSummary:
    sums = await queries.ledger_sums(session, center_id)
    return LedgerSummary.of(await service.ledger_balance(session, center_id), sums["repaid"])


@router.get(
    "/centers/{center_id}/funding",
    response_model=FundingHistory,
    summary="A center's funding history: grants with their traces, ledger, clawback, caps",
)
async def funding_history(center_id: uuid.UUID, session: SessionDep, principal: Reader) -> FundingHistory:
    center = await service.visible_center(session, principal, center_id)
    rows = await queries.list_grants(session, principal, center_id=center_id, limit=1000)
    clawback = await queries.clawback_of(session, center_id)
    caps = [
        cap_of(r.policy_code, int(r.granted_fen), int(r.disbursed_fen), r.center_id, r.district)
        for r in await queries.granted_by_center(session, principal, district=None, after=None, limit=1000)
        if r.center_id == center_id
    ]
    return FundingHistory(
        center=Center.of(center),
        grants=[Grant.of(row) for row in rows],
        ledger=await _summary(session, center_id),
        clawback=None if clawback is None else Clawback.of(clawback),
        caps=caps,
    )


@router.get("/centers/{center_id}/ledger", response_model=Ledger, summary="A center's ledger entries and totals")
async def get_ledger(
    center_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Ledger:
    await service.visible_center(session, principal, center_id)
    rows = await queries.ledger_page(
        session, center_id, after=cursor_field(cursor, "n") if cursor else None, limit=limit
    )
    return Ledger(
        center_id=center_id,
        summary=await _summary(session, center_id),
        items=[LedgerEntry.of(row) for row in rows[:limit]],
        next_cursor=encode_cursor({"n": rows[limit - 1].n}) if len(rows) > limit else None,
    )


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
    if (replayed := await idem.replay()) is not None:
        return replayed
    row = await service.record_expenditure(
        session,
        principal,
        center_id,
        category=body.category,
        amount_fen=body.amount_fen,
        spent_on=body.spent_on or service.today(),
        description=body.description,
    )
    result = RecordedExpenditure(
        entry=LedgerEntry.of(row), flagged_non_compliant=not row.compliant, ledger=await _summary(session, center_id)
    )
    return await idem.save(result, status_code=201)
