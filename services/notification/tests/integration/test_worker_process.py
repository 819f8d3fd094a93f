"""The delivery worker as a process of its own (`create_worker_app`), as the chart, docker-compose.yml and
`tic dev` run it: the service's app fans events out with its worker off, and only the worker sends."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from notification.main import create_worker_app
from notification.settings import NotificationSettings
from tic_platform.testing import eventually, running


async def test_the_worker_apart_sends_what_the_consumers_queued(
    notification: Any,
    receiver: Any,
    smtp: Any,
    nats_url: str,
    admin: dict[str, str],
    kit: Any,
    make_settings: Callable[..., Any],
) -> None:
    mail = {"smtp_host": smtp.host, "smtp_port": smtp.port}
    async with (
        notification(delivery_worker_enabled=False, **mail) as (app, client),
        kit.subscribed(client, admin, receiver.url, ["tic.registry.CenterApproved.v1"]),
    ):
        assert app.state.consumers, "the service's app consumes events"
        event = kit.center_approved()
        await kit.publish(nats_url, event)

        async def queued() -> Any:
            response = await client.get("/api/v1/deliveries", params={"event_id": str(event.id)}, headers=admin)
            items = {item["channel"]: item for item in response.json()["items"]}
            return items if {"email", "webhook", "inbox"} <= set(items) else None

        items = await eventually(queued)
        # Fanned out, the inbox delivered as it was written; nothing sent, for no worker runs here.
        assert items["inbox"]["status"] == "delivered"
        await asyncio.sleep(0.5)
        assert receiver.count(event.id) == 0 and not smtp.mailbox.messages
        for channel in ("email", "webhook"):
            detail = (await client.get(f"/api/v1/deliveries/{items[channel]['id']}", headers=admin)).json()
            assert detail["status"] == "pending" and detail["attempt_log"] == [], channel

        values = {**make_settings("notification").model_dump(), **mail, "delivery_poll_interval_s": 0.1}
        worker = create_worker_app(NotificationSettings(**values))
        async with running(worker) as probe:
            assert worker.state.consumers == [], "the worker consumes no events"
            await eventually(lambda: _count(receiver, event.id))
            await eventually(lambda: _mailed(smtp, event.id))

            async def sent() -> Any:
                response = await client.get("/api/v1/deliveries", params={"event_id": str(event.id)}, headers=admin)
                statuses = {item["channel"]: item["status"] for item in response.json()["items"]}
                return statuses if statuses["email"] == statuses["webhook"] == "delivered" else None

            await eventually(sent)
            assert receiver.count(event.id) == 1

            # It serves its health and metrics, and nothing else: no API, no contract, no docs.
            assert (await probe.get("/readyz")).status_code == 200
            metrics = (await probe.get("/metrics")).text
            assert 'tic_notification_delivery_attempts_total{channel="webhook",outcome="ok"} 1.0' in metrics
            for path in ("/api/v1/deliveries", "/api/v1/outbox", "/openapi.json", "/docs"):
                assert (await probe.get(path, headers=admin)).status_code == 404, path


async def _count(receiver: Any, event_id: Any) -> int:
    return receiver.count(event_id)


async def _mailed(smtp: Any, event_id: Any) -> bool:
    return any(str(event_id).encode() in message.content for message in smtp.mailbox.messages)


async def test_deliveries_no_worker_takes_are_seen_in_the_apps_metrics_until_one_does(
    notification: Any,
    receiver: Any,
    nats_url: str,
    admin: dict[str, str],
    kit: Any,
    make_settings: Callable[..., Any],
    own_database_url: str,
) -> None:
    """With the worker in a Deployment of its own, nothing but this gauge (and TicDeliveriesUnsent on it) would tell
    that it is not running: the app keeps queueing, no delivery fails, none is dead-lettered."""
    own = {"database_url": own_database_url, "delivery_due_watch_interval_s": 0.1}
    async with (
        notification(delivery_worker_enabled=False, **own) as (_, client),
        kit.subscribed(client, admin, receiver.url, ["tic.registry.CenterApproved.v1"]),
    ):
        await asyncio.sleep(0.3)  # the watch has read the database a few times
        assert await _oldest_due(client) == 0.0, "nothing is due in a fresh database"
        event = kit.center_approved()
        await kit.publish(nats_url, event)
        waited = await eventually(lambda: _waited_past(client, 1.0), timeout_s=15)
        assert waited >= 1.0 and receiver.count(event.id) == 0

        values = {**make_settings("notification").model_dump(), **own, "delivery_poll_interval_s": 0.1}
        async with running(create_worker_app(NotificationSettings(**values))):
            await eventually(lambda: _count(receiver, event.id))
            await eventually(lambda: _nothing_due(client))


async def _oldest_due(client: Any) -> float:
    text = (await client.get("/metrics")).text
    [value] = re.findall(r"^tic_notification_oldest_due_delivery_seconds (\S+)$", text, flags=re.MULTILINE)
    return float(value)


async def _waited_past(client: Any, seconds: float) -> float | None:
    waited = await _oldest_due(client)
    return waited if waited >= seconds else None


async def _nothing_due(client: Any) -> bool:
    return await _oldest_due(client) == 0.0
