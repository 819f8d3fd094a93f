"""Queries of the webhook subscriptions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from notification.domain.retry import should_pause, should_warn
from notification.domain.sealing import PREFIX, SecretBox
from notification.store.records import Candidate, SubscriptionRecord
from notification.store.tables import deliveries, subscriptions

# Everything but the secret: it leaves the database only to sign a request.
PUBLIC_COLUMNS = [column for column in subscriptions.c if column.name != "secret"]


async def create(
    session: AsyncSession, *, url: str, event_types: list[str], description: str | None, sealed_secret: str, by: str
) -> SubscriptionRecord:
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
    return SubscriptionRecord.of(result.one())


async def get(session: AsyncSession, subscription_id: uuid.UUID) -> SubscriptionRecord | None:
    s = subscriptions.c
    query = select(*PUBLIC_COLUMNS).where(s.id == subscription_id, s.status != "deleted")
    row = (await session.execute(query)).first()
    return SubscriptionRecord.of(row) if row is not None else None


async def list_subscriptions(
    session: AsyncSession, *, status: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[SubscriptionRecord]:
    s = subscriptions.c
    query = select(*PUBLIC_COLUMNS).where(s.status != "deleted").order_by(s.created_at, s.id).limit(limit)
    if status:
        query = query.where(s.status == status)
    if after:
        query = query.where(tuple_(s.created_at, s.id) > tuple_(literal(after[0]), literal(after[1])))
    return [SubscriptionRecord.of(row) for row in (await session.execute(query)).all()]


async def matching_candidates(session: AsyncSession) -> list[Candidate]:
    """Subscriptions that take new deliveries: active and paused ones (a paused one holds them until resumed)."""
    s = subscriptions.c
    return Candidate.all(await session.execute(select(s.id, s.event_types).where(s.status != "deleted")))


async def update_fields(
    session: AsyncSession, subscription_id: uuid.UUID, expected_version: int, values: dict[str, Any]
) -> SubscriptionRecord | None:
    s = subscriptions.c
    result = await session.execute(
        update(subscriptions)
        .where(s.id == subscription_id, s.version == expected_version, s.status != "deleted")
        .values(**values, version=s.version + 1, updated_at=func.now())
        .returning(*PUBLIC_COLUMNS)
    )
    row = result.first()
    return SubscriptionRecord.of(row) if row is not None else None


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


@dataclass(frozen=True)
class Turn:
    """What one failure changed: the owner is to be told the subscription will pause, or that it paused."""

    kind: Literal["pause-warning", "paused"]
    subscription_id: uuid.UUID
    owner: str
    url: str
    failing_since: datetime
    failures: int


# How stale `last_success_at` may grow while every delivery succeeds: refreshing it on each success would make every
# delivery to one endpoint wait for the one before it to commit (they would all lock the subscription's row).
SUCCESS_STAMP_EVERY = timedelta(seconds=1)


async def record_success(session: AsyncSession, subscription_id: uuid.UUID) -> int:
    """The endpoint answers: clear its failing state and make its waiting deliveries due now, so what piled up
    during an outage goes out at once instead of each at the end of its own backoff. How many were woken.

    A healthy endpoint's row is only touched to move `last_success_at` on (at most every SUCCESS_STAMP_EVERY):
    an update whose condition the row does not meet neither writes nor locks it."""
    s = subscriptions.c
    failing = (s.consecutive_failures > 0) | s.failing_since.is_not(None) | s.pause_warned_at.is_not(None)
    recovered = (
        await session.execute(
            update(subscriptions)
            .where(s.id == subscription_id, failing)
            .values(consecutive_failures=0, last_success_at=func.now(), failing_since=None, pause_warned_at=None)
            .returning(literal(True))
        )
    ).first()
    if recovered is None:
        stale = s.last_success_at.is_(None) | (s.last_success_at < func.now() - SUCCESS_STAMP_EVERY)
        await session.execute(
            update(subscriptions).where(s.id == subscription_id, stale).values(last_success_at=func.now())
        )
        return 0
    d = deliveries.c
    woken = await session.execute(
        update(deliveries)
        .where(d.subscription_id == subscription_id, d.status == "retrying", d.next_attempt_at > func.now())
        .values(next_attempt_at=func.now())
        .returning(d.id)
    )
    return len(woken.all())


async def record_failure(
    session: AsyncSession, subscription_id: uuid.UUID, *, pause_after_s: float, warn_before_s: float
) -> Turn | None:
    """Count the failure and remember since when the endpoint has failed without a success in between.

    Paused (never deleted) once that is `pause_after_s` ago; its owner is told `warn_before_s` before, once.
    """
    s = subscriptions.c
    row = (
        await session.execute(
            update(subscriptions)
            .where(s.id == subscription_id)
            .values(
                consecutive_failures=s.consecutive_failures + 1,
                last_failure_at=func.now(),
                failing_since=func.coalesce(s.failing_since, func.now()),
            )
            .returning(
                s.status,
                s.consecutive_failures,
                s.failing_since,
                s.pause_warned_at,
                s.created_by,
                s.url,
                func.extract("epoch", func.now() - s.failing_since).label("failing_for_s"),
            )
        )
    ).first()
    if row is None or row.status != "active":
        return None
    failing_for_s = float(row.failing_for_s or 0)

    def turn(kind: Literal["pause-warning", "paused"]) -> Turn:
        return Turn(kind, subscription_id, row.created_by, row.url, row.failing_since, row.consecutive_failures)

    if should_pause(failing_for_s, pause_after_s):
        await session.execute(
            update(subscriptions)
            .where(s.id == subscription_id, s.status == "active")
            .values(
                status="paused",
                paused_reason=(
                    f"paused after failing continuously since {row.failing_since.isoformat(timespec='seconds')} "
                    f"({row.consecutive_failures} failed attempts)"
                ),
                version=s.version + 1,
                updated_at=func.now(),
            )
        )
        return turn("paused")
    if row.pause_warned_at is None and should_warn(
        failing_for_s, pause_after_s=pause_after_s, warn_before_s=warn_before_s
    ):
        await session.execute(update(subscriptions).where(s.id == subscription_id).values(pause_warned_at=func.now()))
        return turn("pause-warning")
    return None


async def endpoint_down_since(session: AsyncSession, subscription_id: uuid.UUID, since: datetime) -> bool:
    """True when the endpoint has had no success since `since` (it is down, not refusing one event)."""
    s = subscriptions.c
    row = (await session.execute(select(s.last_success_at).where(s.id == subscription_id))).first()
    return row is not None and (row.last_success_at is None or row.last_success_at < since)
