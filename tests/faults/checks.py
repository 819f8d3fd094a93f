"""What must hold once the platform has caught up, checked against the APIs, the streams and the receivers.

- every approved center exists once and has exactly one year-1 grant;
- every recipient got each notification exactly once: what the rules say each published event owes each
  recipient (from the events in the streams, not from the notification service's own log) against what the
  SMTP sink and the webhook receiver counted, by event id;
- every outbox is empty, no service holds a dead letter, no delivery is dead.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
import nats.errors
from loopback import SERVICES, WEBHOOK_EVENT_TYPES, Platform
from nats.js.api import DeliverPolicy

from notification.domain import rules as rules_domain
from tic_shared.events import CloudEvent

_PRODUCERS = ("registry", "evaluation", "funding", "notification")


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


async def published_events(nats_url: str, centers: set[str]) -> tuple[list[CloudEvent], int]:
    """Every event in the producers' streams about one of `centers`, once each; and how many were stored twice."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()

        async def read(producer: str) -> list[CloudEvent]:
            sub = await js.subscribe(f"tic.{producer}.>", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
            found = []
            while True:
                try:
                    msg = await sub.next_msg(timeout=0.25)
                except nats.errors.TimeoutError:
                    break
                event = CloudEvent.model_validate_json(msg.data)
                about = event.subject if event.subject in centers else str(event.data.get("center_id", ""))
                if about in centers:
                    found.append(event)
            await sub.unsubscribe()
            return found

        streams = await asyncio.gather(*(read(producer) for producer in _PRODUCERS))
    finally:
        await nc.close()
    events = {str(event.id): event for stream in streams for event in stream}
    return list(events.values()), sum(len(stream) for stream in streams) - len(events)


async def caught_up(platform: Platform, headers: dict[str, str]) -> bool:
    """Every outbox published and every durable consumer with nothing pending or unacknowledged: the backbone
    has caught up (what issue 13 timed after NATS came back). Deliveries may still be on their way."""
    async with httpx.AsyncClient(headers=headers, timeout=2) as client:
        for service in SERVICES:
            if (await client.get(f"{platform.url(service)}/api/v1/outbox")).json()["pending"]:
                return False
    nc = await nats.connect(platform.nats.admin_url, allow_reconnect=False, connect_timeout=1)
    try:
        js = nc.jetstream()
        for producer in _PRODUCERS:
            for info in await js.consumers_info(f"TIC_{producer.upper()}"):
                if info.num_pending or info.num_ack_pending:
                    return False
    finally:
        await nc.close()
    return True


def owed(events: list[CloudEvent], contacts: dict[str, str], subscription_id: str) -> tuple[set[Any], set[str]]:
    """(event id, address) pairs owed an e-mail, and event ids owed a webhook, as the rules say."""
    rule_set = rules_domain.package_rules()
    subscriber = rules_domain.Subscriber(id=uuid.UUID(subscription_id), event_types=tuple(WEBHOOK_EVENT_TYPES))
    mails: set[tuple[str, str]] = set()
    hooks: set[str] = set()
    for event in events:
        rule = rule_set.for_event(rules_domain.event_name_of(event.type))
        if rule is None:
            continue
        center = str(event.data.get("center_id") or event.subject)
        targets = rules_domain.targets(
            rule,
            event_type=event.type,
            center_id=uuid.UUID(center),
            district=str(event.data.get("district") or "yinzhou"),
            contacts=[{"email": contacts[center]}],
            subscribers=[subscriber],
            data=event.data,
        )
        for target in targets:
            if target.channel == "email":
                mails.add((str(event.id), target.recipient))
            elif target.channel == "webhook":
                hooks.add(str(event.id))
    return mails, hooks


async def check(
    platform: Platform, contacts: dict[str, str], headers: dict[str, str], *, allowed_repeats: int = 0
) -> Verdict:
    verdict = Verdict()
    problems = verdict.problems
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        # Centers: exactly the ones approved, each once; one year-1 grant each.
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{platform.url('registry')}/api/v1/centers", params=params)).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        ids = [item["id"] for item in items]
        if sorted(ids) != sorted(contacts):
            problems.append(f"registry holds {len(ids)} centers ({len(set(ids))} distinct), {len(contacts)} approved")
        not_approved = [item["id"] for item in items if item["status"] != "building"]
        if not_approved:
            problems.append(f"{len(not_approved)} centers not building (approved)")

        asking = asyncio.Semaphore(16)  # a thousand centers must not wait on one connection pool together

        async def grants_of(center_id: str) -> int:
            async with asking:
                response = await client.get(
                    f"{platform.url('funding')}/api/v1/grants", params={"center_id": center_id, "funding_year": 1}
                )
            return len(response.json()["items"])

        grants = await asyncio.gather(*(grants_of(center_id) for center_id in contacts))
        counts = Counter(grants)
        verdict.numbers["year-1 grants"] = sum(grants)
        if set(counts) != {1}:
            problems.append(f"year-1 grants per center: {dict(sorted(counts.items()))}")

        # The backbone: nothing waiting, nothing given up.
        for service in SERVICES:
            outbox = (await client.get(f"{platform.url(service)}/api/v1/outbox")).json()
            if outbox["pending"]:
                problems.append(f"{service}: {outbox['pending']} events still in the outbox")
            dead = (await client.get(f"{platform.url(service)}/api/v1/dead-letters", params={"limit": 500})).json()
            if dead["items"]:
                problems.append(f"{service}: {len(dead['items'])} dead letters")
        dead_deliveries = (
            await client.get(f"{platform.url('notification')}/api/v1/deliveries", params={"status": "dead"})
        ).json()
        if dead_deliveries["items"]:
            problems.append(f"notification: {len(dead_deliveries['items'])} dead deliveries")

    # Notifications: what the published events owe, against what arrived.
    events, stored_twice = await published_events(platform.nats.admin_url, set(contacts))
    verdict.numbers["events"] = len(events)
    if stored_twice:
        problems.append(f"{stored_twice} events stored twice in a stream")
    mails, hooks = owed(events, contacts, platform.subscription_id)
    mail = platform.mailbox.held()
    got_mail = mail.received
    got_hook = platform.receiver.received
    verdict.numbers["e-mails owed"] = len(mails)
    verdict.numbers["webhooks owed"] = len(hooks)
    verdict.numbers["e-mails received"] = sum(got_mail.values())
    verdict.numbers["webhooks received"] = sum(got_hook.values())
    missing_mail = [pair for pair in mails if got_mail[pair] == 0]
    missing_hook = [event_id for event_id in hooks if got_hook[event_id] == 0]
    # Twice under two deliveries is a second notification: a bug. Twice under one delivery (the same Message-ID,
    # the same X-TIC-Delivery) is that delivery sent again because its sender died between the send and its
    # record: receivers drop it by id. Only a scenario that kills the sender may show those, a few.
    doubled_mail = [pair for pair, ids in mail.deliveries.items() if len(ids) > 1]
    doubled_hook = [event_id for event_id, ids in platform.receiver.deliveries.items() if len(ids) > 1]
    repeated = sum(c - 1 for c in got_mail.values() if c > 1) + sum(c - 1 for c in got_hook.values() if c > 1)
    verdict.numbers["repeats of one delivery"] = repeated
    if repeated > allowed_repeats:
        problems.append(f"{repeated} repeats of one delivery (at most {allowed_repeats} allowed here)")
    stray_mail = [pair for pair in got_mail if pair not in mails]
    stray_hook = [event_id for event_id in got_hook if event_id not in hooks]
    for label, found in (
        ("e-mails missing", missing_mail),
        ("e-mails received twice or more", doubled_mail),
        ("e-mails nobody owed", stray_mail),
        ("webhooks missing", missing_hook),
        ("webhooks received twice or more", doubled_hook),
        ("webhooks nobody owed", stray_hook),
    ):
        verdict.numbers[label] = len(found)
        if found:
            problems.append(f"{len(found)} {label}")
    if missing_mail:
        problems.append("e.g. " + await _why_missing(platform, headers, [event_id for event_id, _ in missing_mail[:3]]))
    return verdict


async def _why_missing(platform: Platform, headers: dict[str, str], event_ids: list[str]) -> str:
    """What the notification service's own log says of e-mails that did not arrive (for the report)."""
    found = []
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        for event_id in event_ids:
            response = await client.get(
                f"{platform.url('notification')}/api/v1/deliveries", params={"event_id": event_id, "channel": "email"}
            )
            rows = response.json().get("items", [])
            state = ", ".join(f"{r['status']} after {r['total_attempts']} attempts" for r in rows) or "no delivery"
            found.append(f"{event_id}: {state}")
    return "; ".join(found)
