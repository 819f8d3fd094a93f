"""Routes of the lifecycle: one sub-resource POST per act on a center, each answering with the center.

Each act's use case names its parameters after the fields of the act's body, so a route passes the body's values
as they are (`**body.values()`) beside what every act takes (`Act`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from registry.api import schemas
from registry.api.centers import CONFLICT, PRECONDITION, CenterId, Reviewer, Writer, answer
from registry.domain.lifecycle import Action
from registry.service import launch, notice, operation
from registry.service.acts import etag
from registry.store.records import CenterRecord
from tic_shared.auth import Principal
from tic_shared.http import Idempotency, IdempotencyDep, IfMatch
from tic_shared.service_app import SessionDep

router = APIRouter(prefix="/centers", tags=["centers"])
TRANSITION: dict[str, Any] = {"response_model": schemas.Center, "responses": {**CONFLICT, **PRECONDITION}}


@dataclass(frozen=True, slots=True)
class Act:
    """What every act on a center is given: the center, the caller, the request's transaction and its headers."""

    center_id: uuid.UUID
    session: AsyncSession
    idem: Idempotency
    principal: Principal
    if_match: str | None

    def call(self, use_case: Callable[..., Awaitable[Any]], **values: Any) -> Callable[[], Awaitable[Any]]:
        """The use case, ready to run on this center for this caller with the act's own values."""
        return lambda: use_case(
            self.session, principal=self.principal, center_id=self.center_id, if_match=self.if_match, **values
        )

    async def run(self, use_case: Callable[..., Awaitable[CenterRecord]], **values: Any) -> JSONResponse:
        """Run the act once (a retry replays its first answer) and answer with the center."""
        return await answer(self.idem, self.session, self.call(use_case, **values))


async def _by_writer(
    center_id: CenterId, session: SessionDep, idem: IdempotencyDep, principal: Writer, if_match: IfMatch = None
) -> Act:
    return Act(center_id, session, idem, principal, if_match)


async def _by_reviewer(
    center_id: CenterId, session: SessionDep, idem: IdempotencyDep, principal: Reviewer, if_match: IfMatch = None
) -> Act:
    return Act(center_id, session, idem, principal, if_match)


async def _objection_id(objection_id: Annotated[uuid.UUID, Path(description="The objection's id")]) -> uuid.UUID:
    return objection_id


WriterAct = Annotated[Act, Depends(_by_writer)]
ReviewerAct = Annotated[Act, Depends(_by_reviewer)]
# A dependency rather than a parameter, so that the path names the center first and then the objection.
ObjectionId = Annotated[uuid.UUID, Depends(_objection_id)]


@router.post("/{center_id}/submit", summary="Submit the application", **TRANSITION)
async def submit(act: WriterAct, body: schemas.ActIn | None = None) -> JSONResponse:
    return await act.run(launch.record_act, action=Action.SUBMIT, on=body.on if body else None, reason=None)


@router.post("/{center_id}/withdraw", summary="Withdraw the application", **TRANSITION)
async def withdraw(act: WriterAct, body: schemas.WithdrawIn | None = None) -> JSONResponse:
    given = body or schemas.WithdrawIn()
    return await act.run(launch.record_act, action=Action.WITHDRAW, **given.values())


@router.post("/{center_id}/start-review", summary="Start the expert review (论证)", **TRANSITION)
async def start_review(act: ReviewerAct, body: schemas.ActIn | None = None) -> JSONResponse:
    return await act.run(launch.record_act, action=Action.START_REVIEW, on=body.on if body else None, reason=None)


@router.post("/{center_id}/reject", summary="Reject (the city government declines the launch)", **TRANSITION)
async def reject(act: ReviewerAct, body: schemas.ReasonIn) -> JSONResponse:
    return await act.run(launch.record_act, action=Action.REJECT, **body.values())


@router.post("/{center_id}/review", summary="Record the expert panel's result", **TRANSITION)
async def review(act: ReviewerAct, body: schemas.ReviewIn) -> JSONResponse:
    return await act.run(launch.record_review, **body.values())


@router.post("/{center_id}/decision", summary="Record the executive meeting's ruling", **TRANSITION)
async def decision(act: ReviewerAct, body: schemas.DecisionIn) -> JSONResponse:
    return await act.run(launch.record_decision, **body.values())


@router.post("/{center_id}/public-notice", summary="Start the public notice (公示)", **TRANSITION)
async def public_notice(act: ReviewerAct, body: schemas.PublicNoticeIn) -> JSONResponse:
    return await act.run(notice.start_public_notice, **body.values())


@router.post(
    "/{center_id}/objections",
    status_code=201,
    summary="Record an objection raised during the notice",
    response_model=schemas.Objection,
    responses={**CONFLICT, **PRECONDITION},
)
async def raise_objection(act: ReviewerAct, body: schemas.ObjectionIn) -> JSONResponse:
    # The answer is the objection recorded; its ETag is the center's, which the objection changed.
    return await act.idem.run(
        act.call(notice.raise_objection, **body.values()),
        lambda raised: schemas.Objection.model_validate(raised[1], from_attributes=True),
        etag=lambda raised: etag(raised[0]),
        status_code=201,
    )


@router.post(
    "/{center_id}/objections/{objection_id}/resolution",
    summary="Resolve an objection: upheld rejects, dismissed returns to the notice",
    **TRANSITION,
)
async def resolve_objection(act: ReviewerAct, objection_id: ObjectionId, body: schemas.ResolutionIn) -> JSONResponse:
    return await act.run(notice.resolve_objection, objection_id=objection_id, **body.values())


@router.post("/{center_id}/approve", summary="Approve: launch construction, name the center (启动建设)", **TRANSITION)
async def approve(act: ReviewerAct, body: schemas.ApproveIn) -> JSONResponse:
    return await act.run(launch.approve, **body.values())


@router.post("/{center_id}/tier", summary="Change the tier (recognised as provincial or national)", **TRANSITION)
async def change_tier(act: ReviewerAct, body: schemas.TierChangeIn) -> JSONResponse:
    return await act.run(operation.change_tier, **body.values())


@router.post(
    "/{center_id}/governance",
    summary="Record a change of governance bodies, bases or legal-entity status, dated, in the history",
    **TRANSITION,
)
async def change_governance(act: WriterAct, body: schemas.GovernanceChangeIn) -> JSONResponse:
    # The lists given replace the current ones: the use case gets them as they are stored.
    return await act.run(
        operation.change_governance,
        changes=body.given("governance", "bases", "independent_legal_person"),
        effective_on=body.effective_on,
        document_no=body.document_no,
        reason=body.reason,
    )


@router.post(
    "/{center_id}/acceptance",
    summary="Record an acceptance concluded outside the platform: passed ⇒ operating, failed ⇒ cancelled",
    **TRANSITION,
)
async def acceptance(act: ReviewerAct, body: schemas.AcceptanceIn) -> JSONResponse:
    return await act.run(operation.record_acceptance, **body.values())


@router.post("/{center_id}/cancel", summary="Cancel the creation qualification (取消创建资格)", **TRANSITION)
async def cancel(act: ReviewerAct, body: schemas.EndIn) -> JSONResponse:
    return await act.run(operation.end_by_bureau, action=Action.CANCEL, **body.values())


@router.post("/{center_id}/delist", summary="Delist the center (摘牌)", **TRANSITION)
async def delist(act: ReviewerAct, body: schemas.EndIn) -> JSONResponse:
    return await act.run(operation.end_by_bureau, action=Action.DELIST, **body.values())


@router.post(
    "/{center_id}/reinstate",
    summary="Reverse a delisting or cancellation (a correction or a ruling), with its document",
    **TRANSITION,
)
async def reinstate(act: ReviewerAct, body: schemas.ReinstateIn) -> JSONResponse:
    return await act.run(operation.reinstate, **body.values())
