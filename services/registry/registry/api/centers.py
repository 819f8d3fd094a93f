"""Routes of centers: applications and drafts, one center with its history and objections, lists, counts, deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from registry.api import schemas
from registry.domain import lifecycle
from registry.domain.naming import legal_entity_status
from registry.service import applications, reading
from registry.service.acts import etag
from registry.store.centers import CenterFilter
from registry.store.records import CenterRead, CenterRecord, CenterSummaryRecord
from tic_shared.auth import Principal, scoped
from tic_shared.dated_acts import today as local_today
from tic_shared.http import Idempotency, IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.request_model import IsoDate
from tic_shared.service_app import DatabaseDep, SessionDep
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


def to_center(center: CenterRead) -> schemas.Center:
    status_of_entity = None
    if center.construction_end is not None and center.status in ("building", "operating"):
        status_of_entity = legal_entity_status(
            independent_legal_person=center.independent_legal_person,
            construction_end_on=center.construction_end,
            today=local_today(),
        ).value
    return schemas.Center(
        id=center.id,
        status=center.status,
        allowed_actions=lifecycle.allowed_actions(center.status),
        name_zh=center.name_zh,
        name_en=center.name_en,
        official_name_zh=center.official_name_zh,
        official_name_en=center.official_name_en,
        code=center.code,
        tier=center.tier,
        origin=center.origin,
        recommender=center.recommender,
        field=center.field,
        industrial_chain=center.industrial_chain,
        district=center.district,
        lead_unit={
            "name": center.lead_unit_name,
            "credit_code": center.lead_unit_credit_code,
            "type": center.lead_unit_type,
        },
        co_builders=center.co_builders,
        contacts=center.contacts,
        plan=center.plan,
        targets=center.targets,
        governance=center.governance,
        bases=center.bases,
        independent_legal_person=center.independent_legal_person,
        legal_entity_status=status_of_entity,
        review=center.review,
        decision=center.decision,
        notice_starts_on=center.notice_starts_on,
        notice_ends_on=center.notice_ends_on,
        open_objections=center.open_objections,
        document_no=center.document_no,
        approved_on=center.approved_on,
        construction_start=center.construction_start,
        construction_end=center.construction_end,
        ended_on=center.ended_on,
        end_reason=center.end_reason,
        version=center.version,
        created_at=center.created_at,
        updated_at=center.updated_at,
    )


# Lists are validated once, where they are built, and handed over serialized rather than validated again.
_DEADLINES = TypeAdapter(list[schemas.Deadline])


def _json(body: bytes | str) -> Response:
    return Response(body, media_type="application/json")


def summary(center: CenterSummaryRecord) -> schemas.CenterSummary:
    return schemas.CenterSummary.model_validate(center, from_attributes=True)


async def answer(
    idem: Idempotency,
    session: AsyncSession,
    act: Callable[[], Awaitable[CenterRecord]],
    *,
    status_code: int = 200,
) -> JSONResponse:
    """Every command on a center: a retry replays the first answer; else the act runs and the center answers."""

    async def present(center: CenterRecord) -> schemas.Center:
        return to_center(await reading.as_read(session, center))

    return await idem.run(act, present, etag=etag, status_code=status_code)


# ---- applications ----


@router.post("", status_code=201, response_model=schemas.Center, summary="Create an application (a draft)")
async def create_center(
    body: schemas.CenterCreate, session: SessionDep, idem: IdempotencyDep, principal: Writer
) -> JSONResponse:
    return await answer(
        idem,
        session,
        lambda: applications.create_center(session, principal=principal, application=body.stored()),
        status_code=201,
    )


@router.post(
    "/validate",
    response_model=schemas.Validated,
    summary="Check an application as creating it would, and record nothing (an import's dry run)",
)
async def validate_center(body: schemas.CenterCreate, principal: Writer) -> schemas.Validated:
    applications.check_new_application(principal=principal, district=body.district)
    return schemas.Validated(valid=True)


@router.get("/{center_id}", response_model=schemas.Center, summary="One center")
async def get_center(center_id: CenterId, db: DatabaseDep, principal: Reader) -> Response:
    center = await reading.get_center(db, principal=principal, center_id=center_id)
    # The busiest read: its model is validated once, here, and handed over serialized, not validated again.
    body = to_center(center).model_dump_json(by_alias=True)
    return Response(body, media_type="application/json", headers={"ETag": etag(center)})


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
    center = await applications.update_draft(
        session, principal=principal, center_id=center_id, changes=body.given(), if_match=if_match
    )
    set_etag(response, etag(center))
    return to_center(await reading.as_read(session, center))


@router.get("/{center_id}/objections", response_model=list[schemas.Objection], summary="The center's objections")
async def list_objections(center_id: CenterId, session: SessionDep, principal: Reader) -> Any:
    found = await reading.objections(session, principal=principal, center_id=center_id)
    return [schemas.Objection.model_validate(objection, from_attributes=True) for objection in found]


@router.get("/{center_id}/history", response_model=list[schemas.HistoryEntry], summary="Every transition, in order")
async def history(center_id: CenterId, session: SessionDep, principal: Reader) -> Any:
    found = await reading.history(session, principal=principal, center_id=center_id)
    return [schemas.HistoryEntry.model_validate(entry, from_attributes=True) for entry in found]


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
) -> CenterFilter:
    return CenterFilter(
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
    found = await reading.list_centers(session, principal=principal, filters=filters, limit=limit + 1, after=after)
    items = [summary(center) for center in found[:limit]]
    next_cursor = None
    if len(found) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"at": last.created_at.isoformat(), "id": str(last.id)})
    return _json(Page[schemas.CenterSummary](items=items, next_cursor=next_cursor).model_dump_json())


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
    found = await reading.count_centers(session, principal=principal, filters=filters, by=by)
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
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many centers, soonest first")] = 50,
) -> Response:
    found = await reading.deadlines(
        session, principal=principal, day=today or local_today(), within_days=within_days, limit=limit
    )
    # A center with both deadlines is summarised once: a full page is mostly such pairs.
    summaries: dict[uuid.UUID, schemas.CenterSummary] = {}
    for deadline in found:
        if deadline.center.id not in summaries:
            summaries[deadline.center.id] = summary(deadline.center)
    deadlines = [
        schemas.Deadline(
            center=summaries[deadline.center.id],
            kind=deadline.kind,
            deadline=deadline.deadline,
            days_left=deadline.days_left,
            status="passed" if deadline.passed else "near",
        )
        for deadline in found
    ]
    return _json(_DEADLINES.dump_json(deadlines))
