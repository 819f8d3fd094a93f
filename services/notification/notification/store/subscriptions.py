"""Queries of the webhook subscriptions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from notification.domain.retry import should_pause
from notification.domain.sealing import PREFIX, SecretBox
from notification.store.tables import deliveries, subscriptions

# Everything but the secret: it leaves the database only to sign a request.
PUBLIC_COLUMNS = [column for column in subscriptions.c if column.name != "secret"]


async def create(
    session: AsyncSession, *, url: str, event_types: list[str], description: str | None, sealed_secret: str, by: str
) -> Any:
    """A new subscription; its secret arrives sealed (`SecretBox.seal`), and is stored only so."""
    result = await session.execute(
        subscriptions.insert()
        .values(
            id=uuid.uuid4(),
            url=url,
            event_types=event_types,
            description=description,
            secret=sealed_secret,
            status="active",
            created_by=by,
        )
        .returning(*PUBLIC_COLUMNS)
    )
    return result.one()


async def get(session: AsyncSession, subscription_id: uuid.UUID) -> Any | None:
    s = subscriptions.c
    query = select(*PUBLIC_COLUMNS).where(s.id == subscription_id, s.status != "deleted")
    return (await session.execute(query)).first()


async def list_subscriptions(
    session: AsyncSession, *, status: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Any]:
    s = subscriptions.c
    query = select(*PUBLIC_COLUMNS).where(s.status != "deleted").order_by(s.created_at, s.id).limit(limit)
    if status:
        query = query.where(s.status == status)
    if after:
        query = query.where(tuple_(s.created_at, s.id) > tuple_(literal(after[0]), literal(after[1])))
    return list((await session.execute(query)).all())


async def matching_candidates(session: AsyncSession) -> list[Any]:
    """Subscriptions that take new deliveries: active and paused ones (a paused one holds them until resumed)."""
    s = subscriptions.c
    return list((await session.execute(select(s.id, s.event_types).where(s.status != "deleted"))).all())


async def update_fields(
    session: AsyncSession, subscription_id: uuid.UUID, expected_version: int, values: dict[str, Any]
) -> Any | None:
    s = subscriptions.c
    result = await session.execute(
        update(subscriptions)
        .where(s.id == subscription_id, s.version == expected_version, s.status != "deleted")
        .values(**values, version=s.version + 1, updated_at=func.now())
        .returning(*PUBLIC_COLUMNS)
    )
    return result.first()


async def cancel_open_deliveries(session: AsyncSession, subscription_id: uuid.UUID) -> int:
    d = deliveries.c
    result = await session.execute(
        update(deliveries)
        .where(d.subscription_id == subscription_id, d.status.in_(("pending", "retrying", "sending")))
        .values(status="cancelled", last_error="the subscription was deleted", claim_token=None, claimed_until=None)
        .returning(d.id)
    )
    return len(result.all())


@dataclass(frozen=True)
class WebhookTarget:
    id: uuid.UUID
    url: str
    secret: str = field(repr=False)
    status: str


async def secrets_of(session: AsyncSession, ids: set[uuid.UUID], box: SecretBox) -> dict[uuid.UUID, WebhookTarget]:
    """URL, opened secret and status of the subscriptions a batch of deliveries is for."""
    if not ids:
        return {}
    s = subscriptions.c
    rows = (await session.execute(select(s.id, s.url, s.secret, s.status).where(s.id.in_(ids)))).all()
    return {row.id: WebhookTarget(row.id, row.url, box.open(row.secret), row.status) for row in rows}


async def seal_plain_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Seal the secrets stored before they were sealed at rest; how many there were."""
    s = subscriptions.c
    rows = (await session.execute(select(s.id, s.secret).where(s.secret.not_like(f"{PREFIX}%")))).all()
    for row in rows:
        await session.execute(update(subscriptions).where(s.id == row.id).values(secret=box.seal(row.secret)))
    return len(rows)


async def record_outcome(session: AsyncSession, subscription_id: uuid.UUID, *, ok: bool, pause_after: int) -> bool:
    """Count consecutive failures; pause (never delete) the subscription when they reach `pause_after`.

    True when this outcome paused it.
    """
    s = subscriptions.c
    if ok:
        await session.execute(
            update(subscriptions)
            .where(s.id == subscription_id)
            .values(consecutive_failures=0, last_success_at=func.now())
        )
        return False
    row = (
        await session.execute(
            update(subscriptions)
            .where(s.id == subscription_id)
            .values(consecutive_failures=s.consecutive_failures + 1, last_failure_at=func.now())
            .returning(s.consecutive_failures, s.status)
        )
    ).first()
    if row is None or row.status != "active" or not should_pause(row.consecutive_failures, pause_after):
        return False
    await session.execute(
        update(subscriptions)
        .where(s.id == subscription_id, s.status == "active")
        .values(
            status="paused",
            paused_reason=f"paused after {row.consecutive_failures} consecutive failed deliveries",
            version=s.version + 1,
            updated_at=func.now(),
        )
    )
    return True


async def record_outcomes(
    session: AsyncSession, outcomes: dict[uuid.UUID, tuple[int, int]], *, pause_after: int
) -> list[uuid.UUID]:
    """Per subscription (successes, failures) of one batch; returns those this paused.

    Any success clears the failure count (a flaky receiver is not a dead one); otherwise failures add up, and
    reaching `pause_after` pauses the subscription — never deletes it.
    """
    paused = []
    for subscription_id, (successes, failures) in outcomes.items():
        if successes:
            await record_outcome(session, subscription_id, ok=True, pause_after=pause_after)
            continue
        s = subscriptions.c
        row = (
            await session.execute(
                update(subscriptions)
                .where(s.id == subscription_id)
                .values(consecutive_failures=s.consecutive_failures + failures, last_failure_at=func.now())
                .returning(s.consecutive_failures, s.status)
            )
        ).first()
        if row is None or row.status != "active" or not should_pause(row.consecutive_failures, pause_after):
            continue
        await session.execute(
            update(subscriptions)
            .where(s.id == subscription_id, s.status == "active")
            .values(
                status="paused",
                paused_reason=f"paused after {row.consecutive_failures} consecutive failed deliveries",
                version=s.version + 1,
                updated_at=func.now(),
            )
        )
        paused.append(subscription_id)
    return paused
