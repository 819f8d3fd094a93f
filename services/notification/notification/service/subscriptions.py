"""Webhook subscriptions of other government systems: what a subscription may point at and listen to."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from notification.cache import FanOutCache
from notification.domain import rules as rules_domain
from notification.domain import signing
from notification.settings import NotificationSettings
from notification.store import subscriptions as subscriptions_store
from notification.store.deliveries import wake_workers
from notification.store.records import SubscriptionRecord
from tic_shared.http import check_if_match, etag_for
from tic_shared.problems import NotFound, Problem


def points_inside(url: str) -> bool:
    """Whether a webhook URL names this host or a private network: a subscriber must not make us call inward."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def check_subscription_input(*, url: str | None, event_types: list[str] | None, settings: NotificationSettings) -> None:
    errors = []
    if url is not None and url.startswith("http://") and not settings.http_webhooks_allowed:
        errors.append({"field": "body.url", "message": "must be https in this environment", "type": "value_error"})
    if url is not None and not settings.private_webhooks_allowed and points_inside(url):
        message = "must not point at a loopback, private or link-local address in this environment"
        errors.append({"field": "body.url", "message": message, "type": "value_error"})
    for index, pattern in enumerate(event_types or []):
        reason = rules_domain.invalid_filter(pattern)
        if reason:
            errors.append({"field": f"body.event_types.{index}", "message": reason, "type": "value_error"})
    if errors:
        fields = ", ".join(error["field"] for error in errors)
        raise Problem(422, "validation-error", f"invalid input: {fields}", errors=errors)


def etag(subscription: SubscriptionRecord) -> str:
    return etag_for("subscription", subscription.id, subscription.version)


@dataclass(frozen=True, slots=True)
class Created:
    """A new subscription and its signing secret, which is shown once and kept only sealed."""

    subscription: SubscriptionRecord
    secret: str


async def create_subscription(
    session: AsyncSession,
    *,
    url: str,
    event_types: list[str],
    description: str | None,
    by: str,
    settings: NotificationSettings,
    cache: FanOutCache,
) -> Created:
    check_subscription_input(url=url, event_types=event_types, settings=settings)
    secret = signing.new_secret()
    row = await subscriptions_store.create(
        session,
        url=url,
        event_types=event_types,
        description=description,
        sealed_secret=settings.secret_box.seal(secret),
        by=by,
    )
    cache.clear()
    return Created(row, secret)


async def list_subscriptions(
    session: AsyncSession, *, status: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[SubscriptionRecord]:
    return list(await subscriptions_store.list_subscriptions(session, status=status, after=after, limit=limit))


async def get_subscription(session: AsyncSession, *, subscription_id: uuid.UUID) -> SubscriptionRecord:
    found = await subscriptions_store.get(session, subscription_id)
    if found is None:
        raise NotFound("subscription", subscription_id)
    return found


@dataclass(frozen=True, slots=True)
class Changes:
    """What a PATCH asks to change; `description_given` tells an explicit null from an absent field."""

    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    description_given: bool = False
    status: Literal["active", "paused"] | None = None


async def update_subscription(
    session: AsyncSession,
    *,
    subscription_id: uuid.UUID,
    changes: Changes,
    if_match: str | None,
    settings: NotificationSettings,
    cache: FanOutCache,
) -> SubscriptionRecord:
    """Change a subscription; resuming one also clears its failures and wakes the delivery workers."""
    check_subscription_input(url=changes.url, event_types=changes.event_types, settings=settings)
    current = await get_subscription(session, subscription_id=subscription_id)
    check_if_match(if_match, etag(current))
    values: dict[str, Any] = {}
    if changes.url is not None:
        values["url"] = changes.url
    if changes.event_types is not None:
        values["event_types"] = changes.event_types
    if changes.description_given:
        values["description"] = changes.description
    if changes.status == "active" and current.status != "active":
        values.update(
            status="active", paused_reason=None, consecutive_failures=0, failing_since=None, pause_warned_at=None
        )
    elif changes.status == "paused" and current.status != "paused":
        values.update(status="paused", paused_reason="paused through the API")
    if not values:
        return current
    row = await subscriptions_store.update_fields(session, subscription_id, current.version, values)
    if row is None:
        raise Problem(412, "precondition-failed", "the subscription changed meanwhile; read it again and retry")
    cache.clear()
    if values.get("status") == "active":
        await wake_workers(session)
    return row


async def delete_subscription(
    session: AsyncSession, *, subscription_id: uuid.UUID, if_match: str | None, cache: FanOutCache
) -> None:
    """Deleted, and its undelivered deliveries cancelled."""
    current = await get_subscription(session, subscription_id=subscription_id)
    check_if_match(if_match, etag(current))
    await subscriptions_store.update_fields(session, subscription_id, current.version, {"status": "deleted"})
    await subscriptions_store.cancel_open_deliveries(session, subscription_id)
    cache.clear()
