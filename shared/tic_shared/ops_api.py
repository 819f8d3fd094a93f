"""The event backbone seen from the API: dead letters (list, show, replay) and outbox lag, on every service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tic_shared import ops_store
from tic_shared.auth import Principal, scoped
from tic_shared.bounds import RowId
from tic_shared.http import IdempotencyDep
from tic_shared.inbox import replay_dead_letter
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.problems import NotFound

router = APIRouter(tags=["operations"])


class DeadLetter(BaseModel):
    id: int
    consumer: str
    stream: str
    subject: str
    event_id: str | None
    event_type: str | None
    error: str
    attempts: int
    created_at: datetime
    replayed_at: datetime | None
    replay_error: str | None
    payload: str = Field(description="The message exactly as received.")


class ReplayResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": 7, "event_id": "0b7f6c1e-2d0c-4d8e-9a55-3f1c1f2a9e10", "applied": True}]}
    )

    id: int
    event_id: str
    applied: bool = Field(description="False when the event had already been applied by then.")


class OutboxStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pending": 0,
                    "oldest_pending_at": None,
                    "published": 1284,
                    "relay_is_leader": True,
                    "nats_connected": True,
                }
            ]
        }
    )

    pending: int
    oldest_pending_at: datetime | None
    published: int
    relay_is_leader: bool
    nats_connected: bool


def _to_model(record: ops_store.DeadLetterRecord) -> DeadLetter:
    return DeadLetter(
        id=record.id,
        consumer=record.consumer,
        stream=record.stream,
        subject=record.subject,
        event_id=str(record.event_id) if record.event_id else None,
        event_type=record.event_type,
        error=record.error,
        attempts=record.attempts,
        created_at=record.created_at,
        replayed_at=record.replayed_at,
        replay_error=record.replay_error,
        payload=record.payload,
    )


@router.get("/dead-letters", response_model=Page[DeadLetter], summary="List dead letters")
async def list_dead_letters(
    request: Request,
    _: Annotated[Principal, scoped("ops:read")],
    state: Annotated[Literal["open", "replayed", "all"], Query(description="Which dead letters")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="From a previous page's next_cursor")] = None,
) -> Page[DeadLetter]:
    async with request.app.state.db.reading() as session:
        rows = await ops_store.list_dead_letters(
            session,
            request.app.state.messaging.dead_letters,
            state=state,
            before_id=cursor_field(cursor, "id") if cursor else None,
            limit=limit + 1,
        )
    items = [_to_model(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"id": items[-1].id}) if len(rows) > limit else None
    return Page[DeadLetter](items=items, next_cursor=next_cursor)


@router.get("/dead-letters/{dead_letter_id}", response_model=DeadLetter, summary="Show one dead letter")
async def get_dead_letter(
    request: Request,
    _: Annotated[Principal, scoped("ops:read")],
    dead_letter_id: RowId,
) -> DeadLetter:
    async with request.app.state.db.reading() as session:
        found = await ops_store.get_dead_letter(session, request.app.state.messaging.dead_letters, dead_letter_id)
    if found is None:
        raise NotFound("dead letter", dead_letter_id)
    return _to_model(found)


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    response_model=ReplayResult,
    summary="Apply a dead-lettered event again, once",
)
async def replay(
    request: Request,
    _: Annotated[Principal, scoped("ops:replay")],
    dead_letter_id: RowId,
    idem: IdempotencyDep,
) -> Any:
    # Replaying twice is harmless (the second finds the event applied), but a retry with the same key gets
    # the first answer rather than a different one.
    state = request.app.state
    return await idem.run(
        lambda: replay_dead_letter(
            db=state.db,
            tables=state.messaging,
            handlers=state.handlers,
            dead_letter_id=dead_letter_id,
            timeout_s=state.settings.consumer_ack_wait_s,
        ),
        present=ReplayResult.model_validate,
    )


@router.get("/outbox", response_model=OutboxStatus, summary="How far the outbox relay is behind")
async def outbox_status(request: Request, _: Annotated[Principal, scoped("ops:read")]) -> OutboxStatus:
    async with request.app.state.db.transaction() as session:  # both counts from one snapshot
        lag = await ops_store.outbox_lag(session, request.app.state.messaging.outbox)
    return OutboxStatus(
        pending=lag.pending,
        oldest_pending_at=lag.oldest_pending_at,
        published=lag.published,
        relay_is_leader=request.app.state.relay.is_leader,
        nats_connected=request.app.state.link.connected,
    )
