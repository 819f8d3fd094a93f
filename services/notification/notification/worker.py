"""The delivery worker: claims due email and webhook deliveries, sends them, retries with backoff, dead-letters.

Driven by the `deliveries` table, not by NATS redelivery: a claim is an UPDATE that sets a token and a lease
and commits before anything is sent; the outcome is written only by the worker holding the token. Several
replicas share the queue (SKIP LOCKED); a worker that dies mid-send leaves a lease that expires, and the
delivery is taken up again. Stopping lets the sends in flight finish, so a restart sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from notification import channels
from notification.channels import Outcome
from notification.data import package_templates
from notification.domain import retry
from notification.settings import NotificationSettings
from notification.store import deliveries as deliveries_store
from notification.store import subscriptions as subscriptions_store
from notification.store import templates as templates_store
from tic_shared.db import Database, asyncpg_dsn
from tic_shared.events.catalog import DeliveryDeadLettered
from tic_shared.messaging import MessagingTables
from tic_shared.outbox import record_event

log = logging.getLogger(__name__)

_LINGER_S = 0.02
_BATCHES_IN_FLIGHT = 4
# httpcore's connection pool does work quadratic in its size on every request (a sixth of the CPU with
# 64 sends in flight); several small pools, about this many sends each, hold the same connections for far less.
_SENDS_PER_POOL = 8


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
        self._http: list[httpx.AsyncClient] = []
        self._next_pool = 0
        self._sends = asyncio.Semaphore(settings.delivery_concurrency)
        # Several batches in flight: one slow receiver (a timeout) does not hold every other delivery back.
        self._batches = asyncio.Semaphore(_BATCHES_IN_FLIGHT)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._rng = random.Random()

    def start(self) -> None:
        pools = max(1, self.settings.delivery_concurrency // _SENDS_PER_POOL)
        # Each pool could take every send in flight (`_sends` bounds them all): a send never waits for a slot.
        per_pool = self.settings.delivery_concurrency
        self._http = [
            httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_s,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=per_pool),
            )
            for _ in range(pools)
        ]
        self._task = asyncio.create_task(self._run(), name="notification-delivery-worker")
        self._listener = asyncio.create_task(self._listen(), name="notification-delivery-listener")

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
        for client in self._http:
            await client.aclose()
        self._http = []

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
                        await conn.close()

    async def _claim(self) -> tuple[uuid.UUID, list[Any]]:
        async with self.db.transaction() as session:
            return await deliveries_store.claim_due(
                session, limit=self.settings.delivery_batch_size, lease_s=self.lease_s
            )

    async def _process(self, token: uuid.UUID, claimed: list[Any]) -> None:
        """Send a claimed batch and record every outcome."""
        async with self.db.transaction() as session:
            subs = await subscriptions_store.secrets_of(
                session, {row.subscription_id for row in claimed if row.subscription_id}, self.settings.secret_box
            )
            webhook_events = {row.event_id for row in claimed if row.channel == "webhook"}
            events = await deliveries_store.payloads(session, webhook_events)
        outcomes = await asyncio.gather(*(self._attempt(row, subs, events) for row in claimed))
        async with self.db.transaction() as session:
            await self._record(session, token, claimed, outcomes)

    async def run_once(self) -> int:
        """One claim and its batch, start to end (for tests and tools); how many deliveries were handled."""
        token, claimed = await self._claim()
        if claimed:
            await self._process(token, claimed)
        return len(claimed)

    async def _attempt(
        self, row: Any, subs: dict[uuid.UUID, Any], events: dict[uuid.UUID, dict[str, Any]]
    ) -> Outcome | str:
        started_at = datetime.now(UTC)
        try:
            return await self._send(row, subs, events)
        except Exception as exc:  # a bug must cost one attempt, not the batch's other outcomes
            log.exception("delivery %s failed unexpectedly", row.id)
            return Outcome(False, started_at, 0, error=f"internal error: {type(exc).__name__}")

    async def _send(
        self, row: Any, subs: dict[uuid.UUID, Any], events: dict[uuid.UUID, dict[str, Any]]
    ) -> Outcome | str:
        async with self._sends:
            if row.channel == "webhook":
                sub = subs.get(row.subscription_id)
                if sub is None or sub.status == "deleted":
                    return "cancelled"
                if sub.status != "active":
                    return "held"
                payload = events.get(row.event_id)
                if payload is None:
                    return "cancelled"
                assert self._http
                self._next_pool = (self._next_pool + 1) % len(self._http)
                outcome = await channels.send_webhook(
                    self._http[self._next_pool],
                    url=sub.url,
                    secret=sub.secret,
                    payload=payload,
                    delivery_id=str(row.id),
                )
            elif row.channel == "email":
                if not self.settings.email_enabled:
                    return "skipped"
                outcome = await channels.send_email(
                    self.settings, to=row.recipient, content=row.content, delivery_id=str(row.id)
                )
            else:
                return "cancelled"
        self.metrics.attempts.labels(row.channel, "ok" if outcome.ok else "failed").inc()
        self.metrics.latency.labels(row.channel).observe(outcome.latency_ms / 1000)
        return outcome

    async def _record(
        self, session: AsyncSession, token: uuid.UUID, claimed: list[Any], outcomes: list[Outcome | str]
    ) -> None:
        """Every attempt logged; successes in one update; failures retried later or dead-lettered."""
        attempts = []
        delivered = []
        per_subscription: dict[uuid.UUID, tuple[int, int]] = {}
        for row, outcome in zip(claimed, outcomes, strict=True):
            if isinstance(outcome, str):
                await self._record_unsent(session, token, row, outcome)
                continue
            attempts.append(
                {
                    "delivery_id": row.id,
                    "attempt": row.total_attempts,
                    "ok": outcome.ok,
                    "started_at": outcome.started_at,
                    "latency_ms": outcome.latency_ms,
                    "http_status": outcome.http_status,
                    "error": outcome.error,
                }
            )
            if row.subscription_id is not None:
                ok, failed = per_subscription.get(row.subscription_id, (0, 0))
                per_subscription[row.subscription_id] = (ok + outcome.ok, failed + (not outcome.ok))
            if outcome.ok:
                delivered.append(row.id)
            else:
                await self._record_failure(session, token, row, outcome)
        await deliveries_store.record_attempts(session, attempts)
        await deliveries_store.finish_delivered(session, delivered, token)
        paused = await subscriptions_store.record_outcomes(
            session, per_subscription, pause_after=self.settings.delivery_pause_after_failures
        )
        for subscription_id in paused:
            log.warning("subscription %s paused after repeated failures", subscription_id)

    async def _record_failure(self, session: AsyncSession, token: uuid.UUID, row: Any, outcome: Outcome) -> None:
        error = outcome.error or "failed"
        if retry.is_exhausted(row.attempts, self.settings.delivery_max_attempts):
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

    async def _record_unsent(self, session: AsyncSession, token: uuid.UUID, row: Any, why: str) -> None:
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

    async def _dead_lettered(self, session: AsyncSession, row: Any, error: str) -> None:
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


async def seed_templates(db: Database) -> int:
    async with db.transaction() as session:
        return await templates_store.seed(session, package_templates())
