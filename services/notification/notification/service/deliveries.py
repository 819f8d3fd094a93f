"""Deliveries: replaying a dead-lettered one once its subscription can take it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import deliveries as deliveries_store
from notification.store import subscriptions as subscriptions_store
from tic_shared.problems import Conflict, NotFound, TransitionConflict


async def replay_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> Any:
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
    await deliveries_store.wake_workers(session)
    return replayed
