"""The delivery log: every delivery and each of its attempts; dead letters and their replay."""

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from notification.service import deliveries as deliveries_service
from notification.store.records import DeliveryRecord
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.problems import Forbidden
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["deliveries"])

Channel = Literal["email", "webhook", "inbox"]
Status = Literal["pending", "sending", "retrying", "delivered", "dead", "skipped", "cancelled"]


class Attempt(BaseModel):
    attempt: int
    ok: bool
    started_at: datetime
    latency_ms: int
    http_status: int | None
    error: str | None


class Delivery(BaseModel):
    id: str
    event_id: str
    event_type: str = Field(examples=["tic.registry.CenterApproved.v1"])
    channel: Channel
    recipient: str = Field(examples=["wang.fang@example.com", "subscription:…", "role:district_officer/district:…"])
    subscription_id: str | None
    status: Status
    attempts: int = Field(
        description="Attempts since it was created or last replayed. An inbox delivery is delivered as its item is "
        "written: nothing is sent, so it has none."
    )
    total_attempts: int = Field(description="Attempts since it was created, replays included")
    next_attempt_at: datetime
    last_error: str | None
    rules_version: int | None
    created_at: datetime
    delivered_at: datetime | None
    dead_lettered_at: datetime | None
    replays: int


class DeliveryDetail(Delivery):
    attempt_log: list[Attempt] = Field(description="Each send, oldest first, from the delivery's hash chain")


def _out(row: DeliveryRecord, model: type[Delivery] = Delivery, **extra: Any) -> Any:
    data = asdict(row)
    for key in ("id", "event_id", "subscription_id"):
        data[key] = str(data[key]) if data[key] is not None else None
    return model.model_validate({**data, **extra})


def _bureau_only(principal: Principal) -> None:
    # Recipients are people's addresses: the log is for the bureau and systems, not row-limited users.
    if not principal.sees_everything:
        raise Forbidden("the delivery log is for bureau staff and government systems")


@router.get("/deliveries", response_model=Page[Delivery], summary="The delivery log, newest first")
async def list_deliveries(
    session: SessionDep,
    principal: Annotated[Principal, scoped("notification:read")],
    event_id: Annotated[uuid.UUID | None, Query()] = None,
    recipient: Annotated[str | None, Query(max_length=400)] = None,
    channel: Annotated[Channel | None, Query()] = None,
    status: Annotated[Status | None, Query(description="`dead` lists the dead letters")] = None,
    subscription_id: Annotated[uuid.UUID | None, Query()] = None,
    center_id: Annotated[uuid.UUID | None, Query(description="Deliveries of the events about this center")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> Page[Delivery]:
    _bureau_only(principal)
    after = None
    if cursor:
        after = (cursor_field(cursor, "at", datetime.fromisoformat), cursor_field(cursor, "id", uuid.UUID))
    rows = await deliveries_service.list_deliveries(
        session,
        event_id=event_id,
        recipient=recipient,
        channel=channel,
        status=status,
        subscription_id=subscription_id,
        center_id=center_id,
        after=after,
        limit=limit + 1,
    )
    items = [_out(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor({"at": items[-1].created_at.isoformat(), "id": items[-1].id}) if len(rows) > limit else None
    )
    return Page[Delivery](items=items, next_cursor=next_cursor)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, summary="One delivery and its attempts")
async def get_delivery(
    session: SessionDep,
    principal: Annotated[Principal, scoped("notification:read")],
    delivery_id: Annotated[uuid.UUID, Path()],
) -> DeliveryDetail:
    _bureau_only(principal)
    row, attempt_rows = await deliveries_service.get_delivery(session, delivery_id=delivery_id)
    attempts = [Attempt.model_validate(asdict(a)) for a in attempt_rows]
    detail: DeliveryDetail = _out(row, DeliveryDetail, attempt_log=attempts)
    return detail


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=Delivery,
    summary="Send a dead-lettered delivery again, with a fresh budget of attempts",
    responses={409: {"description": "Not dead-lettered, or its subscription is paused or deleted"}},
)
async def replay_delivery(
    session: SessionDep,
    idem: IdempotencyDep,
    _: Annotated[Principal, scoped("notification:manage")],
    delivery_id: Annotated[uuid.UUID, Path()],
) -> Any:
    return await idem.run(lambda: deliveries_service.replay_delivery(session, delivery_id=delivery_id), present=_out)
