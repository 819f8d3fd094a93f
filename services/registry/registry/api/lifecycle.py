"""Routes of the lifecycle: one sub-resource POST per act on a center, each answering with the center."""

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

    async def answer(self, run: Callable[[], Awaitable[CenterRecord]]) -> JSONResponse:
        return await answer(self.idem, self.session, run)


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


async def _simple(act: Act, action: Action, body: schemas.ActIn | None, reason: str | None = None) -> JSONResponse:
    return await act.answer(
        lambda: launch.record_act(
            act.session,
            action=action,
            principal=act.principal,
            center_id=act.center_id,
            on=body.on if body is not None else None,
            reason=reason,
            if_match=act.if_match,
        )
    )


@router.post("/{center_id}/submit", summary="Submit the application", **TRANSITION)
async def submit(act: WriterAct, body: schemas.ActIn | None = None) -> JSONResponse:
    return await _simple(act, Action.SUBMIT, body)


@router.post("/{center_id}/withdraw", summary="Withdraw the application", **TRANSITION)
async def withdraw(act: WriterAct, body: schemas.WithdrawIn | None = None) -> JSONResponse:
    return await _simple(act, Action.WITHDRAW, body, body.reason if body is not None else None)


@router.post("/{center_id}/start-review", summary="Start the expert review (论证)", **TRANSITION)
async def start_review(act: ReviewerAct, body: schemas.ActIn | None = None) -> JSONResponse:
    return await _simple(act, Action.START_REVIEW, body)


@router.post("/{center_id}/reject", summary="Reject (the city government declines the launch)", **TRANSITION)
async def reject(act: ReviewerAct, body: schemas.ReasonIn) -> JSONResponse:
    return await _simple(act, Action.REJECT, body, body.reason)


@router.post("/{center_id}/review", summary="Record the expert panel's result", **TRANSITION)
async def review(act: ReviewerAct, body: schemas.ReviewIn) -> JSONResponse:
    return await act.answer(
        lambda: launch.record_review(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            passed=body.passed,
            score=body.score,
            opinion=body.opinion,
            experts=body.experts,
            reviewed_on=body.reviewed_on,
            if_match=act.if_match,
        )
    )


@router.post("/{center_id}/decision", summary="Record the executive meeting's ruling", **TRANSITION)
async def decision(act: ReviewerAct, body: schemas.DecisionIn) -> JSONResponse:
    return await act.answer(
        lambda: launch.record_decision(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            approved=body.approved,
            meeting_ref=body.meeting_ref,
            decided_on=body.decided_on,
            reason=body.reason,
            if_match=act.if_match,
        )
    )


@router.post("/{center_id}/public-notice", summary="Start the public notice (公示)", **TRANSITION)
async def public_notice(act: ReviewerAct, body: schemas.PublicNoticeIn) -> JSONResponse:
    return await act.answer(
        lambda: notice.start_public_notice(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            starts_on=body.starts_on,
            if_match=act.if_match,
        )
    )


@router.post(
    "/{center_id}/objections",
    status_code=201,
    summary="Record an objection raised during the notice",
    response_model=schemas.Objection,
    responses={**CONFLICT, **PRECONDITION},
)
async def raise_objection(act: ReviewerAct, body: schemas.ObjectionIn) -> JSONResponse:
    return await act.idem.run(
        lambda: notice.raise_objection(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            summary=body.summary,
            raised_by=body.raised_by,
            raised_on=body.raised_on,
            if_match=act.if_match,
        ),
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
    return await act.answer(
        lambda: notice.resolve_objection(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            objection_id=objection_id,
            upheld=body.upheld,
            note=body.note,
            resolved_on=body.resolved_on,
            if_match=act.if_match,
        )
    )


@router.post("/{center_id}/approve", summary="Approve: launch construction, name the center (启动建设)", **TRANSITION)
async def approve(act: ReviewerAct, body: schemas.ApproveIn) -> JSONResponse:
    return await act.answer(
        lambda: launch.approve(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            document_no=body.document_no,
            approved_on=body.approved_on,
            domain_zh=body.domain_zh,
            domain_en=body.domain_en,
            construction_start=body.construction_start,
            construction_years=body.construction_years,
            if_match=act.if_match,
        )
    )


@router.post("/{center_id}/tier", summary="Change the tier (recognised as provincial or national)", **TRANSITION)
async def change_tier(act: ReviewerAct, body: schemas.TierChangeIn) -> JSONResponse:
    return await act.answer(
        lambda: operation.change_tier(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            to_tier=body.to_tier,
            document_no=body.document_no,
            changed_on=body.changed_on,
            if_match=act.if_match,
        )
    )


@router.post(
    "/{center_id}/governance",
    summary="Record a change of governance bodies, bases or legal-entity status, dated, in the history",
    **TRANSITION,
)
async def change_governance(act: WriterAct, body: schemas.GovernanceChangeIn) -> JSONResponse:
    return await act.answer(
        lambda: operation.change_governance(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            changes=body.given("governance", "bases", "independent_legal_person"),
            effective_on=body.effective_on,
            document_no=body.document_no,
            reason=body.reason,
            if_match=act.if_match,
        )
    )


@router.post(
    "/{center_id}/acceptance",
    summary="Record an acceptance concluded outside the platform: passed ⇒ operating, failed ⇒ cancelled",
    **TRANSITION,
)
async def acceptance(act: ReviewerAct, body: schemas.AcceptanceIn) -> JSONResponse:
    return await act.answer(
        lambda: operation.record_acceptance(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            passed=body.passed,
            accepted_on=body.accepted_on,
            reasons=body.reasons,
            evaluation_ref=body.evaluation_ref,
            if_match=act.if_match,
        )
    )


async def _end(act: Act, action: Action, body: schemas.EndIn) -> JSONResponse:
    return await act.answer(
        lambda: operation.end_by_bureau(
            act.session,
            action=action,
            principal=act.principal,
            center_id=act.center_id,
            reason=body.reason,
            document_no=body.document_no,
            evidence=body.evidence,
            effective_on=body.effective_on,
            if_match=act.if_match,
        )
    )


@router.post("/{center_id}/cancel", summary="Cancel the creation qualification (取消创建资格)", **TRANSITION)
async def cancel(act: ReviewerAct, body: schemas.EndIn) -> JSONResponse:
    return await _end(act, Action.CANCEL, body)


@router.post("/{center_id}/delist", summary="Delist the center (摘牌)", **TRANSITION)
async def delist(act: ReviewerAct, body: schemas.EndIn) -> JSONResponse:
    return await _end(act, Action.DELIST, body)


@router.post(
    "/{center_id}/reinstate",
    summary="Reverse a delisting or cancellation (a correction or a ruling), with its document",
    **TRANSITION,
)
async def reinstate(act: ReviewerAct, body: schemas.ReinstateIn) -> JSONResponse:
    return await act.answer(
        lambda: operation.reinstate(
            act.session,
            principal=act.principal,
            center_id=act.center_id,
            document_no=body.document_no,
            decided_on=body.decided_on,
            reason=body.reason,
            if_match=act.if_match,
        )
    )
