"""Evaluations: the center's report, expert assignment and scores, finalize (lock) and reopen."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation import service
from evaluation.api.schemas import (
    AssignmentIn,
    EvaluationOut,
    EvaluationSummary,
    FinalizeIn,
    FinalizePreviewOut,
    NotSubmittedIn,
    ReopenIn,
    ReportIn,
    ScoresIn,
)
from evaluation.api.views import evaluation_out, evaluation_summary, preview_out
from evaluation.domain.evaluation import EvaluationStatus
from evaluation.domain.rules import Grade
from tic_shared.auth import Principal, scoped
from tic_shared.http import Idempotency, IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, decode_cursor, encode_cursor
from tic_shared.problems import Problem
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["evaluations"])

_COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}}


async def _current(session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID) -> tuple[EvaluationOut, str]:
    row = await service.get_evaluation(session, principal, evaluation_id)
    assigned, scores, history = await service.evaluation_details(session, principal, row)
    return evaluation_out(row, assigned, scores, history), service.evaluation_etag(row)


@router.get("/evaluations", summary="Evaluations the caller may see")
async def list_evaluations(
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    round_id: uuid.UUID | None = None,
    center_id: uuid.UUID | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: EvaluationStatus | None = None,
    grade: Grade | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[EvaluationSummary]:
    after = None
    if cursor:
        position = decode_cursor(cursor)
        try:
            after = (int(position["year"]), uuid.UUID(str(position["id"])))
        except (KeyError, TypeError, ValueError) as error:
            raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned") from error
    rows = await service.list_evaluations(
        session,
        principal,
        round_id=round_id,
        center_id=center_id,
        year=year,
        status=str(status) if status else None,
        grade=str(grade) if grade else None,
        after=after,
        limit=limit + 1,
    )
    items = [evaluation_summary(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"year": items[-1].year, "id": str(items[-1].id)}) if len(rows) > limit else None
    return Page[EvaluationSummary](items=items, next_cursor=next_cursor)


@router.get(
    "/evaluations/{evaluation_id}", summary="One evaluation: report, breakdown, experts, history", responses={404: {}}
)
async def get_evaluation(
    evaluation_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    response: Response,
) -> EvaluationOut:
    body, etag = await _current(session, principal, evaluation_id)
    set_etag(response, etag)
    return body


@router.put(
    "/evaluations/{evaluation_id}/report",
    summary="The center files (or re-files) its annual report",
    responses=_COMMAND_RESPONSES,
)
async def submit_report(
    evaluation_id: uuid.UUID,
    body: ReportIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:report")],
    response: Response,
    if_match: IfMatch = None,
) -> EvaluationOut:
    await service.submit_report(session, principal, evaluation_id, body.model_dump(exclude_none=True), if_match)
    result, etag = await _current(session, principal, evaluation_id)
    set_etag(response, etag)
    return result


async def _command_result(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, idem: Idempotency, status_code: int = 200
) -> Any:
    result, etag = await _current(session, principal, evaluation_id)
    if idem.key is None:
        return JSONResponse(jsonable_encoder(result), status_code=status_code, headers={"ETag": etag})
    return await idem.save(result, status_code=status_code, headers={"ETag": etag})


@router.post(
    "/evaluations/{evaluation_id}/assignments",
    summary="Assign an expert the qualitative indicators they will score",
    responses=_COMMAND_RESPONSES,
    response_model=EvaluationOut,
)
async def assign_expert(
    evaluation_id: uuid.UUID,
    body: AssignmentIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    await service.assign_expert(
        session, principal, evaluation_id, expert=body.expert, indicators=body.indicators, if_match=if_match
    )
    return await _command_result(session, principal, evaluation_id, idem)


@router.put(
    "/evaluations/{evaluation_id}/scores",
    summary="An expert scores the indicators assigned to them",
    responses={**_COMMAND_RESPONSES, 403: {}},
)
async def score(
    evaluation_id: uuid.UUID,
    body: ScoresIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:score")],
    response: Response,
    if_match: IfMatch = None,
) -> EvaluationOut:
    await service.score(session, principal, evaluation_id, dict(body.scores), if_match)
    result, etag = await _current(session, principal, evaluation_id)
    set_etag(response, etag)
    return result


@router.get(
    "/evaluations/{evaluation_id}/finalize-preview",
    summary="What finalizing would decide: grade, consecutive unqualified years, delisting, acceptance",
    responses={404: {}, 409: {}},
)
async def finalize_preview(
    evaluation_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
) -> FinalizePreviewOut:
    return preview_out(await service.finalize_preview(session, principal, evaluation_id))


@router.post(
    "/evaluations/{evaluation_id}/finalize",
    summary="Confirm the preview: compute scores, total and grade; lock the evaluation; emit its events",
    responses=_COMMAND_RESPONSES,
    response_model=EvaluationOut,
)
async def finalize(
    evaluation_id: uuid.UUID,
    body: FinalizeIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    await service.finalize(session, principal, evaluation_id, confirm=body.confirm, if_match=if_match)
    return await _command_result(session, principal, evaluation_id, idem)


@router.post(
    "/evaluations/{evaluation_id}/not-submitted",
    summary="Record that no report came for the year, with the reason (finalized as the rules say)",
    responses=_COMMAND_RESPONSES,
    response_model=EvaluationOut,
)
async def record_not_submitted(
    evaluation_id: uuid.UUID,
    body: NotSubmittedIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    await service.record_not_submitted(session, principal, evaluation_id, body.reason, if_match)
    return await _command_result(session, principal, evaluation_id, idem)


@router.post(
    "/evaluations/{evaluation_id}/reopen",
    summary="Reopen a finalized evaluation for a correction, with a reason kept in its history",
    responses=_COMMAND_RESPONSES,
    response_model=EvaluationOut,
)
async def reopen(
    evaluation_id: uuid.UUID,
    body: ReopenIn,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    await service.reopen(session, principal, evaluation_id, body.reason, if_match)
    return await _command_result(session, principal, evaluation_id, idem)
