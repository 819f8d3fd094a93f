"""A person's inbox: the items addressed to them, their role or their department, and what they have read."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import inbox as inbox_store
from notification.store.records import InboxItemRecord
from tic_shared.auth import Principal
from tic_shared.problems import NotFound


async def list_items(
    session: AsyncSession,
    *,
    principal: Principal,
    unread_only: bool,
    event_type: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[InboxItemRecord]:
    return await inbox_store.list_items(
        session, principal, unread_only=unread_only, event_type=event_type, after=after, limit=limit
    )


async def unread_count(session: AsyncSession, *, principal: Principal) -> int:
    return int(await inbox_store.unread_count(session, principal))


async def get_item(session: AsyncSession, *, principal: Principal, item_id: uuid.UUID) -> InboxItemRecord:
    found = await inbox_store.get_item(session, principal, item_id)
    if found is None:
        raise NotFound("inbox item", item_id)
    return found


async def mark_item_read(session: AsyncSession, *, principal: Principal, item_id: uuid.UUID) -> InboxItemRecord:
    await get_item(session, principal=principal, item_id=item_id)
    await inbox_store.mark_read(session, principal, [item_id])
    return await get_item(session, principal=principal, item_id=item_id)


async def mark_read(session: AsyncSession, *, principal: Principal, item_ids: list[uuid.UUID] | None) -> int:
    """Several items, or every one of the caller's when `item_ids` is None; how many were unread."""
    return int(await inbox_store.mark_read(session, principal, item_ids))
