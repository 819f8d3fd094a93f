"""Deliveries of e-mails and webhooks: finding them, and replaying a dead-lettered one once its subscription can
take it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import deliveries as deliveries_store
from notification.store import subscriptions as subscriptions_store
from notification.store.records import AttemptRecord, DeliveryRecord
from tic_shared.problems import Conflict, NotFound, TransitionConflict


async def replay_delivery(session: AsyncSession, *, delivery_id: uuid.UUID) -> DeliveryRecord:
    row = await deliveries_store.get(session, delivery_id)
    if row is None:
        raise NotFound("delivery", delivery_id)
    if row.status != "dead":
        raise TransitionConflict(
            "not-dead-lettered",
            f"delivery {delivery_id} is {row.status}; only a dead-lettered delivery can be replayed",
            current_state=row.status,
            allowed_actions=[],
        )
    if row.subscription_id is not None:
        subscription = await subscriptions_store.get(session, row.subscription_id)
        if subscription is None:
            raise Conflict("subscription-deleted", f"subscription {row.subscription_id} was deleted")
        if subscription.status != "active":
            raise TransitionConflict(
                "subscription-paused",
                f"subscription {row.subscription_id} is {subscription.status}; resume it first "
                '(PATCH /api/v1/subscriptions/{id} {"status": "active"})',
                current_state=subscription.status,
                allowed_actions=["resume"],
            )
    replayed = await deliveries_store.requeue(session, delivery_id)
    if replayed is None:
        # Another replay of it committed between our read and our update.
        raise TransitionConflict(
            "not-dead-lettered",
            f"delivery {delivery_id} was replayed meanwhile",
            current_state="pending",
            allowed_actions=[],
        )
    await deliveries_store.wake_workers(session)
    return replayed


async def list_deliveries(
    session: AsyncSession,
    *,
    event_id: uuid.UUID | None,
    recipient: str | None,
    channel: str | None,
    status: str | None,
    subscription_id: uuid.UUID | None,
    center_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[DeliveryRecord]:
    """Newest first; an e-mail address is matched as stored (lower-cased)."""
    return await deliveries_store.list_deliveries(
        session,
        event_id=event_id,
        recipient=recipient.lower() if recipient and "@" in recipient else recipient,
        channel=channel,
        status=status,
        subscription_id=subscription_id,
        center_id=center_id,
        after=after,
        limit=limit,
    )


async def get_delivery(session: AsyncSession, *, delivery_id: uuid.UUID) -> tuple[DeliveryRecord, list[AttemptRecord]]:
    """The delivery and its attempts, oldest first."""
    found = await deliveries_store.get(session, delivery_id)
    if found is None:
        raise NotFound("delivery", delivery_id)
    return found, list(await deliveries_store.attempts_of(session, found.id))
