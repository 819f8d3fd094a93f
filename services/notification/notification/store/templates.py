"""Queries of the message templates."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.records import TemplateRecord
from notification.store.tables import templates


async def seed(session: AsyncSession, shipped: dict[tuple[str, str], dict[str, str]]) -> int:
    """Insert the shipped templates that are not in the database yet; edited ones are never overwritten."""
    if not shipped:
        return 0
    rows = [
        {"event_name": name, "locale": locale, "subject": parts["subject"], "body": parts["body"], "source": "package"}
        for (name, locale), parts in shipped.items()
    ]
    result = await session.execute(
        insert(templates).values(rows).on_conflict_do_nothing().returning(templates.c.event_name)
    )
    return len(result.all())


async def get(session: AsyncSession, event_name: str, locale: str) -> TemplateRecord | None:
    t = templates.c
    row = (await session.execute(select(templates).where(t.event_name == event_name, t.locale == locale))).first()
    return TemplateRecord.of(row) if row is not None else None


async def for_event(session: AsyncSession, event_name: str) -> dict[str, TemplateRecord]:
    """locale -> template, for one event."""
    rows = (await session.execute(select(templates).where(templates.c.event_name == event_name))).all()
    return {row.locale: TemplateRecord.of(row) for row in rows}


async def list_templates(
    session: AsyncSession, *, event_name: str | None, locale: str | None, after: tuple[str, str] | None, limit: int
) -> list[TemplateRecord]:
    t = templates.c
    query = select(templates).order_by(t.event_name, t.locale).limit(limit)
    if event_name:
        query = query.where(t.event_name == event_name)
    if locale:
        query = query.where(t.locale == locale)
    if after:
        query = query.where((t.event_name > after[0]) | ((t.event_name == after[0]) & (t.locale > after[1])))
    return [TemplateRecord.of(row) for row in (await session.execute(query)).all()]


async def save(
    session: AsyncSession, *, event_name: str, locale: str, subject: str, body: str, by: str, expected_version: int
) -> TemplateRecord | None:
    """Write a new version if the stored one is still `expected_version`; None when someone got there first."""
    t = templates.c
    result = await session.execute(
        update(templates)
        .where(t.event_name == event_name, t.locale == locale, t.version == expected_version)
        .values(subject=subject, body=body, version=t.version + 1, source="api", updated_by=by, updated_at=func.now())
        .returning(*templates.c)
    )
    row = result.first()
    return TemplateRecord.of(row) if row is not None else None


async def create(
    session: AsyncSession, *, event_name: str, locale: str, subject: str, body: str, by: str
) -> TemplateRecord:
    """A template for an event that had none in this locale."""
    result = await session.execute(
        insert(templates)
        .values(event_name=event_name, locale=locale, subject=subject, body=body, source="api", updated_by=by)
        .returning(*templates.c)
    )
    return TemplateRecord.of(result.one())
