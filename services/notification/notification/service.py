"""Use cases: fan an event out to its recipients, edit templates, manage subscriptions. Never commits."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from notification.cache import FanOutCache
from notification.data import samples
from notification.domain import rules as rules_domain
from notification.domain import templates as tpl
from notification.settings import NotificationSettings
from notification.store import deliveries as deliveries_store
from notification.store import inbox as inbox_store
from notification.store import projection, received
from notification.store import subscriptions as subscriptions_store
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import BY_TYPE
from tic_shared.problems import Conflict, NotFound, Problem, TransitionConflict

log = logging.getLogger(__name__)

EMAIL_DISABLED = "email channel disabled: TIC_SMTP_HOST is not set"


class ContactsNotYetKnown(RuntimeError):
    """An event owes the lead unit an e-mail before the event that names its contacts was applied."""


# ---- fan-out ----


async def fan_out(
    session: AsyncSession, event: CloudEvent, *, settings: NotificationSettings, cache: FanOutCache | None = None
) -> int:
    """Record the event, update the recipients projection, and create one delivery per (channel, recipient).

    Runs in the inbox transaction: a redelivered event never gets here twice, and the unique
    (event, channel, recipient) constraint keeps even a replayed one from creating a second delivery.
    Inbox items are written here too (they are local); email and webhook deliveries wait for the worker.
    What is never read back in the transaction (the received-event log, inbox items, their attempt rows) is
    inserted when it commits, one statement per table for the consumer's whole batch (`store.deferred`).
    Returns how many deliveries were created.
    """
    cache = cache or FanOutCache(ttl_s=0)
    payload = event.model_dump(mode="json", exclude_none=True)
    await received.record(session, event_id=event.id, event_type=event.type, subject=event.subject, payload=payload)
    model = BY_TYPE.get(event.type)
    if model is None:
        return 0
    model.model_validate(event.data)  # a malformed event fails here, is retried, then dead-lettered
    data = event.data
    center_id = uuid.UUID(str(data["center_id"])) if "center_id" in data else None
    center = await projection.apply_registry_event(session, data) if model.producer == "registry" else None
    if center is None and center_id is not None:
        center = await projection.get_center(session, center_id)

    rule_set = rules_domain.package_rules()
    rule = rule_set.for_event(model.event_name)
    if rule is None:
        return 0
    contacts_known = "contacts" in data or bool((center or {}).get("contacts_known"))
    if center_id is not None and not contacts_known and rules_domain.tells_lead_unit(rule, data):
        # Issue 13: after an outage a center's later events can come before the one that names its contacts;
        # fanned out now, their e-mails would be lost. Retried (then dead-lettered) until the contacts are in.
        raise ContactsNotYetKnown(f"the contacts of center {center_id} are not known yet")
    subscribers = [
        rules_domain.Subscriber(id=row.id, event_types=tuple(row.event_types))
        for row in await cache.subscriptions(session)
    ]
    found = rules_domain.targets(
        rule,
        event_type=event.type,
        center_id=center_id,
        district=(center or {}).get("district") or data.get("district"),
        contacts=(center or {}).get("contacts") or data.get("contacts") or [],
        subscribers=subscribers,
        data=data,
    )
    if not found:
        return 0
    messages: dict[str, dict[str, str]] = {}
    if any(target.channel in ("email", "inbox") for target in found):
        messages = _render_all(await cache.templates(session, rule.template), rule.template, payload, center)

    rows = [_delivery_row(event, target, messages, settings, rule_set.version) for target in found]
    inserted = await deliveries_store.insert_many(session, rows)
    now = datetime.now(UTC)
    inbox_targets = [t for t in found if t.channel == "inbox" and (t.channel, t.recipient) in inserted]
    await inbox_store.add_many(session, [_inbox_row(event, target, messages) for target in inbox_targets])
    await deliveries_store.record_attempts_at_commit(
        session,
        [
            {
                "delivery_id": inserted[("inbox", target.recipient)],
                "attempt": 1,
                "ok": True,
                "started_at": now,
                "latency_ms": 0,
                "http_status": None,
                "error": None,
            }
            for target in inbox_targets
        ],
    )
    queued = any(row["status"] == "pending" and (row["channel"], row["recipient"]) in inserted for row in rows)
    if queued:
        await deliveries_store.wake_workers(session)
    return len(inserted)


def _inbox_row(event: CloudEvent, target: rules_domain.Target, messages: dict[str, Any]) -> dict[str, Any]:
    audience = target.audience or rules_domain.Audience()
    return {
        "event_id": event.id,
        "event_type": event.type,
        "recipient": target.recipient,
        "user_subject": audience.user_subject,
        "role": audience.role,
        "district": audience.district,
        "center_id": audience.center_id,
        "department": audience.department,
        "content": messages,
    }


def _delivery_row(
    event: CloudEvent,
    target: rules_domain.Target,
    messages: dict[str, dict[str, str]],
    settings: NotificationSettings,
    rules_version: int,
) -> dict[str, Any]:
    """One delivery, every column named (a multi-row insert needs the same columns in each row)."""
    row: dict[str, Any] = {
        "event_id": event.id,
        "event_type": event.type,
        "channel": target.channel,
        "recipient": target.recipient,
        "rules_version": rules_version,
        "subscription_id": target.subscription_id,
        "locale": None,
        "content": None,
        "status": "pending",
        "last_error": None,
        "attempts": 0,
        "total_attempts": 0,
        "delivered_at": None,
    }
    if target.channel == "email":
        row.update(locale=settings.default_locale, content=messages[settings.default_locale])
        if not settings.email_enabled:
            row.update(status="skipped", last_error=EMAIL_DISABLED)
    elif target.channel == "inbox":
        # The inbox is local: written in this transaction, so delivered (and logged as one attempt) at once.
        row.update(status="delivered", attempts=1, total_attempts=1, delivered_at=datetime.now(UTC))
    return row


def _render_all(
    stored: dict[str, Any], template_name: str, payload: dict[str, Any], center: dict[str, Any] | None
) -> dict[str, dict[str, str]]:
    """The message in every locale; a locale without a template falls back to the default one."""
    rendered: dict[str, dict[str, str]] = {}
    for locale in tpl.LOCALES:
        row = stored.get(locale) or stored.get(tpl.DEFAULT_LOCALE)
        context = tpl.context_for(event=payload, center=center, locale=locale)
        if row is None:
            rendered[locale] = _fallback(payload, context)
            continue
        try:
            rendered[locale] = tpl.render(row.subject, row.body, context).as_dict()
        except Exception as exc:  # a template checked against the sample can still meet an odd event
            log.warning("template %s/%s failed on event %s: %s", template_name, locale, payload.get("id"), exc)
            rendered[locale] = _fallback(payload, context)
    return rendered


def _fallback(payload: dict[str, Any], context: dict[str, Any]) -> dict[str, str]:
    text = f"{payload.get('type')} {context.get('center_name') or ''}".strip()
    return tpl.Rendered(subject=text, body=f"<p>{text}</p>").as_dict()


# ---- templates ----


def known_event(event_name: str) -> str:
    if event_name not in rules_domain.EVENT_NAMES:
        raise NotFound("event type", event_name)
    return event_name


def sample_context(event_name: str, locale: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context a template is checked and previewed with: the packaged sample, or data the caller gives."""
    sample = samples()[event_name]
    model = next(m for m in BY_TYPE.values() if m.event_name == event_name)
    event_data = sample["data"] if data is None else data
    payload = {
        "id": "00000000-0000-4000-8000-000000000000",
        "type": model.ce_type(),
        "source": f"/services/{model.producer}",
        "subject": str(event_data.get("center_id") or ""),
        "time": "2026-03-01T08:00:00+00:00",
        "data": event_data,
    }
    return tpl.context_for(event=payload, center=sample.get("center"), locale=locale)


def check_template(event_name: str, locale: str, subject: str, body: str) -> tpl.Rendered:
    try:
        return tpl.check(subject, body, sample_context(event_name, locale))
    except tpl.TemplateRefused as exc:
        raise Problem(
            422,
            "template-invalid",
            f"body.{exc.field} {exc.detail}",
            errors=[{"field": f"body.{exc.field}", "message": exc.detail, "type": "template"}],
        ) from exc


# ---- subscriptions ----


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


async def received_events(
    session: AsyncSession,
    *,
    event_type: str | None,
    subject: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[received.ReceivedRecord]:
    """The log of events this service received, newest first (a page after `after`)."""
    return await received.newest(session, event_type=event_type, subject=subject, after=after, limit=limit)
