"""Routes of the lifecycle: one sub-resource POST per act on a center, each answering with the center."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from registry.api import schemas
from registry.api.centers import CONFLICT, PRECONDITION, CenterId, Reviewer, Writer, answer
from registry.domain.lifecycle import Action
from registry.service import launch, notice, operation
from registry.service.acts import etag
from tic_shared.auth import Principal
from tic_shared.http import Idempotency, IdempotencyDep, IfMatch
from tic_shared.service_app import SessionDep

router = APIRouter(prefix="/centers", tags=["centers"])

TRANSITION: dict[str, Any] = {"response_model": schemas.Center, "responses": {**CONFLICT, **PRECONDITION}}


@router.post("/{center_id}/submit", summary="Submit the application", **TRANSITION)
async def submit(
    center_id: CenterId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Writer,
    body: schemas.ActIn | None = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    on = body.on if body is not None else None
    return await answer(
        idem,
        session,
        lambda: launch.submit(session, principal=principal, center_id=center_id, on=on, if_match=if_match),
    )


@router.post("/{center_id}/withdraw", summary="Withdraw the application", **TRANSITION)
async def withdraw(
    center_id: CenterId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Writer,
    body: schemas.WithdrawIn | None = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    given = body or schemas.WithdrawIn()
    return await answer(
        idem,
        session,
        lambda: launch.withdraw(
            session, principal=principal, center_id=center_id, on=given.on, reason=given.reason, if_match=if_match
        ),
    )


@router.post("/{center_id}/start-review", summary="Start the expert review (论证)", **TRANSITION)
async def start_review(
    center_id: CenterId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    body: schemas.ActIn | None = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    on = body.on if body is not None else None
    return await answer(
        idem,
        session,
        lambda: launch.start_review(session, principal=principal, center_id=center_id, on=on, if_match=if_match),
    )


@router.post("/{center_id}/review", summary="Record the expert panel's result", **TRANSITION)
async def review(
    center_id: CenterId,
    body: schemas.ReviewIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: launch.record_review(
            session,
            principal=principal,
            center_id=center_id,
            passed=body.passed,
            score=body.score,
            opinion=body.opinion,
            experts=body.experts,
            reviewed_on=body.reviewed_on,
            if_match=if_match,
        ),
    )


@router.post("/{center_id}/decision", summary="Record the executive meeting's ruling", **TRANSITION)
async def decision(
    center_id: CenterId,
    body: schemas.DecisionIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: launch.record_decision(
            session,
            principal=principal,
            center_id=center_id,
            approved=body.approved,
            meeting_ref=body.meeting_ref,
            decided_on=body.decided_on,
            reason=body.reason,
            if_match=if_match,
        ),
    )


@router.post("/{center_id}/public-notice", summary="Start the public notice (公示)", **TRANSITION)
async def public_notice(
    center_id: CenterId,
    body: schemas.PublicNoticeIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: notice.start_public_notice(
            session, principal=principal, center_id=center_id, starts_on=body.starts_on, if_match=if_match
        ),
    )


@router.post(
    "/{center_id}/objections",
    status_code=201,
    summary="Record an objection raised during the notice",
    response_model=schemas.Objection,
    responses={**CONFLICT, **PRECONDITION},
)
async def raise_objection(
    center_id: CenterId,
    body: schemas.ObjectionIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await idem.run(
        lambda: notice.raise_objection(
            session,
            principal=principal,
            center_id=center_id,
            summary=body.summary,
            raised_by=body.raised_by,
            raised_on=body.raised_on,
            if_match=if_match,
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
async def resolve_objection(
    center_id: CenterId,
    objection_id: Annotated[uuid.UUID, Path(description="The objection's id")],
    body: schemas.ResolutionIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: notice.resolve_objection(
            session,
            principal=principal,
            center_id=center_id,
            objection_id=objection_id,
            upheld=body.upheld,
            note=body.note,
            resolved_on=body.resolved_on,
            if_match=if_match,
        ),
    )


@router.post("/{center_id}/approve", summary="Approve: launch construction, name the center (启动建设)", **TRANSITION)
async def approve(
    center_id: CenterId,
    body: schemas.ApproveIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: launch.approve(
            session,
            principal=principal,
            center_id=center_id,
            document_no=body.document_no,
            approved_on=body.approved_on,
            domain_zh=body.domain_zh,
            domain_en=body.domain_en,
            construction_start=body.construction_start,
            construction_years=body.construction_years,
            if_match=if_match,
        ),
    )


@router.post("/{center_id}/reject", summary="Reject (the city government declines the launch)", **TRANSITION)
async def reject(
    center_id: CenterId,
    body: schemas.ReasonIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: launch.reject(
            session, principal=principal, center_id=center_id, on=body.on, reason=body.reason, if_match=if_match
        ),
    )


@router.post("/{center_id}/tier", summary="Change the tier (recognised as provincial or national)", **TRANSITION)
async def change_tier(
    center_id: CenterId,
    body: schemas.TierChangeIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: operation.change_tier(
            session,
            principal=principal,
            center_id=center_id,
            to_tier=body.to_tier,
            document_no=body.document_no,
            changed_on=body.changed_on,
            if_match=if_match,
        ),
    )


@router.post(
    "/{center_id}/governance",
    summary="Record a change of governance bodies, bases or legal-entity status, dated, in the history",
    **TRANSITION,
)
async def change_governance(
    center_id: CenterId,
    body: schemas.GovernanceChangeIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: operation.change_governance(
            session,
            principal=principal,
            center_id=center_id,
            changes=body.given("governance", "bases", "independent_legal_person"),
            effective_on=body.effective_on,
            document_no=body.document_no,
            reason=body.reason,
            if_match=if_match,
        ),
    )


@router.post(
    "/{center_id}/acceptance",
    summary="Record an acceptance concluded outside the platform: passed ⇒ operating, failed ⇒ cancelled",
    **TRANSITION,
)
async def acceptance(
    center_id: CenterId,
    body: schemas.AcceptanceIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: operation.record_acceptance(
            session,
            principal=principal,
            center_id=center_id,
            passed=body.passed,
            accepted_on=body.accepted_on,
            reasons=body.reasons,
            evaluation_ref=body.evaluation_ref,
            if_match=if_match,
        ),
    )


async def _end(
    action: Action,
    center_id: uuid.UUID,
    body: schemas.EndIn,
    session: AsyncSession,
    idem: Idempotency,
    principal: Principal,
    if_match: str | None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: operation.end_by_bureau(
            session,
            action=action,
            principal=principal,
            center_id=center_id,
            reason=body.reason,
            document_no=body.document_no,
            evidence=body.evidence,
            effective_on=body.effective_on,
            if_match=if_match,
        ),
    )


@router.post("/{center_id}/cancel", summary="Cancel the creation qualification (取消创建资格)", **TRANSITION)
async def cancel(
    center_id: CenterId,
    body: schemas.EndIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _end(Action.CANCEL, center_id, body, session, idem, principal, if_match)


@router.post("/{center_id}/delist", summary="Delist the center (摘牌)", **TRANSITION)
async def delist(
    center_id: CenterId,
    body: schemas.EndIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await _end(Action.DELIST, center_id, body, session, idem, principal, if_match)


@router.post(
    "/{center_id}/reinstate",
    summary="Reverse a delisting or cancellation (a correction or a ruling), with its document",
    **TRANSITION,
)
async def reinstate(
    center_id: CenterId,
    body: schemas.ReinstateIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    if_match: IfMatch = None,
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: operation.reinstate(
            session,
            principal=principal,
            center_id=center_id,
            document_no=body.document_no,
            decided_on=body.decided_on,
            reason=body.reason,
            if_match=if_match,
        ),
    )
