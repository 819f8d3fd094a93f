"""Annual rounds: open one for a year, follow its progress and grade distribution, finalize it."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from evaluation.api.schemas import (
    FinalizeIn,
    FinalizePreviewOut,
    RoundCentersAdded,
    RoundFinalized,
    RoundIn,
    RoundOut,
)
from evaluation.service import finalizing, rounds
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep
from tic_shared.pagination import Page, cursor_field, page_of
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
    return await idem.run(
        lambda: rounds.open_round(session, principal=principal, year=body.year), present=RoundOut.of, status_code=201
    )


@router.get("/rounds", summary="Rounds, newest year first")
async def list_rounds(
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[RoundOut]:
    before = cursor_field(cursor, "before", int) if cursor else None
    views = await rounds.list_rounds(session, principal=principal, year=year, before=before, limit=limit + 1)
    return page_of(
        Page[RoundOut], views, limit=limit, present=RoundOut.of, position=lambda view: {"before": view.round.year}
    )


@router.get("/rounds/{round_id}", summary="A round with its progress and grade distribution")
async def get_round(
    round_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped("evaluation:read")]
) -> RoundOut:
    return RoundOut.of(await rounds.get_round(session, principal=principal, round_id=round_id))


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
    return await idem.run(
        lambda: rounds.add_newly_eligible(session, principal=principal, round_id=round_id),
        present=RoundCentersAdded.of,
    )


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
    return FinalizePreviewOut.of(await finalizing.round_preview(session, principal=principal, round_id=round_id))


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
    return await idem.run(
        lambda: finalizing.finalize_round(session, principal=principal, round_id=round_id, confirm=body.confirm),
        present=RoundFinalized.of,
    )
