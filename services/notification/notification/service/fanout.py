"""Fanning an event out to its recipients: inbox items, e-mails and webhook deliveries, rendered in one go."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification.cache import FanOutCache
from notification.domain import rules as rules_domain
from notification.domain import templates as tpl
from notification.settings import NotificationSettings
from notification.store import deliveries as deliveries_store
from notification.store import inbox as inbox_store
from notification.store import projection, received
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import BY_TYPE

log = logging.getLogger(__name__)

EMAIL_DISABLED = "email channel disabled: TIC_SMTP_HOST is not set"


class ContactsNotYetKnown(RuntimeError):
    """An event owes the lead unit an e-mail before the event that names its contacts was applied."""


async def fan_out(
    session: AsyncSession, event: CloudEvent, *, settings: NotificationSettings, cache: FanOutCache | None = None
) -> int:
    """Record the event, update the recipients projection, and create one delivery per (channel, recipient).

    Runs in the inbox transaction: a redelivered event never gets here twice, and the unique
    (event, channel, recipient) constraint keeps even a replayed one from creating a second delivery (or a second
    inbox item). Inbox items are written here too: the inbox is local, so its deliveries are delivered as they are
    written, with nothing sent and so no attempt to log. Email and webhook deliveries wait for the worker, which logs
    each of their attempts. What is never read back in the transaction (the received-event log, the deliveries and
    inbox items) is inserted when it commits, one statement per table for the consumer's whole batch
    (`store.deferred`). Returns how many deliveries the rules asked for (a replayed event's are dropped at commit).
    """
    cache = cache or FanOutCache(ttl_s=0)
    payload = event.model_dump(mode="json", exclude_none=True)
    await received.record(session, event_id=event.id, event_type=event.type, subject=event.subject, payload=payload)
    model = BY_TYPE.get(event.type)
    if model is None:
        return 0
    # A malformed event fails here, is retried, then dead-lettered. Validated once: templates see the same data.
    validated = model.model_validate(event.data)
    data = event.data
    center_id = uuid.UUID(str(data["center_id"])) if "center_id" in data else None
    center = _prepared(session, event)
    if center is _NOT_PREPARED:  # an event taken on its own
        if model.producer == "registry":
            (center,) = await projection.apply_registry_events(session, [data])
        else:
            center = await projection.get_center(session, center_id) if center_id is not None else None

    rule_set = rules_domain.package_rules()
    rule = rule_set.for_event(model.event_name)
    if rule is None:
        return 0
    contacts_known = "contacts" in data or bool(center is not None and center.contacts_known)
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
        district=(center.district if center is not None else None) or data.get("district"),
        contacts=(center.contacts if center is not None else None) or data.get("contacts") or [],
        subscribers=subscribers,
        data=data,
    )
    if not found:
        return 0
    messages: dict[str, dict[str, str]] = {}
    if any(target.channel in ("email", "inbox") for target in found):
        context = center.context() if center is not None else None
        completed = tpl.complete_data(data, validated)
        messages = _render_all(
            await cache.templates(session, rule.template), rule.template, payload, completed, context
        )

    rows = [_delivery_row(event, target, messages, settings, rule_set.version) for target in found]
    ids = await deliveries_store.add_at_commit(session, rows)
    inbox = [(target, id_) for target, id_ in zip(found, ids, strict=True) if target.channel == "inbox"]
    await inbox_store.add_many(
        session,
        [_inbox_row(event, target) for target, _ in inbox],
        event_id=event.id,
        content=messages,
        deliveries=[id_ for _, id_ in inbox],
    )
    if any(row["status"] == "pending" for row in rows):
        await deliveries_store.wake_workers(session)  # a replayed event's are not new: a wake that finds nothing
    return len(rows)


async def prepare(session: AsyncSession, events: list[CloudEvent]) -> None:
    """A batch's registry events applied to the recipients projection together, before any of them is fanned out
    (one statement for a batch of different centers, where one per event was a round trip each, a third of the
    fan-out's time). `fan_out` then takes each event's center as it stood once that event was applied: what it
    would have read applying the event itself."""
    registry = [event for event in events if _producer(event.type) == "registry"]
    if registry:
        centers = await projection.apply_registry_events(session, [event.data for event in registry])
        session.info[_PREPARED] = (
            session.sync_session.get_transaction(),
            {event.id: center for event, center in zip(registry, centers, strict=True)},
        )


_PREPARED = "notification.prepared_centers"  # session.info: (transaction, event id -> center)
_NOT_PREPARED: Any = object()


def _prepared(session: AsyncSession, event: CloudEvent) -> Any:
    """The event's center from this transaction's `prepare`, or `_NOT_PREPARED`."""
    held = session.info.get(_PREPARED)
    if held is None or held[0] is not session.sync_session.get_transaction():
        return _NOT_PREPARED
    return held[1].get(event.id, _NOT_PREPARED)


def _producer(event_type: str) -> str | None:
    model = BY_TYPE.get(event_type)
    return model.producer if model is not None else None


def _inbox_row(event: CloudEvent, target: rules_domain.Target) -> dict[str, Any]:
    audience = target.audience or rules_domain.Audience()
    return {
        "event_type": event.type,
        "recipient": target.recipient,
        "user_subject": audience.user_subject,
        "role": audience.role,
        "district": audience.district,
        "center_id": audience.center_id,
        "department": audience.department,
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
        # The inbox is local: its item is written in this transaction, so it is delivered at once. Nothing is sent,
        # so there is no attempt (the attempt log is of sends to a mail server or a receiver).
        row.update(status="delivered", delivered_at=datetime.now(UTC))
    return row


def _render_all(
    stored: dict[str, Any],
    template_name: str,
    payload: dict[str, Any],
    data: dict[str, Any],
    center: dict[str, Any] | None,
) -> dict[str, dict[str, str]]:
    """The message in every locale; a locale without a template falls back to the default one."""
    rendered: dict[str, dict[str, str]] = {}
    for locale in tpl.LOCALES:
        row = stored.get(locale) or stored.get(tpl.DEFAULT_LOCALE)
        context = tpl.context_for(event=payload, center=center, locale=locale, data=data)
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
