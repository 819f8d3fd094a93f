"""Annual rounds: open one for a year, follow its progress and grade distribution, finalize it."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from evaluation import service
from evaluation.api.schemas import FinalizeIn, FinalizePreviewOut, RoundCentersAdded, RoundFinalized, RoundIn, RoundOut
from evaluation.api.views import preview_out, round_out
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["rounds"])


@router.post(
    "/rounds",
    status_code=201,
    summary="Open the annual round of a year: an evaluation for every building or operating center",
    responses={409: {}},
)
async def open_round(
    body: RoundIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    round_id = await service.open_round(session, principal, body.year)
    result = round_out(await service.get_round(session, principal, round_id))
    return await idem.save(result, status_code=201)


@router.get("/rounds", summary="Rounds, newest year first")
async def list_rounds(
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[RoundOut]:
    before = cursor_field(cursor, "before", int) if cursor else None
    views = await service.list_rounds(session, principal, year=year, before=before, limit=limit + 1)
    items = [round_out(view) for view in views[:limit]]
    next_cursor = encode_cursor({"before": items[-1].year}) if len(views) > limit else None
    return Page[RoundOut](items=items, next_cursor=next_cursor)


@router.get("/rounds/{round_id}", summary="A round with its progress and grade distribution")
async def get_round(
    round_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped("evaluation:read")]
) -> RoundOut:
    return round_out(await service.get_round(session, principal, round_id))


@router.post(
    "/rounds/{round_id}/centers",
    summary="Add the centers that became eligible after the round opened (approved later in its year)",
    responses={404: {}},
)
async def add_centers(
    round_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    added = await service.add_newly_eligible(session, round_id)
    result = RoundCentersAdded(added=added, round=round_out(await service.get_round(session, principal, round_id)))
    return await idem.save(result)


@router.get(
    "/rounds/{round_id}/finalize-preview",
    summary="What finalizing the round would decide: who becomes unqualified, who is due for delisting",
    responses={404: {}},
)
async def finalize_round_preview(
    round_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
) -> FinalizePreviewOut:
    return preview_out(await service.round_preview(session, principal, round_id))


@router.post(
    "/rounds/{round_id}/finalize",
    summary="Confirm the preview: finalize every evaluation of the round that can be; the others stay open",
    responses={404: {}, 409: {}},
)
async def finalize_round(
    round_id: uuid.UUID,
    body: FinalizeIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    preview = await service.finalize_round(session, principal, round_id, confirm=body.confirm)
    result = RoundFinalized(
        finalized_now=len(preview.items),
        consequences=preview_out(preview),
        round=round_out(await service.get_round(session, principal, round_id)),
    )
    return await idem.save(result)
