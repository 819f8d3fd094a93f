"""The transactional outbox: events written with the state change, and the relay that publishes them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from opentelemetry.trace import SpanKind
from sqlalchemy import Row, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared import telemetry
from tic_shared.db import Database, asyncpg_dsn
from tic_shared.events.envelope import CloudEvent, EventData
from tic_shared.messaging import outbox_channel
from tic_shared.metrics import ServiceMetrics
from tic_shared.nats_link import NatsLink
from tic_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

_PUBLISH_TIMEOUT_S = 5.0
_PRUNE_EVERY_S = 3600.0


async def record_event(
    session: AsyncSession, outbox: Table, data: EventData, *, subject: str | None = None
) -> CloudEvent:
    """Write the event in the caller's transaction: it leaves if and only if that transaction commits."""
    (event,) = await record_events(session, outbox, [(data, subject)])
    return event


async def record_events(
    session: AsyncSession, outbox: Table, events: Sequence[tuple[EventData, str | None]]
) -> list[CloudEvent]:
    """Many events in one statement, in the caller's transaction, in the order given (a batch's results)."""
    envelopes = [CloudEvent.of(data, subject=subject) for data, subject in events]
    if envelopes:
        await session.execute(
            outbox.insert(),
            [
                {
                    "event_id": envelope.id,
                    "subject": envelope.nats_subject,
                    "event_type": envelope.type,
                    "aggregate_id": envelope.subject,
                    "aggregate_seq": data.aggregate_sequence(),
                    "payload": envelope.model_dump(mode="json", exclude_none=True),
                }
                for envelope, (data, _) in zip(envelopes, events, strict=True)
            ],
        )
    return envelopes


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, in order, exactly one active relay per service.

    Leadership is a session-level advisory lock held on a dedicated connection: when the leader dies its
    connection closes, the lock frees, and another replica's relay takes over on its next try.
    """

    def __init__(
        self,
        *,
        db: Database,
        outbox: Table,
        link: NatsLink,
        settings: ServiceSettings,
        metrics: ServiceMetrics,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.link = link
        self.settings = settings
        self.metrics = metrics
        self.schema = db.schema
        self.is_leader = False
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._failures = 0

    def start(self) -> None:
        self.link.on_connected(self.wake)
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.schema}")

    def wake(self) -> None:
        self._failures = 0
        self._wake.set()

    async def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop after one last attempt to publish what is committed (a rolling update loses nothing anyway)."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=flush_timeout_s)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.schema)
                await self._sleep(self.settings.relay_poll_interval_s)

    async def _lead(self) -> None:
        conn: Any = await asyncpg.connect(asyncpg_dsn(self.db.engine.url.render_as_string(False)))
        try:
            got = await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", f"tic-relay:{self.schema}")
            if not got:
                self.is_leader = False
                await conn.close()
                await self._sleep(self.settings.relay_poll_interval_s)
                return
            self.is_leader = True
            log.info("outbox relay of %s is the leader", self.schema)
            await conn.add_listener(outbox_channel(self.schema), lambda *_: self._wake.set())
            pruned_at = 0.0
            while not conn.is_closed():
                if time.monotonic() - pruned_at > _PRUNE_EVERY_S:
                    await self.prune()
                    pruned_at = time.monotonic()
                published = await self.drain()
                if self._stopping:
                    return
                if published == 0:
                    await self._sleep(self._retry_delay() or self.settings.relay_poll_interval_s)
        finally:
            self.is_leader = False
            with contextlib.suppress(Exception):
                await conn.close()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    def _retry_delay(self) -> float:
        if self._failures == 0:
            return 0.0
        return float(min(self.settings.relay_max_backoff_s, 0.2 * 2 ** min(self._failures, 10)))

    async def drain(self) -> int:
        """Publish every committed row, batch by batch; returns how many were published."""
        total = 0
        while True:
            rows = await self._next_batch()
            await self._report_lag()
            if not rows:
                return total
            published = await self._publish(rows)
            total += published
            if published < len(rows):
                return total

    async def prune(self) -> int:
        """Forget published events past the retention period; the stream keeps them for subscribers."""
        o = self.outbox.c
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(self.outbox).where(
                    o.published_at < func.now() - timedelta(days=self.settings.outbox_retention_days)
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _next_batch(self) -> Sequence[Row[Any, Any, Any, Any]]:
        o = self.outbox.c
        async with self.db.transaction() as session:
            result = await session.execute(
                select(o.id, o.event_id, o.subject, o.payload)
                .where(o.published_at.is_(None))
                .order_by(o.id)
                .limit(self.settings.relay_batch_size)
            )
            return result.all()

    async def _publish(self, rows: Sequence[Row[Any, Any, Any, Any]]) -> int:
        if not self.link.connected:
            self._failures += 1
            return 0
        js = self.link.js
        # All in flight at once on one connection keeps their order on the wire; the duplicate window
        # (Nats-Msg-Id = event id) makes a retry of an already stored event a no-op.

        async def publish(row: Row[Any, Any, Any, Any]) -> Any:
            # A producer span in the trace of the request (or handler) that recorded the event.
            with telemetry.span(
                f"publish {row.payload['type']}",
                parent=row.payload.get("traceparent"),
                kind=SpanKind.PRODUCER,
                attributes={"messaging.system": "nats", "messaging.destination.name": row.subject},
            ):
                return await js.publish(
                    row.subject,
                    CloudEvent.model_validate(row.payload).to_json(),
                    timeout=_PUBLISH_TIMEOUT_S,
                    headers={"Nats-Msg-Id": str(row.event_id), "Ce-Type": row.payload["type"]},
                )

        results = await asyncio.gather(*(publish(row) for row in rows), return_exceptions=True)
        sent = [row.id for row, result in zip(rows, results, strict=True) if not isinstance(result, BaseException)]
        failed = {
            row.id: result for row, result in zip(rows, results, strict=True) if isinstance(result, BaseException)
        }
        o = self.outbox.c
        async with self.db.transaction() as session:
            if sent:
                await session.execute(
                    update(self.outbox)
                    .where(o.id.in_(sent))
                    .values(published_at=func.now(), attempts=o.attempts + 1, last_error=None)
                )
            for row_id, error in failed.items():
                await session.execute(
                    update(self.outbox)
                    .where(o.id == row_id)
                    .values(attempts=o.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:2000])
                )
        self.metrics.events_published.inc(len(sent))
        if failed:
            self._failures += 1
            log.warning("outbox relay of %s: %d of %d publishes failed", self.schema, len(failed), len(rows))
        else:
            self._failures = 0
        return len(sent)

    async def _report_lag(self) -> None:
        o = self.outbox.c
        async with self.db.transaction() as session:
            result = await session.execute(
                select(func.count(), func.extract("epoch", func.now() - func.min(o.created_at))).where(
                    o.published_at.is_(None)
                )
            )
            count, age = result.one()
        self.metrics.outbox_pending.set(count)
        self.metrics.outbox_oldest_age.set(float(age or 0))
