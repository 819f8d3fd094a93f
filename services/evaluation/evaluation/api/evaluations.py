"""Evaluations: the center's report, expert assignment and scores, finalize (lock) and reopen."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

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
from evaluation.service.evaluations import EvaluationView
from tic_shared.auth import Principal, scoped
from tic_shared.http import Idempotency, IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, page_of
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["evaluations"])

_COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}}
_COMMAND: dict[str, Any] = {"responses": _COMMAND_RESPONSES, "response_model": EvaluationOut}


@dataclass(frozen=True, slots=True)
class Command:
    """What every command on an evaluation is given: the evaluation, the caller, the transaction, the headers."""

    evaluation_id: uuid.UUID
    session: AsyncSession
    principal: Principal
    idem: Idempotency
    if_match: str | None

    async def run(self, use_case: Callable[..., Awaitable[EvaluationView]], body: BaseModel) -> JSONResponse:
        """Run the use case once (a retry replays its first answer) with the body's fields as its keyword
        arguments, and answer with the evaluation."""
        values = dict(body)
        return await self.idem.run(
            lambda: use_case(
                self.session,
                principal=self.principal,
                evaluation_id=self.evaluation_id,
                if_match=self.if_match,
                **values,
            ),
            present=EvaluationOut.of,
            etag=evaluations.evaluation_etag,
        )


async def _by_writer(
    evaluation_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped("evaluation:write")],
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Command:
    return Command(evaluation_id, session, principal, idem, if_match)


WriterCommand = Annotated[Command, Depends(_by_writer)]


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
    "/evaluations/{evaluation_id}/assignments",
    summary="Assign an expert the qualitative indicators they will score",
    **_COMMAND,
)
async def assign_expert(body: AssignmentIn, command: WriterCommand) -> JSONResponse:
    return await command.run(experts.assign_expert, body)


@router.post(
    "/evaluations/{evaluation_id}/finalize",
    summary="Confirm the preview: compute scores, total and grade; lock the evaluation; emit its events",
    **_COMMAND,
)
async def finalize(body: FinalizeIn, command: WriterCommand) -> JSONResponse:
    return await command.run(finalizing.finalize, body)


@router.post(
    "/evaluations/{evaluation_id}/not-submitted",
    summary="Record that no report came for the year, with the reason (finalized as the rules say)",
    **_COMMAND,
)
async def record_not_submitted(body: NotSubmittedIn, command: WriterCommand) -> JSONResponse:
    return await command.run(evaluations.record_not_submitted, body)


@router.post(
    "/evaluations/{evaluation_id}/reopen",
    summary="Reopen a finalized evaluation for a correction, with a reason kept in its history",
    **_COMMAND,
)
async def reopen(body: ReopenIn, command: WriterCommand) -> JSONResponse:
    return await command.run(evaluations.reopen, body)
