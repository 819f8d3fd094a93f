"""Evaluations: the center's report, expert assignment and scores, finalize (lock) and reopen."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

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
    at_year,
    year_position,
)
from evaluation.domain.evaluation import EvaluationStatus
from evaluation.domain.rules import Grade
from evaluation.service import evaluations, experts, finalizing
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, page_of
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["evaluations"])

_COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}}


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
    found = await evaluations.list_evaluations(
        session,
        principal=principal,
        round_id=round_id,
        center_id=center_id,
        year=year,
        status=str(status) if status else None,
        grade=str(grade) if grade else None,
        after=year_position(cursor),
        limit=limit + 1,
    )
    return page_of(Page[EvaluationSummary], found, limit=limit, present=EvaluationSummary.of, position=at_year)


@router.get(
    "/evaluations/{evaluation_id}", summary="One evaluation: report, breakdown, experts, history", responses={404: {}}
)
async def get_evaluation(
    evaluation_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:read")],
    response: Response,
) -> EvaluationOut:
    view = await evaluations.get_evaluation(session, principal=principal, evaluation_id=evaluation_id)
    set_etag(response, evaluations.evaluation_etag(view))
    return EvaluationOut.of(view)


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
    view = await evaluations.submit_report(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        report=body.model_dump(exclude_none=True),
        if_match=if_match,
    )
    set_etag(response, evaluations.evaluation_etag(view))
    return EvaluationOut.of(view)


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
    return await idem.run(
        lambda: experts.assign_expert(
            session,
            principal=principal,
            evaluation_id=evaluation_id,
            expert=body.expert,
            indicators=body.indicators,
            if_match=if_match,
        ),
        present=EvaluationOut.of,
        etag=evaluations.evaluation_etag,
    )


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
    view = await experts.score(
        session, principal=principal, evaluation_id=evaluation_id, scores=dict(body.scores), if_match=if_match
    )
    set_etag(response, evaluations.evaluation_etag(view))
    return EvaluationOut.of(view)


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
    preview = await finalizing.finalize_preview(session, principal=principal, evaluation_id=evaluation_id)
    return FinalizePreviewOut.of(preview)


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
    return await idem.run(
        lambda: finalizing.finalize(
            session, principal=principal, evaluation_id=evaluation_id, confirm=body.confirm, if_match=if_match
        ),
        present=EvaluationOut.of,
        etag=evaluations.evaluation_etag,
    )


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
    return await idem.run(
        lambda: evaluations.record_not_submitted(
            session, principal=principal, evaluation_id=evaluation_id, reason=body.reason, if_match=if_match
        ),
        present=EvaluationOut.of,
        etag=evaluations.evaluation_etag,
    )


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
    return await idem.run(
        lambda: evaluations.reopen(
            session, principal=principal, evaluation_id=evaluation_id, reason=body.reason, if_match=if_match
        ),
        present=EvaluationOut.of,
        etag=evaluations.evaluation_etag,
    )
