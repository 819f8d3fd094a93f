"""Webhook delivery under failure: outages, dead letters and their replay, paused subscriptions, redelivered
events and a restart in the middle of a send — each event reaches each receiver once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
from nats.js.api import DeliverPolicy
from prometheus_client import CollectorRegistry
from sqlalchemy import func, literal_column, select, update
from sqlalchemy.engine import make_url

from notification.channels import Outcome
from notification.service import fanout
from notification.settings import NotificationSettings
from notification.store import deliveries as deliveries_store
from notification.store.tables import deliveries, inbox_items, messaging, subscriptions
from notification.worker import DeliveryWorker
from tic_platform.testing import eventually
from tic_shared.db import Database
from tic_shared.events import CloudEvent

EVENT_TYPES = ["tic.registry.CenterApproved.v1"]


async def _deliveries_of(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/deliveries", params={"channel": "webhook", **params}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# Retries and backoff take their time; a loaded CI machine must not turn that into a failure.
RETRY_WAIT_S = 30.0


async def test_a_receiver_down_then_back_gets_each_event_once(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    receiver = kit.Receiver()  # not started: down
    async with (
        # Dead letters and pausing are other tests' subjects: here the receiver comes back to find it all waiting.
        notification(delivery_max_attempts=100_000) as (_, client),
        kit.subscribed(client, admin, receiver.url, EVENT_TYPES) as subscription,
    ):
        events = [kit.center_approved() for _ in range(3)]
        for event in events:
            await kit.publish(nats_url, event)

        async def failing() -> bool:
            rows = await _deliveries_of(client, admin, subscription_id=subscription["id"])
            return sum(1 for row in rows if row["status"] == "retrying" and row["total_attempts"] >= 2) >= 3

        await eventually(failing, timeout_s=RETRY_WAIT_S)
        await receiver.start()
        try:

            async def all_delivered() -> bool:
                return all(receiver.count(event.id) >= 1 for event in events)

            await eventually(all_delivered, timeout_s=RETRY_WAIT_S)
            await asyncio.sleep(0.5)
            assert [receiver.count(event.id) for event in events] == [1, 1, 1]
            for event in events:
                row = await eventually(lambda event=event: _delivered(client, admin, event.id), timeout_s=RETRY_WAIT_S)
                assert row["total_attempts"] >= 2
                detail = (await client.get(f"/api/v1/deliveries/{row['id']}", headers=admin)).json()
                failed = [a for a in detail["attempt_log"] if not a["ok"]]
                assert failed and all(a["error"] for a in failed)
                assert detail["attempt_log"][-1]["ok"] is True
        finally:
            await receiver.stop()


async def test_a_receiver_down_for_good_yields_a_dead_letter_and_replay_delivers_it(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    receiver = kit.Receiver()
    async with (
        # Dead-lettered by count even though the endpoint is down (by default its deliveries wait for it).
        notification(webhook_hold_while_down=False) as (_, client),
        kit.subscribed(client, admin, receiver.url, EVENT_TYPES) as subscription,
    ):
        event = kit.center_approved()
        await kit.publish(nats_url, event)

        async def dead() -> Any:
            rows = await _deliveries_of(client, admin, event_id=str(event.id), status="dead")
            return rows[0] if rows else None

        row = await eventually(dead, timeout_s=RETRY_WAIT_S)
        assert row["attempts"] == 3 and row["last_error"]
        listed = await _deliveries_of(client, admin, status="dead", subscription_id=subscription["id"])
        assert [item["id"] for item in listed] == [row["id"]]

        announced = await eventually(lambda: _dead_lettered_event(nats_url, row["id"]), timeout_s=RETRY_WAIT_S)
        assert announced["data"]["event_id"] == str(event.id)
        assert announced["data"]["recipient"] == f"subscription:{subscription['id']}"
        assert announced["data"]["attempts"] == 3
        assert subscription["secret"] not in str(announced)

        # The bureau's inbox hears of it too (the service consumes its own DeliveryDeadLettered).
        async def in_inbox() -> bool:
            response = await client.get(
                "/api/v1/inbox", headers=admin, params={"event_type": "tic.notification.DeliveryDeadLettered.v1"}
            )
            return any(row["id"] in item["body"] for item in response.json()["items"])

        await eventually(in_inbox, timeout_s=RETRY_WAIT_S)

        await receiver.start()
        try:
            replayed = await client.post(
                f"/api/v1/deliveries/{row['id']}/replay", headers={**admin, "Idempotency-Key": uuid.uuid4().hex}
            )
            assert replayed.status_code == 200, replayed.text
            assert replayed.json()["status"] == "pending"
            after = await eventually(lambda: _delivered(client, admin, event.id), timeout_s=RETRY_WAIT_S)
            assert after["replays"] == 1
            again = await client.post(f"/api/v1/deliveries/{row['id']}/replay", headers=admin)
            assert again.status_code == 409
            assert again.headers["content-type"] == "application/problem+json"
            await asyncio.sleep(0.3)
            assert receiver.count(event.id) == 1
        finally:
            await receiver.stop()


async def _delivered(client: Any, headers: dict[str, str], event_id: uuid.UUID) -> dict[str, Any] | None:
    [row] = await _deliveries_of(client, headers, event_id=str(event_id))
    return row if row["status"] == "delivered" else None


async def _count(receiver: Any, event_id: uuid.UUID) -> int:
    return int(receiver.count(event_id))


async def _dead_lettered_event(url: str, delivery_id: str) -> dict[str, Any] | None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            "tic.notification.DeliveryDeadLettered", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        while True:
            try:
                msg = await sub.next_msg(timeout=0.3)
            except nats.errors.TimeoutError:
                return None
            event = CloudEvent.model_validate_json(msg.data)
            if event.data.get("delivery_id") == delivery_id:
                return event.model_dump(mode="json")
    finally:
        await nc.close()


async def test_a_subscription_failing_for_the_pause_period_is_paused_its_owner_told_and_it_resumes(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    receiver = kit.Receiver()
    async with (
        # Paused after failing continuously for 1.5 s (3 days by default), its owner warned 1 s before.
        notification(delivery_pause_after_s=1.5, delivery_pause_warning_s=1.0, delivery_max_attempts=3) as (_, client),
        kit.subscribed(client, admin, receiver.url, EVENT_TYPES) as subscription,
    ):
        event = kit.center_approved()
        await kit.publish(nats_url, event)

        async def paused() -> Any:
            response = await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)
            body = response.json()
            return response if body["status"] == "paused" else None

        response = await eventually(paused, timeout_s=RETRY_WAIT_S)
        body = response.json()
        assert "continuously" in body["paused_reason"] and body["failing_since"] is not None
        # Past delivery_max_attempts, yet not dead: the endpoint is down, the delivery waits for it.
        [held] = await _deliveries_of(client, admin, event_id=str(event.id))
        assert held["status"] == "retrying" and held["total_attempts"] > 3
        await asyncio.sleep(0.4)
        [still] = await _deliveries_of(client, admin, event_id=str(event.id))
        assert still["total_attempts"] == held["total_attempts"]  # held, not tried while paused

        # Its owner (who subscribed) heard before it paused and when it did.
        notices = (await client.get("/api/v1/inbox", headers=admin, params={"locale": "en"})).json()["items"]
        kinds = {item["event_type"] for item in notices if subscription["id"] in item["body"]}
        assert kinds == {"tic.notification.subscription.pause-warning", "tic.notification.subscription.paused"}

        await receiver.start()
        try:
            stale = await client.patch(
                f"/api/v1/subscriptions/{subscription['id']}",
                json={"status": "active"},
                headers={**admin, "If-Match": 'W/"not-the-etag"'},
            )
            assert stale.status_code == 412
            resumed = await client.patch(
                f"/api/v1/subscriptions/{subscription['id']}",
                json={"status": "active"},
                headers={**admin, "If-Match": response.headers["etag"]},
            )
            assert resumed.status_code == 200, resumed.text
            assert resumed.json()["status"] == "active" and resumed.json()["consecutive_failures"] == 0
            assert resumed.json()["failing_since"] is None
            await eventually(lambda: _count(receiver, event.id), timeout_s=RETRY_WAIT_S)
            await asyncio.sleep(0.3)
            assert receiver.count(event.id) == 1
        finally:
            await receiver.stop()


async def test_a_failing_minute_pauses_nothing_and_the_backlog_follows_the_first_success(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    """Issue 13: 22 failures inside a minute paused a subscription until a person acted. Now a burst of
    failures pauses nothing, and the first success makes every waiting delivery of the subscription due."""
    receiver = kit.Receiver()
    async with (
        # Long retry delays: only the wake-up on success can deliver the backlog within the test's bound.
        notification(delivery_retry_base_s=30.0, delivery_retry_max_s=30.0) as (_, client),
        kit.subscribed(client, admin, receiver.url, EVENT_TYPES) as subscription,
    ):
        backlog = [kit.center_approved() for _ in range(3)]
        for event in backlog:
            await kit.publish(nats_url, event)

        async def failed_once() -> bool:
            rows = await _deliveries_of(client, admin, subscription_id=subscription["id"])
            return sum(1 for row in rows if row["status"] == "retrying") == len(backlog)

        await eventually(failed_once, timeout_s=RETRY_WAIT_S)
        shown = (await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)).json()
        assert shown["status"] == "active" and shown["failing_since"] is not None
        await receiver.start()
        try:
            fresh = kit.center_approved()
            back = asyncio.get_running_loop().time()
            await kit.publish(nats_url, fresh)

            async def all_there() -> bool:
                return all(receiver.count(event.id) >= 1 for event in [*backlog, fresh])

            await eventually(all_there, timeout_s=10)
            assert asyncio.get_running_loop().time() - back < 10  # not the 15-30 s of their own backoff
            await asyncio.sleep(0.3)
            assert [receiver.count(event.id) for event in [*backlog, fresh]] == [1, 1, 1, 1]
            shown = (await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)).json()
            assert shown["failing_since"] is None and shown["consecutive_failures"] == 0
        finally:
            await receiver.stop()


async def test_redelivered_and_replayed_events_send_nothing_twice(
    notification: Any, nats_url: str, admin: dict[str, str], receiver: Any, kit: Any
) -> None:
    async with (
        notification() as (app, client),
        kit.subscribed(client, admin, receiver.url, EVENT_TYPES),
    ):
        event = kit.center_approved()
        await kit.publish(nats_url, event)
        await kit.publish(nats_url, event, msg_id=f"{event.id}-again")  # the broker delivers it twice
        await eventually(lambda: _count(receiver, event.id), timeout_s=RETRY_WAIT_S)
        # Even past the inbox (a dead letter replayed, a lost inbox mark), the deliveries are unique, and so are
        # the inbox items that are written with them.
        async with app.state.db.transaction() as session:
            before = await _written_for(session, event.id)
            asked = await fanout.fan_out(session, event, settings=app.state.settings)
        assert asked == before["deliveries"] > before["inbox"] > 0
        async with app.state.db.transaction() as session:
            assert await _written_for(session, event.id) == before
        await asyncio.sleep(0.5)
        assert receiver.count(event.id) == 1
        async with app.state.db.transaction() as session:
            per_channel = (
                await session.execute(
                    select(deliveries.c.channel, deliveries.c.recipient, func.count())
                    .where(deliveries.c.event_id == event.id)
                    .group_by(deliveries.c.channel, deliveries.c.recipient)
                )
            ).all()
        assert per_channel and all(count == 1 for _, _, count in per_channel)


async def test_a_restart_in_the_middle_of_a_send_sends_it_once(
    notification: Any, nats_url: str, admin: dict[str, str], receiver: Any, kit: Any
) -> None:
    receiver.delay_s = 1.0
    event = kit.center_approved()
    async with notification() as (_, client):
        response = await client.post(
            "/api/v1/subscriptions", json={"url": receiver.url, "event_types": EVENT_TYPES}, headers=admin
        )
        subscription = response.json()
        await kit.publish(nats_url, event)
        await eventually(lambda: _started(receiver, event.id), timeout_s=RETRY_WAIT_S)
        # Leaving the block stops the app while the receiver is still answering.
    assert receiver.count(event.id) == 1
    async with notification() as (_, client):
        await asyncio.sleep(1.5)
        assert receiver.count(event.id) == 1
        [row] = await _deliveries_of(client, admin, event_id=str(event.id))
        assert row["status"] == "delivered" and row["total_attempts"] == 1
        await client.delete(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)


async def _started(receiver: Any, event_id: uuid.UUID) -> bool:
    return str(event_id) in receiver.started


async def test_an_event_that_comes_before_the_contacts_still_reaches_the_lead_unit_by_email(
    notification: Any, smtp: Any, nats_url: str, kit: Any
) -> None:
    """Issue 13: after a database outage a center's review result was handled before its submission (which names
    the contacts) and its e-mail was never made. It now waits for the contacts, then goes out once."""
    from tic_shared.events.catalog import CenterReviewCompleted, CenterSubmitted, Contact, LeadUnit
    from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Origin, Tier

    center_id = uuid.uuid4()
    address = f"late-{uuid.uuid4().hex[:8]}@example.com"
    common = {"center_id": center_id, "tier": Tier.MUNICIPAL_TIC, "district": "yinzhou"}
    reviewed = CloudEvent.of(
        CenterReviewCompleted(**common, status=CenterStatus.REVIEWED, sequence=3, passed=True, score=88.0),
        subject=str(center_id),
    )
    submitted = CloudEvent.of(
        CenterSubmitted(
            **common,
            status=CenterStatus.SUBMITTED,
            sequence=1,
            name_zh="宁波市迟到技术创新中心",
            field=Field.NEW_MATERIALS,
            origin=Origin.MUNICIPAL_INITIATIVE,
            lead_unit=LeadUnit(name="宁波迟到有限公司", credit_code="91330200MA2GQ3XK4C", type=LeadUnitType.ENTERPRISE),
            contacts=[Contact(name="李雷", email=address, role="contact")],
        ),
        subject=str(center_id),
    )
    # The consumer retries the review until the contacts are in: enough attempts to outlast the wait below.
    async with notification(smtp_host=smtp.host, smtp_port=smtp.port, consumer_max_attempts=10):
        await kit.publish(nats_url, reviewed)
        await asyncio.sleep(0.5)
        await kit.publish(nats_url, submitted)

        def mails() -> list[str]:
            return [m.content.decode() for m in smtp.mailbox.messages if address in m.rcpt_tos]

        async def both() -> bool:
            return len(mails()) >= 2

        await eventually(both, timeout_s=RETRY_WAIT_S)
        await asyncio.sleep(0.5)
        got = mails()
        assert len(got) == 2
        assert sum(str(reviewed.id) in m for m in got) == 1 and sum(str(submitted.id) in m for m in got) == 1


async def test_a_wave_of_outcomes_counts_an_endpoints_failures_in_the_order_they_came(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    """The worker writes the outcomes that finished together in one transaction; the endpoint's failure count must
    still follow the order of the sends: a failure after a success leaves it failing, a success after a failure
    clears it."""
    async with (
        notification(delivery_worker_enabled=False) as (app, client),
        kit.subscribed(client, admin, "http://127.0.0.1:9/hook", EVENT_TYPES) as subscription,
    ):
        subscription_id = uuid.UUID(subscription["id"])
        events = await _pending(client, admin, nats_url, kit, subscription, 4)
        worker = app.state.delivery_worker
        token, claimed = await worker._claim()
        ours = {row.event_id: row for row in claimed if row.subscription_id == subscription_id}
        first, second, third, fourth = (ours[event.id] for event in events)
        now = datetime.now(UTC)
        ok, failed = Outcome(True, now, 3, http_status=204), Outcome(False, now, 3, http_status=503, error="HTTP 503")

        await worker._write_wave(token, [(first, ok), (second, failed)])
        assert await _failing(app, subscription_id) == (1, True)
        await worker._write_wave(token, [(third, failed), (fourth, ok)])
        assert await _failing(app, subscription_id) == (0, False)

        statuses = {
            row["event_id"]: row["status"]
            for row in await _deliveries_of(client, admin, subscription_id=subscription["id"])
        }
        assert [statuses[str(event.id)] for event in events] == ["delivered", "retrying", "retrying", "delivered"]
        for row, good in ((first, True), (second, False), (third, False), (fourth, True)):
            detail = (await client.get(f"/api/v1/deliveries/{row.id}", headers=admin)).json()
            assert [attempt["ok"] for attempt in detail["attempt_log"]] == [good]


async def test_a_held_lease_is_renewed_once_a_tenth_of_it_has_passed_and_an_expired_one_at_once(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    """A claim made moments ago is left as it is (rewriting it was a new row version per delivery and claim); one a
    tenth of the way through its lease, and one whose lease ran out while its holder was cut off, run a whole
    lease from now again. Another worker's claims are not touched."""
    async with (
        notification(delivery_worker_enabled=False) as (app, client),
        kit.subscribed(client, admin, "http://127.0.0.1:9/hook", EVENT_TYPES) as subscription,
    ):
        events = await _pending(client, admin, nats_url, kit, subscription, 3)
        worker = app.state.delivery_worker
        lease_s = worker.lease_s
        token, claimed = await worker._claim()
        ours = {row.event_id: row.id for row in claimed if str(row.subscription_id) == subscription["id"]}
        fresh, aged, expired = (ours[event.id] for event in events)
        d = deliveries.c
        async with app.state.db.transaction() as session:
            for delivery_id, left_s in ((aged, lease_s * 0.85), (expired, -5.0)):
                await session.execute(
                    update(deliveries)
                    .where(d.id == delivery_id)
                    .values(claimed_until=func.now() + timedelta(seconds=left_s))
                )
        before = await _leases(app, [fresh, aged, expired])

        async with app.state.db.transaction() as session:
            await deliveries_store.extend_leases(session, {uuid.uuid4()}, lease_s=lease_s)  # someone else's
        assert await _leases(app, [fresh, aged, expired]) == before

        async with app.state.db.transaction() as session:
            await deliveries_store.extend_leases(session, {token}, lease_s=lease_s)
            now = (await session.execute(select(func.now()))).scalar_one()
        after = await _leases(app, [fresh, aged, expired])
        assert after[fresh] == before[fresh], "a claim made moments ago was rewritten"
        for renewed in (aged, expired):
            assert after[renewed][1] != before[renewed][1], "a renewed lease keeps its old row version"
            assert abs((after[renewed][0] - now).total_seconds() - lease_s) < 1


async def _leases(app: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[datetime, str]]:
    """Each delivery's lease and its row version (`xmin`: a rewrite makes a new one)."""
    d = deliveries.c
    async with app.state.db.transaction() as session:
        rows = (
            await session.execute(select(d.id, d.claimed_until, literal_column("xmin::text")).where(d.id.in_(ids)))
        ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


async def _pending(
    client: Any, admin: dict[str, str], nats_url: str, kit: Any, subscription: dict[str, Any], count: int
) -> list[CloudEvent]:
    """`count` approvals published, once the subscription's delivery of each is waiting for a worker."""
    events = [kit.center_approved() for _ in range(count)]
    for event in events:
        await kit.publish(nats_url, event)

    async def pending() -> bool:
        rows = await _deliveries_of(client, admin, subscription_id=subscription["id"], status="pending")
        return len(rows) == count

    await eventually(pending, timeout_s=RETRY_WAIT_S)
    return events


async def _failing(app: Any, subscription_id: uuid.UUID) -> tuple[int, bool]:
    async with app.state.db.transaction() as session:
        row = (
            await session.execute(
                select(subscriptions.c.consecutive_failures, subscriptions.c.failing_since).where(
                    subscriptions.c.id == subscription_id
                )
            )
        ).one()
    return row.consecutive_failures, row.failing_since is not None


async def _written_for(session: Any, event_id: uuid.UUID) -> dict[str, int]:
    """How many deliveries and inbox items the event has in the record."""
    of_event = select(deliveries.c.id).where(deliveries.c.event_id == event_id)
    return {
        "deliveries": (await session.execute(select(func.count()).select_from(of_event.subquery()))).scalar_one(),
        "inbox": (await session.execute(select(func.count()).where(inbox_items.c.event_id == event_id))).scalar_one(),
    }


class CuttableLink:
    """A hop between the worker and PostgreSQL's unix socket that can be cut as a stopping server cuts it (every
    connection closed, the socket file gone) and restored. Real sockets both ways; only the hop is ours."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.server_dir = str(url.query["host"])
        self.dir = tempfile.mkdtemp(prefix="tic-link-")
        self.url = url.update_query_dict({"host": self.dir}).render_as_string(hide_password=False)
        self._server: asyncio.Server | None = None
        self._ends: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_unix_server(self._pipe, path=f"{self.dir}/.s.PGSQL.5432")

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for end in list(self._ends):
            end.close()
        await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{self.dir}/.s.PGSQL.5432")  # the server's socket file goes as it stops

    async def _pipe(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_unix_connection(f"{self.server_dir}/.s.PGSQL.5432")
        self._ends |= {client_writer, server_writer}

        async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            finally:
                writer.close()
                self._ends.discard(writer)

        await asyncio.gather(
            copy(client_reader, server_writer), copy(server_reader, client_writer), return_exceptions=True
        )


async def test_a_batch_claimed_just_before_the_database_went_away_goes_out_as_soon_as_it_is_back(
    notification: Any, receiver: Any, nats_url: str, admin: dict[str, str], kit: Any, make_settings: Any
) -> None:
    """A claim commits, then PostgreSQL stops before the batch's secrets are read. The worker holds the batch (and
    its leases) and reads them once the database is back: the delivery goes out then, once, not a whole lease
    later (the fault suite's postgres-stop saw it 17 s late when the read failed and the batch was dropped)."""
    async with (
        notification(delivery_worker_enabled=False) as (app, client),
        kit.subscribed(client, admin, receiver.url, EVENT_TYPES) as subscription,
    ):
        [event] = await _pending(client, admin, nats_url, kit, subscription, 1)
        link = CuttableLink(app.state.settings.database_url)
        assert link.url != app.state.settings.database_url
        await link.restore()
        settings = NotificationSettings(**{**app.state.settings.model_dump(), "database_url": link.url})
        db = Database(link.url, schema="notification", pool_size=4, application_name="tic-notification-cut")
        worker = DeliveryWorker(db=db, settings=settings, messaging=messaging, registry=CollectorRegistry())
        try:
            token, claimed = await worker._claim()
            assert event.id in {row.event_id for row in claimed}
            assert worker.lease_s >= 20
            await link.cut()
            worker.start()  # its loops meet the outage too: claims, leases, the listener
            sending = asyncio.create_task(worker._process(token, claimed))
            await asyncio.sleep(1.5)
            assert not sending.done(), "the batch was dropped while the database was away"
            assert receiver.count(event.id) == 0
            back = time.monotonic()
            await link.restore()
            await asyncio.wait_for(sending, timeout=10)
            assert time.monotonic() - back < 10 < worker.lease_s
            assert receiver.count(event.id) == 1
            [row] = await _deliveries_of(client, admin, event_id=str(event.id), subscription_id=subscription["id"])
            assert row["status"] == "delivered"
        finally:
            await worker.stop()
            await db.dispose()
            await link.cut()
            shutil.rmtree(link.dir, ignore_errors=True)
