"""The delivery worker: claims due email and webhook deliveries, sends them, retries with backoff, dead-letters.

Driven by the `deliveries` table, not by NATS redelivery: a claim is an UPDATE that sets a token and a lease
and commits before anything is sent; the outcome is written only by the worker holding the token. Several
replicas share the queue (SKIP LOCKED); a worker that dies mid-send leaves a lease that expires, and the
delivery is taken up again. Stopping lets the sends in flight finish, so a restart sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from notification import channels
from notification.channels import Outcome
from notification.data import package_templates
from notification.domain import retry
from notification.settings import NotificationSettings
from notification.store import deliveries as deliveries_store
from notification.store import inbox as inbox_store
from notification.store import subscriptions as subscriptions_store
from notification.store import templates as templates_store
from notification.store.records import DeliveryRecord
from tic_shared.db import Database, asyncpg_dsn
from tic_shared.events.catalog import DeliveryDeadLettered
from tic_shared.messaging import MessagingTables
from tic_shared.outbox import record_event
from tic_shared.problems import database_outage, rolled_back_by_the_database

log = logging.getLogger(__name__)
T = TypeVar("T")

_LINGER_S = 0.02
_BATCHES_IN_FLIGHT = 4


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            "tic_notification_delivery_attempts",
            "Delivery attempts by channel and outcome",
            ["channel", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "tic_notification_delivery_seconds",
            "Time one delivery attempt took",
            ["channel"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.dead_letters = Counter(
            "tic_notification_dead_letters", "Deliveries that gave up", ["channel"], registry=registry
        )
        self.oldest_due = Gauge(
            "tic_notification_oldest_due_delivery_seconds",
            "How long the longest-waiting due e-mail or webhook delivery has waited for a worker (0: none waits)",
            registry=registry,
        )


class DueWatch:
    """Exports how long due deliveries have waited for a worker (`store.deliveries.oldest_due_s`), read every
    `interval_s`. It runs in the service's app, which runs whether or not its own process sends: with the worker in
    a Deployment of its own, a worker that is not running is seen (and alerted on: TicDeliveriesUnsent) by the
    process that keeps queueing deliveries."""

    def __init__(self, db: Database, gauge: Gauge, interval_s: float) -> None:
        self.db = db
        self.gauge = gauge
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notification-due-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with self.db.transaction() as session:
                    self.gauge.set(await deliveries_store.oldest_due_s(session))
            except Exception as exc:  # the database away: the gauge keeps its last value, other alerts say why
                log.debug("cannot read how long deliveries have waited: %s", exc)
            await asyncio.sleep(self.interval_s)


class DeliveryWorker:
    def __init__(
        self,
        *,
        db: Database,
        settings: NotificationSettings,
        messaging: MessagingTables,
        registry: CollectorRegistry,
    ) -> None:
        self.db = db
        self.settings = settings
        self.messaging = messaging
        self.metrics = DeliveryMetrics(registry)
        self.lease_s = max(settings.webhook_timeout_s, settings.smtp_timeout_s) * 2 + 10
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._http: channels.WebhookClient | None = None
        self._sends = asyncio.Semaphore(settings.delivery_concurrency)
        # Several batches in flight: one slow receiver (a timeout) does not hold every other delivery back.
        self._batches = asyncio.Semaphore(_BATCHES_IN_FLIGHT)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._held: set[uuid.UUID] = set()  # claim tokens of the batches being sent or recorded
        self._leases: asyncio.Task[None] | None = None
        self._rng = random.Random()

    def start(self) -> None:
        self._http = channels.WebhookClient(
            timeout_s=self.settings.webhook_timeout_s,
            sends=self.settings.delivery_concurrency,
        )
        self._task = asyncio.create_task(self._run(), name="notification-delivery-worker")
        self._listener = asyncio.create_task(self._listen(), name="notification-delivery-listener")
        self._leases = asyncio.create_task(self._keep_leases(), name="notification-delivery-leases")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Let the sends in flight finish (bounded), then stop; what is left keeps its lease and is retried."""
        self._stopping = True
        self._wake.set()
        for task in (self._listener, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=self.settings.webhook_timeout_s + 2)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._leases is not None:
            self._leases.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._leases
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ---- the loop ----

    async def _run(self) -> None:
        """Claim batches while there is room in flight; between claims, wait for a commit or the poll interval."""
        while not self._stopping:
            await self._batches.acquire()
            try:
                token, claimed = await self._claim()
            except Exception:
                self._batches.release()
                log.exception("delivery worker could not claim; retrying")
                await self._sleep(self.settings.delivery_poll_interval_s)
                continue
            if claimed:
                task = asyncio.create_task(self._process(token, claimed))
                self._in_flight.add(task)
                task.add_done_callback(self._done)
                if len(claimed) == self.settings.delivery_batch_size:
                    continue  # more are due
            else:
                self._batches.release()
            await self._sleep(self.settings.delivery_poll_interval_s)
            if not self._stopping:
                # Woken by a commit: let the burst it belongs to land, and claim it in one batch.
                await asyncio.sleep(_LINGER_S)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._batches.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("a delivery batch failed; its leases will expire and it is retried", exc_info=task.exception())
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _listen(self) -> None:
        """LISTEN for new deliveries so the worker need not poll fast; polling stays the fallback."""
        while not self._stopping:
            conn: Any = None
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.db.engine.url.render_as_string(False)))
                closed = asyncio.Event()
                conn.add_termination_listener(lambda *_, closed=closed: closed.set())
                await conn.add_listener(deliveries_store.WAKE_CHANNEL, lambda *_: self._wake.set())
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery listener lost its connection: %s", exc)
                await asyncio.sleep(2)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=5)  # then cut: a stop must not wait on the server

    async def _claim(self) -> tuple[uuid.UUID, list[DeliveryRecord]]:
        async with self.db.transaction() as session:
            # Ours first: after an outage longer than a lease, our own unrecorded sends must not look expired.
            await deliveries_store.extend_leases(session, set(self._held), lease_s=self.lease_s)
            return await deliveries_store.claim_due(
                session, limit=self.settings.delivery_batch_size, lease_s=self.lease_s
            )

    async def _process(self, token: uuid.UUID, claimed: list[DeliveryRecord]) -> None:
        """Send a claimed batch and write its outcomes down in waves, as they come: each wave is what finished
        while the one before it was being written, in one transaction. An outcome waits at most one wave's write,
        never for the batch's slowest receiver (issue 13: one write for the whole batch, lost to a database
        outage, let the lease run out and the batch go out a second time)."""
        self._held.add(token)
        try:
            # Held, so its leases are kept: should the database go away between the claim and this read, the batch
            # waits for it here and goes out as soon as it is back, not once its leases have run out (issue 14's
            # fault runs: a claim just before PostgreSQL stopped held its deliveries back for the whole lease).
            subs, bodies = await self._until_done(
                partial(self._prepare, claimed), "read a claimed batch's secrets", only_outages=True
            )
            sending = {asyncio.create_task(self._attempt(row, subs, bodies)): row for row in claimed}
            try:
                unwritten: set[asyncio.Task[Outcome | str]] = set(sending)
                while unwritten:
                    done, unwritten = await asyncio.wait(unwritten, return_when=asyncio.FIRST_COMPLETED)
                    await self._write_wave(token, [(sending[task], task.result()) for task in done])
            finally:
                for task in sending:
                    task.cancel()
        finally:
            self._held.discard(token)

    async def _prepare(
        self, claimed: list[DeliveryRecord], session: AsyncSession
    ) -> tuple[dict[uuid.UUID, subscriptions_store.WebhookTarget], dict[uuid.UUID, bytes]]:
        """What the batch's sends need: its subscriptions' secrets and its webhooks' bodies."""
        subs = await subscriptions_store.secrets_of(
            session, {row.subscription_id for row in claimed if row.subscription_id}, self.settings.secret_box
        )
        bodies = await deliveries_store.bodies(session, {row.event_id for row in claimed if row.channel == "webhook"})
        return subs, bodies

    async def _write_wave(self, token: uuid.UUID, wave: list[tuple[DeliveryRecord, Outcome | str]]) -> None:
        """One transaction for the whole wave; should it fail, each outcome is written on its own until it is, so
        neither an outage nor one outcome that cannot be written holds the others back."""
        try:
            async with self.db.transaction() as session:
                await self._record(session, token, wave)
            return
        except Exception as exc:
            if len(wave) == 1:
                log.warning("cannot record a delivery outcome yet: %s", exc)
            else:
                log.warning("cannot record a wave of %d delivery outcomes; writing them one by one: %s", len(wave), exc)
        await asyncio.gather(
            *(
                self._until_done(partial(self._record, token=token, outcomes=[one]), "record a delivery outcome")
                for one in wave
            )
        )

    async def _until_done(
        self, work: Callable[[AsyncSession], Awaitable[T]], what: str, *, only_outages: bool = False
    ) -> T:
        """Work on a held batch, in a transaction, however long the database is away: what was sent must be
        written down, and what was claimed must go out. Until then the batch's leases are kept (`_keep_leases`),
        so no one else sends it. `only_outages`: any other failure fails the batch at once (its leases then run
        out, and it is claimed again, perhaps by a replica that can do it)."""

        def retried(exc: BaseException) -> bool:
            if isinstance(exc, asyncio.CancelledError):
                return False
            return not only_outages or database_outage(exc) or rolled_back_by_the_database(exc)

        async for attempt in AsyncRetrying(
            retry=retry_if_exception(retried),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            before_sleep=partial(_log_retry, what),
            reraise=True,
        ):
            with attempt:
                async with self.db.transaction() as session:
                    return await work(session)
        raise AssertionError("unreachable: tenacity returns or reraises")

    async def _keep_leases(self) -> None:
        """Extend the leases of the batches this worker holds, every third of a lease; while the database is
        away, try every half second, so the leases are renewed the moment it returns, before anyone's claim."""
        while not self._stopping:
            wait = self.lease_s / 3
            if self._held:
                try:
                    async with self.db.transaction() as session:
                        await deliveries_store.extend_leases(session, set(self._held), lease_s=self.lease_s)
                except Exception as exc:
                    log.warning("cannot extend the delivery leases yet: %s", exc)
                    wait = 0.5
            await asyncio.sleep(wait)

    async def run_once(self) -> int:
        """One claim and its batch, start to end (for tests and tools); how many deliveries were handled."""
        token, claimed = await self._claim()
        if claimed:
            await self._process(token, claimed)
        return len(claimed)

    async def _attempt(
        self, row: DeliveryRecord, subs: dict[uuid.UUID, Any], bodies: dict[uuid.UUID, bytes]
    ) -> Outcome | str:
        started_at = datetime.now(UTC)
        try:
            return await self._send(row, subs, bodies)
        except Exception as exc:  # a bug must cost one attempt, not the batch's other outcomes
            log.exception("delivery %s failed unexpectedly", row.id)
            return Outcome(False, started_at, 0, error=f"internal error: {type(exc).__name__}")

    async def _send(
        self, row: DeliveryRecord, subs: dict[uuid.UUID, Any], bodies: dict[uuid.UUID, bytes]
    ) -> Outcome | str:
        async with self._sends:
            if row.channel == "webhook":
                sub = subs.get(row.subscription_id) if row.subscription_id is not None else None
                if sub is None or sub.status == "deleted":
                    return "cancelled"
                if sub.status != "active":
                    return "held"
                body = bodies.get(row.event_id)
                if body is None:
                    return "cancelled"
                assert self._http is not None
                outcome = await self._http.send(
                    url=sub.url, secret=sub.secret, body=body, event_id=str(row.event_id), delivery_id=str(row.id)
                )
            elif row.channel == "email":
                if not self.settings.email_enabled:
                    return "skipped"
                outcome = await channels.send_email(
                    self.settings,
                    to=row.recipient,
                    content=row.content or {},
                    delivery_id=str(row.id),
                    event_id=str(row.event_id),
                )
            else:
                return "cancelled"
        self.metrics.attempts.labels(row.channel, "ok" if outcome.ok else "failed").inc()
        self.metrics.latency.labels(row.channel).observe(outcome.latency_ms / 1000)
        return outcome

    async def _record(
        self, session: AsyncSession, token: uuid.UUID, outcomes: list[tuple[DeliveryRecord, Outcome | str]]
    ) -> None:
        """Outcomes in the order they came: each attempt logged; a success finishes its delivery, a failure is
        retried later or dead-lettered. Attempts and deliveries are written in one statement each; an endpoint's
        run of successes is one `record_success`, flushed before its next failure so the failure counts see the
        same order as the sends."""
        sent = [(row, outcome) for row, outcome in outcomes if isinstance(outcome, Outcome)]
        await deliveries_store.record_attempts(
            session,
            [
                {
                    "delivery_id": row.id,
                    "attempt": row.total_attempts,
                    "ok": outcome.ok,
                    "started_at": outcome.started_at,
                    "latency_ms": outcome.latency_ms,
                    "http_status": outcome.http_status,
                    "error": outcome.error,
                }
                for row, outcome in sent
            ],
        )
        await deliveries_store.finish_delivered(session, [row.id for row, outcome in sent if outcome.ok], token)
        succeeded: dict[uuid.UUID, None] = {}  # endpoints whose latest outcomes are successes not yet recorded
        for row, outcome in outcomes:
            if isinstance(outcome, str):
                await self._record_unsent(session, token, row, outcome)
            elif outcome.ok:
                if row.subscription_id is not None:
                    succeeded[row.subscription_id] = None
            else:
                turn = None
                if row.subscription_id is not None:
                    if row.subscription_id in succeeded:
                        del succeeded[row.subscription_id]
                        await self._record_success(session, row.subscription_id)
                    turn = await subscriptions_store.record_failure(
                        session,
                        row.subscription_id,
                        pause_after_s=self.settings.delivery_pause_after_s,
                        warn_before_s=self.settings.delivery_pause_warning_s,
                    )
                await self._record_failure(session, token, row, outcome)
                if turn is not None:
                    await self._tell_owner(session, turn)
        for subscription_id in succeeded:
            await self._record_success(session, subscription_id)

    async def _record_success(self, session: AsyncSession, subscription_id: uuid.UUID) -> None:
        if await subscriptions_store.record_success(session, subscription_id):
            await deliveries_store.wake_workers(session)

    async def _tell_owner(self, session: AsyncSession, turn: subscriptions_store.Turn) -> None:
        """The subscription's owner hears in their inbox before it pauses and when it does."""
        since = turn.failing_since.isoformat(timespec="seconds")
        url = html.escape(turn.url)  # an inbox body is HTML
        if turn.kind == "paused":
            log.warning("subscription %s paused: failing since %s", turn.subscription_id, since)
            zh = (
                "Webhook 订阅已暂停",
                f"{url} 自 {since} 起持续投递失败，订阅 {turn.subscription_id} 已暂停；接收端恢复后请重新启用。",
            )
            en = (
                "Webhook subscription paused",
                f"Deliveries to {url} have failed continuously since {since}; subscription "
                f"{turn.subscription_id} is paused. Resume it once the endpoint is back.",
            )
        else:
            log.warning("subscription %s will be paused: failing since %s", turn.subscription_id, since)
            left_h = self.settings.delivery_pause_warning_s / 3600
            zh = (
                "Webhook 订阅即将暂停",
                f"{url} 自 {since} 起持续投递失败；若仍失败，订阅 {turn.subscription_id} "
                f"将在约 {left_h:g} 小时后暂停。",
            )
            en = (
                "Webhook subscription will be paused",
                f"Deliveries to {url} have failed continuously since {since}; unless one succeeds, subscription "
                f"{turn.subscription_id} is paused in about {left_h:g} hours.",
            )
        await inbox_store.add_many(
            session,
            [
                {
                    "event_type": f"tic.notification.subscription.{turn.kind}",
                    "recipient": f"user:{turn.owner}",
                    "user_subject": turn.owner,
                }
            ],
            # One notice per kind per failing spell.
            event_id=uuid.uuid5(turn.subscription_id, f"{turn.kind}:{since}"),
            content={"zh": {"subject": zh[0], "body": zh[1]}, "en": {"subject": en[0], "body": en[1]}},
        )

    async def _record_failure(
        self, session: AsyncSession, token: uuid.UUID, row: DeliveryRecord, outcome: Outcome
    ) -> None:
        error = outcome.error or "failed"
        exhausted = retry.is_exhausted(row.attempts, self.settings.delivery_max_attempts)
        if exhausted and row.subscription_id is not None and self.settings.webhook_hold_while_down:
            # A receiver that is down is not refusing this event: keep trying (capped backoff) until it is back
            # or the subscription pauses; only an event refused while others get through is dead-lettered.
            exhausted = not await subscriptions_store.endpoint_down_since(session, row.subscription_id, row.created_at)
        if exhausted:
            finished = await deliveries_store.finish(
                session, row.id, token, {"status": "dead", "dead_lettered_at": func.now(), "last_error": error}
            )
            if finished is not None:
                await self._dead_lettered(session, row, error)
            return
        delay = retry.backoff_s(
            row.attempts,
            base_s=self.settings.delivery_retry_base_s,
            max_s=self.settings.delivery_retry_max_s,
            rng=self._rng,
        )
        await deliveries_store.finish(
            session,
            row.id,
            token,
            {"status": "retrying", "next_attempt_at": func.now() + timedelta(seconds=delay), "last_error": error},
        )

    async def _record_unsent(self, session: AsyncSession, token: uuid.UUID, row: DeliveryRecord, why: str) -> None:
        # Nothing was sent: this claim does not count as an attempt.
        undo = {"attempts": row.attempts - 1, "total_attempts": row.total_attempts - 1}
        if why == "held":
            await deliveries_store.finish(session, row.id, token, {"status": "pending", **undo})
        elif why == "skipped":
            await deliveries_store.finish(session, row.id, token, {"status": "skipped", **undo})
        else:
            await deliveries_store.finish(
                session, row.id, token, {"status": "cancelled", "last_error": "the subscription is gone", **undo}
            )

    async def _dead_lettered(self, session: AsyncSession, row: DeliveryRecord, error: str) -> None:
        self.metrics.dead_letters.labels(row.channel).inc()
        log.error("delivery %s (%s to %s) dead-lettered: %s", row.id, row.channel, row.recipient, error)
        await record_event(
            session,
            self.messaging.outbox,
            DeliveryDeadLettered(
                delivery_id=row.id,
                event_id=row.event_id,
                event_type=row.event_type,
                channel=row.channel,
                recipient=row.recipient,
                attempts=row.attempts,
                last_error=error,
                subscription_id=row.subscription_id,
            ),
            subject=str(row.id),
        )


def _log_retry(what: str, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    log.warning("cannot %s yet (try %d): %s", what, state.attempt_number, exc)


async def seed_templates(db: Database) -> int:
    async with db.transaction() as session:
        return await templates_store.seed(session, package_templates())
