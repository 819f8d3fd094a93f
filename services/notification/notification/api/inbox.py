"""The in-app inbox: each caller sees only the items addressed to them or to their role (in their district or
center); read marks are per person."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from notification.domain.templates import DEFAULT_LOCALE
from notification.service import inbox as inbox_service
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep
from tic_shared.pagination import Page, cursor_field, encode_cursor
from tic_shared.request_model import RequestModel
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["inbox"])

Locale = Literal["zh", "en"]


class InboxItem(BaseModel):
    id: str
    event_id: str
    event_type: str = Field(examples=["tic.registry.CenterApproved.v1"])
    center_id: str | None
    subject: str = Field(examples=["【创新中心】宁波市先进高分子材料技术创新中心 启动建设"])
    body: str = Field(description="HTML; every value from the event escaped")
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class MarkRead(RequestModel):
    item_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="These items; omit to mark everything read."
    )


class Marked(BaseModel):
    marked: int


def _out(row: Any, locale: str) -> InboxItem:
    content = row.content.get(locale) or row.content.get(DEFAULT_LOCALE) or {"subject": "", "body": ""}
    return InboxItem(
        id=str(row.id),
        event_id=str(row.event_id),
        event_type=row.event_type,
        center_id=str(row.center_id) if row.center_id else None,
        subject=content["subject"],
        body=content["body"],
        created_at=row.created_at,
        read_at=row.read_at,
    )


@router.get("/inbox", response_model=Page[InboxItem], summary="My inbox, newest first")
async def list_inbox(
    session: SessionDep,
    principal: Annotated[Principal, scoped("notification:read")],
    unread_only: Annotated[bool, Query()] = False,
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    locale: Annotated[Locale, Query()] = "zh",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> Page[InboxItem]:
    after = None
    if cursor:
        after = (cursor_field(cursor, "at", datetime.fromisoformat), cursor_field(cursor, "id", uuid.UUID))
    rows = await inbox_service.list_items(
        session, principal=principal, unread_only=unread_only, event_type=event_type, after=after, limit=limit + 1
    )
    items = [_out(row, locale) for row in rows[:limit]]
    next_cursor = (
        encode_cursor({"at": items[-1].created_at.isoformat(), "id": items[-1].id}) if len(rows) > limit else None
    )
    return Page[InboxItem](items=items, next_cursor=next_cursor)


@router.get("/inbox/unread-count", response_model=UnreadCount, summary="How many of my items are unread")
async def unread_count(
    session: SessionDep, principal: Annotated[Principal, scoped("notification:read")]
) -> UnreadCount:
    return UnreadCount(unread=await inbox_service.unread_count(session, principal=principal))


@router.get("/inbox/{item_id}", response_model=InboxItem, summary="One of my items")
async def get_item(
    session: SessionDep,
    principal: Annotated[Principal, scoped("notification:read")],
    item_id: Annotated[uuid.UUID, Path()],
    locale: Annotated[Locale, Query()] = "zh",
) -> InboxItem:
    return _out(await inbox_service.get_item(session, principal=principal, item_id=item_id), locale)


@router.post("/inbox/{item_id}/read", response_model=InboxItem, summary="Mark one of my items read")
async def mark_item_read(
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("notification:read")],
    item_id: Annotated[uuid.UUID, Path()],
    locale: Annotated[Locale, Query()] = "zh",
) -> Any:
    return await idem.run(
        lambda: inbox_service.mark_item_read(session, principal=principal, item_id=item_id),
        present=lambda item: _out(item, locale),
    )


@router.post("/inbox/read", response_model=Marked, summary="Mark several (or all) of my items read")
async def mark_read(
    session: SessionDep,
    idem: IdempotencyDep,
    principal: Annotated[Principal, scoped("notification:read")],
    request: MarkRead,
) -> Any:
    return await idem.run(
        lambda: inbox_service.mark_read(session, principal=principal, item_ids=request.item_ids),
        present=lambda marked: Marked(marked=marked),
    )
