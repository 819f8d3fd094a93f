"""Webhook subscriptions of other government systems: the secret is shown once, at creation, never again."""

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, HttpUrl

from notification.domain import signing
from notification.service import subscriptions as subscriptions_service
from notification.store.records import SubscriptionRecord
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, set_etag
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.request_model import RequestModel
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["subscriptions"])

SubscriptionId = Annotated[uuid.UUID, Path(description="The subscription's id")]

EventTypes = Annotated[
    list[Annotated[str, Field(max_length=200)]],
    Field(
        min_length=1,
        max_length=50,
        examples=[["tic.registry.CenterApproved.v1", "tic.funding.*"]],
        description="Event types to receive: an exact type, `tic.<producer>.*`, or `*` for all.",
    ),
]


class SubscriptionIn(RequestModel):
    url: HttpUrl = Field(examples=["https://finance.example.gov.cn/tic/events"])
    event_types: EventTypes
    description: str | None = Field(default=None, max_length=500, examples=["Municipal finance bureau"])


class SubscriptionPatch(RequestModel):
    url: HttpUrl | None = None
    event_types: EventTypes | None = None
    description: str | None = Field(default=None, max_length=500)
    status: Literal["active", "paused"] | None = Field(
        default=None, description="Pause, or resume (which also clears the failure count)."
    )


class SubscriptionOut(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str | None
    status: Literal["active", "paused"]
    paused_reason: str | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    failing_since: datetime | None = Field(
        description="The first failure since the last success: paused when this is TIC_DELIVERY_PAUSE_AFTER_S ago"
    )
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(
        description="The HMAC key to verify signatures with. Shown in this response only: store it now. "
        "A retry with the same Idempotency-Key gets null here."
    )
    signature_header: str = signing.SIGNATURE_HEADER
    timestamp_header: str = signing.TIMESTAMP_HEADER


def _out(record: SubscriptionRecord) -> SubscriptionOut:
    return SubscriptionOut.model_validate({**asdict(record), "id": str(record.id)})


@router.post("/subscriptions", status_code=201, response_model=SubscriptionCreated, summary="Subscribe a webhook")
async def create_subscription(
    request: Request,
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("notification:manage")],
    subscription: SubscriptionIn,
) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    made = await subscriptions_service.create_subscription(
        session,
        url=str(subscription.url),
        event_types=subscription.event_types,
        description=subscription.description,
        by=principal.subject,
        settings=request.app.state.settings,
        cache=request.app.state.fanout_cache,
    )
    out = _out(made.subscription)
    headers = {"ETag": subscriptions_service.etag(made.subscription), "Location": f"/api/v1/subscriptions/{out.id}"}
    # The one command that does not end in idem.run: what a retry replays is kept without the secret, which is
    # shown in this answer only and stored nowhere but sealed in its own row.
    await idem.save(SubscriptionCreated(**out.model_dump(), secret=None), status_code=201, headers=headers)
    shown = SubscriptionCreated(**out.model_dump(), secret=made.secret)
    return JSONResponse(shown.model_dump(mode="json"), status_code=201, headers=headers)


@router.get("/subscriptions", response_model=Page[SubscriptionOut], summary="List webhook subscriptions")
async def list_subscriptions(
    session: SessionDep,
    _: Annotated[Principal, scoped("notification:manage")],
    status: Annotated[Literal["active", "paused"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> Page[SubscriptionOut]:
    after = None
    if cursor:
        after = (cursor_field(cursor, "at", datetime.fromisoformat), cursor_field(cursor, "id", uuid.UUID))
    rows = await subscriptions_service.list_subscriptions(session, status=status, after=after, limit=limit + 1)
    items = [_out(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor({"at": items[-1].created_at.isoformat(), "id": items[-1].id}) if len(rows) > limit else None
    )
    return Page[SubscriptionOut](items=items, next_cursor=next_cursor)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut, summary="One subscription")
async def get_subscription(
    session: SessionDep,
    response: Response,
    _: Annotated[Principal, scoped("notification:manage")],
    subscription_id: SubscriptionId,
) -> SubscriptionOut:
    found = await subscriptions_service.get_subscription(session, subscription_id=subscription_id)
    set_etag(response, subscriptions_service.etag(found))
    return _out(found)


@router.patch(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    summary="Change a subscription; pause or resume it",
    responses={412: {"description": "If-Match names another version"}},
)
async def update_subscription(
    request: Request,
    session: SessionDep,
    response: Response,
    _: Annotated[Principal, scoped("notification:manage")],
    subscription_id: SubscriptionId,
    patch: SubscriptionPatch,
    if_match: IfMatch = None,
) -> SubscriptionOut:
    changed = await subscriptions_service.update_subscription(
        session,
        subscription_id=subscription_id,
        changes=subscriptions_service.Changes(
            url=str(patch.url) if patch.url else None,
            event_types=patch.event_types,
            description=patch.description,
            description_given="description" in patch.model_fields_set,
            status=patch.status,
        ),
        if_match=if_match,
        settings=request.app.state.settings,
        cache=request.app.state.fanout_cache,
    )
    set_etag(response, subscriptions_service.etag(changed))
    return _out(changed)


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    summary="Delete a subscription; its undelivered deliveries are cancelled",
    responses={412: {"description": "If-Match names another version"}},
)
async def delete_subscription(
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, scoped("notification:manage")],
    subscription_id: SubscriptionId,
    if_match: IfMatch = None,
) -> Response:
    await subscriptions_service.delete_subscription(
        session, subscription_id=subscription_id, if_match=if_match, cache=request.app.state.fanout_cache
    )
    return Response(status_code=204)
