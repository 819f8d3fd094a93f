"""Routes of centers: applications, the lifecycle's transitions, history, lists, counts and deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from registry import service
from registry.api import schemas
from registry.domain import lifecycle
from registry.domain.lifecycle import Action
from registry.domain.naming import legal_entity_status
from registry.store import centers as store
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.request_model import IsoDate
from tic_shared.service_app import SessionDep
from tic_shared.vocabulary import CenterStatus, Tier
from tic_shared.vocabulary import Field as TicField

router = APIRouter(prefix="/centers", tags=["centers"])

CenterId = Annotated[uuid.UUID, Path(description="The center's id")]
Reader = Annotated[Principal, scoped("registry:read")]
Writer = Annotated[Principal, scoped("registry:write")]
Reviewer = Annotated[Principal, scoped("registry:review")]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed in the center's current state (names it and the allowed actions)"}
}
PRECONDITION: dict[int | str, dict[str, Any]] = {412: {"description": "If-Match names another version"}}


async def to_center(session: AsyncSession, row: Row[Any]) -> schemas.Center:
    status_of_entity = None
    if row.construction_end is not None and row.status in ("building", "operating"):
        status_of_entity = legal_entity_status(
            independent_legal_person=row.independent_legal_person,
            construction_end_on=row.construction_end,
            today=service._today(),
        ).value
    return schemas.Center(
        id=row.id,
        status=row.status,
        allowed_actions=lifecycle.allowed_actions(row.status),
        name_zh=row.name_zh,
        name_en=row.name_en,
        official_name_zh=row.official_name_zh,
        official_name_en=row.official_name_en,
        code=row.code,
        tier=row.tier,
        origin=row.origin,
        recommender=row.recommender,
        field=row.field,
        industrial_chain=row.industrial_chain,
        district=row.district,
        lead_unit={"name": row.lead_unit_name, "credit_code": row.lead_unit_credit_code, "type": row.lead_unit_type},
        co_builders=row.co_builders,
        contacts=row.contacts,
        plan=row.plan,
        targets=row.targets,
        governance=row.governance,
        bases=row.bases,
        independent_legal_person=row.independent_legal_person,
        legal_entity_status=status_of_entity,
        review=row.review,
        decision=row.decision,
        notice_starts_on=row.notice_starts_on,
        notice_ends_on=row.notice_ends_on,
        open_objections=await store.open_objection_count(session, row.id),
        document_no=row.document_no,
        approved_on=row.approved_on,
        construction_start=row.construction_start,
        construction_end=row.construction_end,
        ended_on=row.ended_on,
        end_reason=row.end_reason,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def summary(row: Row[Any]) -> schemas.CenterSummary:
    return schemas.CenterSummary.model_validate(row, from_attributes=True)


async def _answer(
    session: AsyncSession,
    idem: Any,
    response: Response,
    row: Row[Any],
    *,
    status_code: int = 200,
) -> Any:
    center = await to_center(session, row)
    etag = service.etag(row)
    set_etag(response, etag)
    return await idem.save(center, status_code=status_code, headers={"ETag": etag})


# ---- applications ----


@router.post("", status_code=201, response_model=schemas.Center, summary="Create an application (a draft)")
async def create_center(
    body: schemas.CenterCreate, session: SessionDep, idem: IdempotencyDep, principal: Writer, response: Response
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    row = await service.create_center(session, principal=principal, data=body)
    return await _answer(session, idem, response, row, status_code=201)


@router.post(
    "/validate",
    response_model=schemas.Validated,
    summary="Check an application as creating it would, and record nothing (an import's dry run)",
)
async def validate_center(body: schemas.CenterCreate, principal: Writer) -> schemas.Validated:
    service.check_new_application(principal=principal, data=body)
    return schemas.Validated(valid=True)


@router.get("/{center_id}", response_model=schemas.Center, summary="One center")
async def get_center(center_id: CenterId, session: SessionDep, principal: Reader, response: Response) -> Any:
    row = await service.get_center(session, principal=principal, center_id=center_id)
    set_etag(response, service.etag(row))
    return await to_center(session, row)


@router.patch(
    "/{center_id}", response_model=schemas.Center, summary="Edit a draft", responses={**CONFLICT, **PRECONDITION}
)
async def update_center(
    center_id: CenterId,
    body: schemas.CenterUpdate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    row = await service.update_draft(session, principal=principal, center_id=center_id, patch=body, if_match=if_match)
    set_etag(response, service.etag(row))
    return await to_center(session, row)


# ---- the lifecycle: one sub-resource POST per act ----

Command = Callable[..., Awaitable[Row[Any]]]
TRANSITION: dict[str, Any] = {"response_model": schemas.Center, "responses": {**CONFLICT, **PRECONDITION}}


async def _command(run: Command, session: AsyncSession, idem: Any, response: Response, **kwargs: Any) -> Any:
    """The same for every act: a retry replays the first answer; else the use case runs and the center answers."""
    if (replayed := await idem.replay()) is not None:
        return replayed
    row = await run(session, **kwargs)
    return await _answer(session, idem, response, row)


@router.post("/{center_id}/submit", summary="Submit the application", **TRANSITION)
async def submit(
    center_id: CenterId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Writer,
    response: Response,
    body: schemas.ActIn | None = None,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.submit, session, idem, response, principal=principal, center_id=center_id, body=body, if_match=if_match
    )


@router.post("/{center_id}/withdraw", summary="Withdraw the application", **TRANSITION)
async def withdraw(
    center_id: CenterId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Writer,
    response: Response,
    body: schemas.WithdrawIn | None = None,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.withdraw,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/start-review", summary="Start the expert review (论证)", **TRANSITION)
async def start_review(
    center_id: CenterId,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    body: schemas.ActIn | None = None,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.start_review,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/review", summary="Record the expert panel's result", **TRANSITION)
async def review(
    center_id: CenterId,
    body: schemas.ReviewIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.record_review,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/decision", summary="Record the executive meeting's ruling", **TRANSITION)
async def decision(
    center_id: CenterId,
    body: schemas.DecisionIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.record_decision,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/public-notice", summary="Start the public notice (公示)", **TRANSITION)
async def public_notice(
    center_id: CenterId,
    body: schemas.PublicNoticeIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.start_public_notice,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
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
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    row, objection_id = await service.raise_objection(
        session, principal=principal, center_id=center_id, body=body, if_match=if_match
    )
    objection = next(o for o in await store.list_objections(session, center_id) if o.id == objection_id)
    etag = service.etag(row)
    set_etag(response, etag)
    return await idem.save(
        schemas.Objection.model_validate(objection, from_attributes=True),
        status_code=201,
        headers={"ETag": etag},
    )


@router.get("/{center_id}/objections", response_model=list[schemas.Objection], summary="The center's objections")
async def list_objections(center_id: CenterId, session: SessionDep, principal: Reader) -> Any:
    await service.get_center(session, principal=principal, center_id=center_id)
    return [
        schemas.Objection.model_validate(o, from_attributes=True)
        for o in await store.list_objections(session, center_id)
    ]


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
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.resolve_objection,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        objection_id=objection_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/approve", summary="Approve: launch construction, name the center (启动建设)", **TRANSITION)
async def approve(
    center_id: CenterId,
    body: schemas.ApproveIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.approve, session, idem, response, principal=principal, center_id=center_id, body=body, if_match=if_match
    )


@router.post("/{center_id}/reject", summary="Reject (the city government declines the launch)", **TRANSITION)
async def reject(
    center_id: CenterId,
    body: schemas.ReasonIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.reject, session, idem, response, principal=principal, center_id=center_id, body=body, if_match=if_match
    )


@router.post("/{center_id}/tier", summary="Change the tier (recognised as provincial or national)", **TRANSITION)
async def change_tier(
    center_id: CenterId,
    body: schemas.TierChangeIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.change_tier,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
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
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.change_governance,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
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
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.record_acceptance,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/cancel", summary="Cancel the creation qualification (取消创建资格)", **TRANSITION)
async def cancel(
    center_id: CenterId,
    body: schemas.EndIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.end_by_bureau,
        session,
        idem,
        response,
        action=Action.CANCEL,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.post("/{center_id}/delist", summary="Delist the center (摘牌)", **TRANSITION)
async def delist(
    center_id: CenterId,
    body: schemas.EndIn,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Reviewer,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.end_by_bureau,
        session,
        idem,
        response,
        action=Action.DELIST,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


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
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    return await _command(
        service.reinstate,
        session,
        idem,
        response,
        principal=principal,
        center_id=center_id,
        body=body,
        if_match=if_match,
    )


@router.get("/{center_id}/history", response_model=list[schemas.HistoryEntry], summary="Every transition, in order")
async def history(center_id: CenterId, session: SessionDep, principal: Reader) -> Any:
    await service.get_center(session, principal=principal, center_id=center_id)
    return [
        schemas.HistoryEntry.model_validate(h, from_attributes=True)
        for h in await store.list_history(session, center_id)
    ]


# ---- queries ----

StatusQ = Annotated[list[CenterStatus], Query(description="Any of these statuses")]
TierQ = Annotated[list[Tier], Query()]
FieldQ = Annotated[list[TicField], Query()]
DistrictQ = Annotated[list[Annotated[str, Query(max_length=40)]], Query()]


def _filter(
    status: list[CenterStatus],
    tier: list[Tier],
    field: list[TicField],
    district: list[str],
    recommender: str | None,
    lead_unit_credit_code: str | None,
    q: str | None,
) -> store.CenterFilter:
    return store.CenterFilter(
        status=[s.value for s in status],
        tier=[t.value for t in tier],
        field=[f.value for f in field],
        district=district,
        recommender=recommender,
        lead_unit_credit_code=lead_unit_credit_code,
        text=q,
    )


@router.get("", response_model=Page[schemas.CenterSummary], summary="List centers, newest first")
async def list_centers(
    session: SessionDep,
    principal: Reader,
    status: StatusQ = [],  # noqa: B006 - FastAPI copies query defaults
    tier: TierQ = [],  # noqa: B006
    field: FieldQ = [],  # noqa: B006
    district: DistrictQ = [],  # noqa: B006
    recommender: Annotated[str | None, Query(max_length=200)] = None,
    lead_unit_credit_code: Annotated[str | None, Query(max_length=18)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Text in the names")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> Any:
    after = None
    if cursor:
        after = (cursor_field(cursor, "at", datetime.fromisoformat), cursor_field(cursor, "id", uuid.UUID))
    filters = _filter(status, tier, field, district, recommender, lead_unit_credit_code, q)
    rows = await store.list_centers(session, service.reach_of(principal), filters, limit=limit + 1, after=after)
    items = [summary(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"at": last.created_at.isoformat(), "id": str(last.id)})
    return Page[schemas.CenterSummary](items=items, next_cursor=next_cursor)


@router.get("/stats/counts", response_model=schemas.Counts, summary="Counts by status, tier, field or district")
async def counts(
    session: SessionDep,
    principal: Reader,
    by: Annotated[Literal["status", "tier", "field", "district"], Query()] = "status",
    status: StatusQ = [],  # noqa: B006
    tier: TierQ = [],  # noqa: B006
    field: FieldQ = [],  # noqa: B006
    district: DistrictQ = [],  # noqa: B006
    recommender: Annotated[str | None, Query(max_length=200)] = None,
    lead_unit_credit_code: Annotated[str | None, Query(max_length=18)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> Any:
    filters = _filter(status, tier, field, district, recommender, lead_unit_credit_code, q)
    found = await store.count_centers(session, service.reach_of(principal), filters, by)
    return schemas.Counts(by=by, counts=found, total=sum(found.values()))


@router.get(
    "/stats/deadlines",
    response_model=list[schemas.Deadline],
    summary="Centers whose legal-entity deadline or construction end is within N days (or passed)",
)
async def deadlines(
    session: SessionDep,
    principal: Reader,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 180,
    today: Annotated[IsoDate | None, Query(description="The day to count from; today by default")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many centers, soonest first")] = 200,
) -> Any:
    day = today or service._today()
    reach = service.reach_of(principal)
    rows = await store.deadline_candidates(session, reach, day + timedelta(days=within_days), limit)
    found = []
    for row in rows:
        kinds = ["construction_end"] if row.independent_legal_person else ["legal_entity", "construction_end"]
        for kind in kinds:
            days_left = (row.construction_end - day).days
            found.append(
                schemas.Deadline(
                    center=summary(row),
                    kind=kind,
                    deadline=row.construction_end,
                    days_left=days_left,
                    status="passed" if days_left < 0 else "near",
                )
            )
    return found
