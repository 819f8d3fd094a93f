"""Queries of the in-app inbox: items addressed to a user or a role (narrowed to a district or a center)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import deferred
from notification.store.records import InboxItemRecord
from notification.store.tables import inbox_items, inbox_messages, inbox_reads
from tic_shared.auth import Principal
from tic_shared.ids import new_ids


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The items this caller may see: theirs by subject, or their role's within their district / center /
    department."""
    i = inbox_items.c
    own = i.user_subject == principal.subject
    if not principal.roles:
        return own
    in_district: ColumnElement[bool] = i.district.is_(None)
    if principal.district:
        in_district = or_(in_district, i.district == principal.district)
    in_center: ColumnElement[bool] = i.center_id.is_(None)
    if principal.center_id:
        in_center = or_(in_center, i.center_id == principal.center_id)
    in_department: ColumnElement[bool] = i.department.is_(None)
    if principal.department:
        in_department = or_(in_department, i.department == principal.department)
    by_role = and_(i.user_subject.is_(None), i.role.in_(sorted(principal.roles)), in_district, in_center, in_department)
    return or_(own, by_role)


def _read_by(subject: str) -> Any:
    r = inbox_reads.c
    return exists().where(r.item_id == inbox_items.c.id, r.subject == subject)


async def list_items(
    session: AsyncSession,
    principal: Principal,
    *,
    unread_only: bool,
    event_type: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[InboxItemRecord]:
    i = inbox_items.c
    query = _visible_items(principal).order_by(i.created_at.desc(), i.id.desc()).limit(limit)
    if unread_only:
        query = query.where(~_read_by(principal.subject))
    if event_type:
        query = query.where(i.event_type == event_type)
    if after:
        query = query.where(tuple_(i.created_at, i.id) < tuple_(literal(after[0]), literal(after[1])))
    return InboxItemRecord.all(await session.execute(query))


async def get_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> InboxItemRecord | None:
    query = _visible_items(principal).where(inbox_items.c.id == item_id)
    return InboxItemRecord.first(await session.execute(query))


def _visible_items(principal: Principal) -> Select[Any]:
    """The items this caller may see, each with its event's message and when this caller read it, as
    `InboxItemRecord` reads them."""
    i = inbox_items.c
    r = inbox_reads.c
    read_at = (
        select(r.read_at).where(r.item_id == i.id, r.subject == principal.subject).scalar_subquery().label("read_at")
    )
    return (
        select(inbox_items, inbox_messages.c.content, read_at)
        .join(inbox_messages, inbox_messages.c.event_id == i.event_id)
        .where(visible_to(principal))
    )


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    query = select(func.count()).select_from(inbox_items).where(visible_to(principal), ~_read_by(principal.subject))
    return int((await session.execute(query)).scalar_one())


async def mark_read(session: AsyncSession, principal: Principal, item_ids: list[uuid.UUID] | None) -> int:
    """Mark the given visible items (or all visible unread ones) read for this caller; how many changed."""
    i = inbox_items.c
    chosen = select(i.id, literal(principal.subject)).where(visible_to(principal), ~_read_by(principal.subject))
    if item_ids is not None:
        chosen = chosen.where(i.id.in_(item_ids)) if item_ids else chosen.where(false())
    result = await session.execute(
        insert(inbox_reads)
        .from_select(["item_id", "subject"], chosen)
        .on_conflict_do_nothing()
        .returning(inbox_reads.c.item_id)
    )
    return len(result.all())


async def add_many(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    *,
    event_id: uuid.UUID,
    content: dict[str, Any],
    deliveries: list[uuid.UUID] | None = None,
) -> None:
    """Items of one event, for the audiences in `rows`, and the event's message (`content`, stored once for all
    of them); written when the transaction commits, with the other events of its batch, one statement per table.
    With `deliveries` (one per row), each item only if that delivery, added in the same transaction, was written.
    A message already there (a replayed event's) is kept."""
    if rows:
        await deferred.insert_rows(session, _ADD_MESSAGE, [{"event_id": event_id, "content": content}])
        await deferred.insert_rows(
            session,
            _ADD,
            [{"id": id_, "event_id": event_id, **row} for id_, row in zip(new_ids(len(rows)), rows, strict=True)],
            only_if_written=deliveries,
        )


_ADD_MESSAGE = deferred.Into(inbox_messages, skip_conflicts=True)
_ADD = deferred.Into(inbox_items, skip_conflicts=True, constraint="uq_inbox_items_event_recipient")
