"""The centers as the evaluation service knows them, their responsibility letters and evaluations over the years."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from evaluation.api.schemas import (
    AtRiskOut,
    CenterEvaluation,
    CenterOut,
    LetterIn,
    LetterOut,
    at_year,
    year_position,
)
from evaluation.service import centers, evaluations, letters
from tic_shared.auth import Principal, scoped
from tic_shared.http import IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, page_of
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["centers"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/centers", summary="Centers tracked from the registry's events")
async def list_centers(
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    status: Annotated[str | None, Query(max_length=40)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CenterOut]:
    found = await centers.list_centers(
        session,
        principal=principal,
        status=status,
        district=district,
        after=cursor_field(cursor, "after", uuid.UUID) if cursor else None,
        limit=limit + 1,
    )
    return page_of(
        Page[CenterOut], found, limit=limit, present=CenterOut.of, position=lambda c: {"after": str(c.center_id)}
    )


@router.get("/centers-at-risk", summary="Centers at risk: an unqualified result, a milestone missed")
async def centers_at_risk(
    session: SessionDep, principal: Annotated[Principal, scoped("evaluation:read")]
) -> list[AtRiskOut]:
    return [AtRiskOut.of(found) for found in await centers.centers_at_risk(session, principal=principal)]


@router.get("/centers/{center_id}", summary="One center as tracked here")
async def get_center(
    center_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped("evaluation:read")]
) -> CenterOut:
    return CenterOut.of(await centers.get_center(session, principal=principal, center_id=center_id))


@router.get("/centers/{center_id}/responsibility-letter", summary="The center's responsibility-letter adjustments")
async def get_letter(
    center_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    response: Response,
) -> LetterOut:
    view = await letters.get_letter(session, principal=principal, center_id=center_id)
    set_etag(response, letters.letter_etag(view))
    return LetterOut.of(view)


@router.put(
    "/centers/{center_id}/responsibility-letter",
    summary="Record the center's responsibility-letter weights and targets (weights must sum to 100)",
    responses={404: {}, 412: {}},
)
async def put_letter(
    center_id: uuid.UUID,
    body: LetterIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    response: Response,
    if_match: IfMatch = None,
) -> LetterOut:
    view = await letters.put_letter(
        session,
        principal=principal,
        center_id=center_id,
        reference=body.reference,
        weights=dict(body.weights),
        targets=dict(body.targets),
        milestone_targets={key: dict(value) for key, value in body.milestone_targets.items()},
        if_match=if_match,
    )
    set_etag(response, letters.letter_etag(view))
    return LetterOut.of(view)


@router.get("/centers/{center_id}/evaluations", summary="A center's evaluations over the years, with breakdown")
async def center_evaluations(
    center_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CenterEvaluation]:
    found = await evaluations.center_evaluations(
        session, principal=principal, center_id=center_id, limit=limit + 1, after=year_position(cursor)
    )
    return page_of(Page[CenterEvaluation], found, limit=limit, present=CenterEvaluation.of, position=at_year)
