"""Queries of deliveries and their attempts: insert once, claim by update, record each outcome."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, func, literal, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import deferred
from notification.store.records import AttemptRecord, DeliveryRecord
from notification.store.tables import ATTEMPTS, deliveries, delivery_attempts, received_events, subscriptions
from tic_shared import audit
from tic_shared.ids import new_ids

OPEN = ("pending", "retrying", "sending")
WAKE_CHANNEL = "notification_deliveries"


_WAKE = text("SELECT pg_notify(:channel, '')")
_WOKEN = "notification.woken_in"


async def wake_workers(session: AsyncSession) -> None:
    """Delivered to the listening workers when (and only if) the transaction commits.

    Once per transaction is enough (PostgreSQL folds identical notifications of one transaction into one), so a
    batch of events handled in one transaction notifies once instead of once per event.
    """
    transaction = session.sync_session.get_transaction()
    if transaction is not None and session.info.get(_WOKEN) is transaction:
        return
    await session.execute(_WAKE, {"channel": WAKE_CHANNEL})
    if transaction is not None:
        session.info[_WOKEN] = transaction


# What a worker takes: an e-mail or webhook delivery whose time has come, or whose holder's lease ran out (it died
# mid-send), unless its subscription is paused.
_SENDABLE = deliveries.outerjoin(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
_DUE = (
    deliveries.c.channel.in_(("email", "webhook")),
    (deliveries.c.status.in_(("pending", "retrying")) & (deliveries.c.next_attempt_at <= func.now()))
    | ((deliveries.c.status == "sending") & (deliveries.c.claimed_until < func.now())),
    deliveries.c.subscription_id.is_(None) | (subscriptions.c.status == "active"),
)


async def oldest_due_s(session: AsyncSession) -> float:
    """How long the longest-waiting due delivery has waited for a worker to take it, in seconds (0: none waits).
    Due since its attempt's time, or since its holder's lease ran out."""
    d = deliveries.c
    since = case((d.status == "sending", d.claimed_until), else_=d.next_attempt_at)
    waited = select(func.extract("epoch", func.now() - func.min(since))).select_from(_SENDABLE).where(*_DUE)
    return float((await session.execute(waited)).scalar_one() or 0.0)


async def claim_due(session: AsyncSession, *, limit: int, lease_s: float) -> tuple[uuid.UUID, list[DeliveryRecord]]:
    """Claim up to `limit` due deliveries by update: a claim token and a lease, committed before sending.

    Skips rows other workers hold (SKIP LOCKED) and deliveries of paused subscriptions; takes back a row whose
    lease expired (its worker died mid-send).
    """
    token = uuid.uuid4()
    d = deliveries.c
    due = (
        select(d.id)
        .select_from(_SENDABLE)
        .where(*_DUE)
        .order_by(d.next_attempt_at)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
        .cte("due")
    )
    result = await session.execute(
        update(deliveries)
        .where(d.id.in_(select(due.c.id)))
        .values(
            status="sending",
            claim_token=token,
            claimed_until=func.now() + timedelta(seconds=lease_s),
            attempts=d.attempts + 1,
            total_attempts=d.total_attempts + 1,
        )
        .returning(*deliveries.c)
    )
    return token, DeliveryRecord.all(result)


# A lease is renewed once a tenth of it has passed. Its holder renews every third of a lease (and before each
# claim), so the margin stays close to two thirds of a lease, while a claim made moments ago (the batches still in
# flight when the next one is claimed) is not rewritten: that was a new row version, with an entry in each of the
# table's indexes, per delivery and claim.
RENEW_WHEN_LEFT = 0.9


async def extend_leases(session: AsyncSession, tokens: set[uuid.UUID], *, lease_s: float) -> None:
    """Keep the claims of a worker that is still sending or recording them: each lease with less than
    `RENEW_WHEN_LEFT` of it left (an expired one included) runs `lease_s` from now again."""
    if not tokens:
        return
    d = deliveries.c
    await session.execute(
        update(deliveries)
        .where(
            d.claim_token.in_(tokens),
            d.status == "sending",
            d.claimed_until < func.now() + timedelta(seconds=lease_s * RENEW_WHEN_LEFT),
        )
        .values(claimed_until=func.now() + timedelta(seconds=lease_s))
    )


async def bodies(session: AsyncSession, event_ids: set[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """Each event's webhook body: its JSON text in the received log, exactly as it was written."""
    if not event_ids:
        return {}
    r = received_events.c
    rows = (await session.execute(select(r.event_id, cast(r.payload, Text)).where(r.event_id.in_(event_ids)))).all()
    return {event_id: text.encode() for event_id, text in rows}


async def finish(
    session: AsyncSession, delivery_id: uuid.UUID, token: uuid.UUID, values: dict[str, Any]
) -> DeliveryRecord | None:
    """Record the outcome if this worker still holds the claim; None when it lost it (lease expired)."""
    d = deliveries.c
    result = await session.execute(
        update(deliveries)
        .where(d.id == delivery_id, d.claim_token == token, d.status == "sending")
        .values(**values, claim_token=None, claimed_until=None)
        .returning(*deliveries.c)
    )
    return DeliveryRecord.first(result)


async def get(session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryRecord | None:
    return DeliveryRecord.first(await session.execute(select(deliveries).where(deliveries.c.id == delivery_id)))


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> list[AttemptRecord]:
    a = delivery_attempts.c
    query = select(delivery_attempts).where(a.delivery_id == delivery_id).order_by(a.id)
    return AttemptRecord.all(await session.execute(query))


async def list_deliveries(
    session: AsyncSession,
    *,
    event_id: uuid.UUID | None,
    recipient: str | None,
    channel: str | None,
    status: str | None,
    subscription_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    center_id: uuid.UUID | None = None,
) -> list[DeliveryRecord]:
    d = deliveries.c
    query = select(deliveries).order_by(d.created_at.desc(), d.id.desc()).limit(limit)
    if center_id:
        # An event's subject is the center it is about.
        about = select(received_events.c.event_id).where(received_events.c.subject == str(center_id))
        query = query.where(d.event_id.in_(about))
    if event_id:
        query = query.where(d.event_id == event_id)
    if recipient:
        query = query.where(d.recipient == recipient)
    if channel:
        query = query.where(d.channel == channel)
    if status:
        query = query.where(d.status == status)
    if subscription_id:
        query = query.where(d.subscription_id == subscription_id)
    if after:
        query = query.where(tuple_(d.created_at, d.id) < tuple_(literal(after[0]), literal(after[1])))
    return DeliveryRecord.all(await session.execute(query))


async def requeue(session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryRecord | None:
    """A dead letter back in the queue, with a fresh budget of attempts."""
    d = deliveries.c
    result = await session.execute(
        update(deliveries)
        .where(d.id == delivery_id, d.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=func.now(), replays=d.replays + 1)
        .returning(*deliveries.c)
    )
    return DeliveryRecord.first(result)


async def add_at_commit(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Deliveries written when the transaction commits (with those of the other events of its batch, in one
    statement), each unless one for its (event, channel, recipient) exists: a replayed event adds none. Returns
    the ids given to them, in order, for the rows that depend on them being written (`deferred`).

    Every row names the same columns (a multi-row insert needs the same columns in each row)."""
    ids = new_ids(len(rows))
    await deferred.insert_rows(
        session, _INSERT_DELIVERIES, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)]
    )
    return ids


# Built once: the statements of the fan-out path are the same every time, only their parameters change.
_INSERT_DELIVERIES = deferred.Into(
    deliveries, skip_conflicts=True, constraint="uq_deliveries_event_channel_recipient", returning="id"
)


async def record_attempts(session: AsyncSession, attempts: list[dict[str, Any]]) -> None:
    """Append attempts to their deliveries' chains (`tic audit verify`)."""
    await audit.append_many(session, ATTEMPTS, attempts)


async def finish_delivered(session: AsyncSession, ids: list[uuid.UUID], token: uuid.UUID) -> None:
    """Delivered, even if the claim was lost meanwhile (a lease taken over after an outage): it was sent, and a
    second worker's send of it must not count as the first."""
    if not ids:
        return
    d = deliveries.c
    await session.execute(
        update(deliveries)
        .where(d.id.in_(ids), d.status.in_(OPEN))
        .values(status="delivered", delivered_at=func.now(), last_error=None, claim_token=None, claimed_until=None)
    )
