"""The centers as the evaluation service knows them, their responsibility letters and evaluations over the years."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from evaluation import service
from evaluation.api.schemas import AtRiskOut, CenterEvaluation, CenterOut, LetterIn, LetterOut
from evaluation.api.views import center_evaluation, center_out
from tic_shared.auth import Principal, scoped
from tic_shared.http import IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, decode_cursor, encode_cursor
from tic_shared.problems import Problem
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
    after = cursor_field(cursor, "after", uuid.UUID) if cursor else None
    rows = await service.list_centers(
        session, principal, status=status, district=district, after=after, limit=limit + 1
    )
    items = [center_out(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"after": str(items[-1].center_id)}) if len(rows) > limit else None
    return Page[CenterOut](items=items, next_cursor=next_cursor)


@router.get("/centers-at-risk", summary="Centers at risk: an unqualified result, a milestone missed")
async def centers_at_risk(
    session: SessionDep, principal: Annotated[Principal, scoped("evaluation:read")]
) -> list[AtRiskOut]:
    return [
        AtRiskOut(
            center_id=found.row.center_id,
            center_code=found.row.center_code,
            center_name_zh=found.row.name_zh,
            district=found.row.district,
            latest_year=found.row.year,
            latest_grade=found.row.grade,
            reasons=found.reasons,
        )
        for found in await service.centers_at_risk(session, principal)
    ]


@router.get("/centers/{center_id}", summary="One center as tracked here")
async def get_center(
    center_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped("evaluation:read")]
) -> CenterOut:
    return center_out(await service.get_center(session, principal, center_id))


def _letter_out(view: service.LetterView, response: Response) -> LetterOut:
    set_etag(response, service.letter_etag(view.center_id, view.version))
    return LetterOut(
        center_id=view.center_id,
        version=view.version,
        recorded=view.recorded,
        from_approval=view.from_approval,
        effective=view.effective,
    )


@router.get("/centers/{center_id}/responsibility-letter", summary="The center's responsibility-letter adjustments")
async def get_letter(
    center_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    response: Response,
) -> LetterOut:
    return _letter_out(await service.get_letter(session, principal, center_id), response)


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
    view = await service.put_letter(
        session,
        principal,
        center_id,
        reference=body.reference,
        weights=dict(body.weights),
        targets=dict(body.targets),
        milestone_targets={key: dict(value) for key, value in body.milestone_targets.items()},
        if_match=if_match,
    )
    return _letter_out(view, response)


@router.get("/centers/{center_id}/evaluations", summary="A center's evaluations over the years, with breakdown")
async def center_evaluations(
    center_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CenterEvaluation]:
    after = None
    if cursor:
        position = decode_cursor(cursor)
        try:
            after = (int(position["year"]), uuid.UUID(str(position["id"])))
        except (KeyError, TypeError, ValueError) as error:
            raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned") from error
    rows = await service.center_evaluations(session, principal, center_id, limit=limit + 1, after=after)
    items = [center_evaluation(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"year": items[-1].year, "id": str(items[-1].id)}) if len(rows) > limit else None
    return Page[CenterEvaluation](items=items, next_cursor=next_cursor)
