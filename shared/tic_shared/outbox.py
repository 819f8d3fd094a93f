"""The transactional outbox: events written with the state change, and the relay that publishes them."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from opentelemetry.trace import SpanKind
from sqlalchemy import Table, delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared import telemetry
from tic_shared.db import Database, asyncpg_dsn, execute_many_in, inserting
from tic_shared.events.envelope import CloudEvent, EventData
from tic_shared.messaging import outbox_channel
from tic_shared.metrics import ServiceMetrics
from tic_shared.nats_link import NatsLink
from tic_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

_PUBLISH_TIMEOUT_S = 5.0
_PRUNE_EVERY_S = 3600.0
_LAG_EVERY_S = 1.0
# A connection's close waits for the server's goodbye at most this long (then it is cut).
_CLOSE_TIMEOUT_S = 5.0
# Batches whose acknowledgements may be awaited while the next is read and sent.
_BATCHES_IN_FLIGHT = 4


async def record_event(
    session: AsyncSession, outbox: Table, data: EventData, *, subject: str | None = None
) -> CloudEvent:
    """Write the event in the caller's transaction: it leaves if and only if that transaction commits."""
    (event,) = await record_events(session, outbox, [(data, subject)])
    return event


async def record_events(
    session: AsyncSession, outbox: Table, events: Sequence[tuple[EventData, str | None]]
) -> list[CloudEvent]:
    """Many events at once, in the caller's transaction, in the order given (a batch's results). Every act and
    every effect that tells others writes here: the rows go on the driver, in the session's transaction."""
    envelopes = [CloudEvent.of(data, subject=subject) for data, subject in events]
    await execute_many_in(
        session,
        inserting(outbox, _OUTBOX_COLUMNS),
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


_OUTBOX_COLUMNS = ("event_id", "subject", "event_type", "aggregate_id", "aggregate_seq", "payload")


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
        self._lag_reported_at = float("-inf")

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
        conn: Any = await self._connect()
        marks: Any = None
        try:
            got = await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", f"tic-relay:{self.schema}")
            if not got:
                self.is_leader = False
                await conn.close(timeout=_CLOSE_TIMEOUT_S)
                await self._sleep(self.settings.relay_poll_interval_s)
                return
            self.is_leader = True
            log.info("outbox relay of %s is the leader", self.schema)
            marks = await self._connect()
            await conn.add_listener(outbox_channel(self.schema), lambda *_: self._wake.set())
            pruned_at = 0.0
            while not conn.is_closed():
                if time.monotonic() - pruned_at > _PRUNE_EVERY_S:
                    await self.prune()
                    pruned_at = time.monotonic()
                # Cleared before the pass: a commit notified while it runs wakes the next one at once.
                self._wake.clear()
                published = await self.drain(conn, marks)
                if self._stopping:
                    return
                if published == 0 or self._failures:
                    await self._sleep(self._retry_delay() or self.settings.relay_poll_interval_s)
        finally:
            self.is_leader = False
            for each in (conn, marks):
                if each is not None:
                    with contextlib.suppress(Exception):
                        await each.close(timeout=_CLOSE_TIMEOUT_S)

    async def _connect(self) -> Any:
        return await asyncpg.connect(asyncpg_dsn(self.db.engine.url.render_as_string(False)))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    def _retry_delay(self) -> float:
        if self._failures == 0:
            return 0.0
        return float(min(self.settings.relay_max_backoff_s, 0.2 * 2 ** min(self._failures, 10)))

    async def drain(self, conn: Any = None, marks: Any = None) -> int:
        """Publish every committed row; returns how many were published.

        A pipeline of three: the next batch is read while this one is sent, a batch sent is marked published once
        all its acknowledgements are in while later ones are read and sent, so the broker never waits for the
        database nor the database for the broker. Rows are read and go out in id order on one connection (`conn`,
        their order on the wire); each batch is marked in one statement on another (`marks`), one mark at a time,
        in order, all done before the pass ends. A failed publish ends the pass after what is in flight is
        settled: the rows left are tried again on the next pass, from the oldest unpublished row — so is a row
        whose transaction committed after rows with higher ids had already been read.
        """
        if conn is None or marks is None:
            if conn is not None or marks is not None:
                raise ValueError("drain takes both connections or neither")
            own, own_marks = await self._connect(), await self._connect()
            try:
                return await self.drain(own, own_marks)
            finally:
                await own.close()
                await own_marks.close()
        if not self.link.connected:
            self._failures += 1
            await self._report_lag(conn)  # the backlog an operator's alert watches while the broker is away
            return 0
        total = 0
        failed = False
        reading: asyncio.Task[list[Any]] | None = asyncio.create_task(self._next_batch(conn, 0))
        marking: asyncio.Task[None] | None = None
        in_flight: collections.deque[tuple[list[Any], list[asyncio.Future[Any]]]] = collections.deque()
        try:
            while True:
                rows: list[Any] = []
                if reading is not None:
                    rows = await reading
                    reading = None
                    if rows and not failed:
                        reading = asyncio.create_task(self._next_batch(conn, rows[-1]["id"]))
                    else:
                        rows = []  # read before a publish failed: left for the next pass
                if rows:
                    in_flight.append((rows, await self._send(rows)))
                if in_flight and (not rows or len(in_flight) >= _BATCHES_IN_FLIGHT):
                    sent_rows, futures = in_flight.popleft()
                    sent, failures = await self._settle(sent_rows, futures)
                    if marking is not None:
                        await marking
                    marking = asyncio.create_task(self._mark(marks, sent, failures))
                    total += len(sent)
                    failed = failed or bool(failures)
                elif not rows:
                    break
        finally:
            for task in (reading, marking):
                if task is not None:
                    await asyncio.gather(task, return_exceptions=task is reading)
        if failed:
            await self._report_lag(conn)
        else:
            self._failures = 0
            self.metrics.outbox_pending.set(0)
            self.metrics.outbox_oldest_age.set(0)
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

    async def _next_batch(self, conn: Any, after: int) -> list[Any]:
        return list(
            await conn.fetch(
                f"SELECT id, event_id, subject, event_type, payload::text AS payload,"
                f" payload->>'traceparent' AS traceparent FROM {self._table}"
                " WHERE published_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
                after,
                self.settings.relay_batch_size,
            )
        )

    async def _send(self, rows: list[Any]) -> list[asyncio.Future[Any]]:
        """Put a batch on the wire; the futures complete with the stream's acknowledgements. The stored
        CloudEvent goes out as stored (it was validated when recorded); Nats-Msg-Id = event id makes a
        repeat of an already stored event a no-op within the stream's duplicate window."""
        js = self.link.js
        traced = telemetry.recording()
        futures: list[asyncio.Future[Any]] = []
        for row in rows:
            try:
                if traced:
                    # A producer span in the trace of the request (or handler) that recorded the event.
                    with telemetry.span(
                        f"publish {row['event_type']}",
                        parent=row["traceparent"],
                        kind=SpanKind.PRODUCER,
                        attributes={"messaging.system": "nats", "messaging.destination.name": row["subject"]},
                    ):
                        future = await self._publish_one(js, row)
                else:
                    future = await self._publish_one(js, row)
            except Exception as exc:
                future = asyncio.get_running_loop().create_future()
                future.set_exception(exc)
            futures.append(future)
        return futures

    @staticmethod
    async def _publish_one(js: Any, row: Any) -> asyncio.Future[Any]:
        # No stall timeout here (it would cost a task per message): the acknowledgements are awaited, bounded,
        # in `_settle`, and the client's window of pending publishes bounds what is in flight.
        future: asyncio.Future[Any] = await js.publish_async(
            row["subject"],
            row["payload"].encode(),
            headers={"Nats-Msg-Id": str(row["event_id"]), "Ce-Type": row["event_type"]},
        )
        return future

    async def _settle(
        self, rows: list[Any], futures: list[asyncio.Future[Any]]
    ) -> tuple[list[int], list[tuple[int, str]]]:
        """Wait for a batch's acknowledgements (bounded): the ids the stream stored, and those it did not with why."""
        if futures:
            _, late = await asyncio.wait(futures, timeout=_PUBLISH_TIMEOUT_S)
            for future in late:
                future.cancel()
        sent: list[int] = []
        failed: list[tuple[int, str]] = []
        for row, future in zip(rows, futures, strict=True):
            error = _failure(future)
            if error is None:
                sent.append(row["id"])
            else:
                failed.append((row["id"], error))
        return sent, failed

    async def _mark(self, conn: Any, sent: list[int], failed: list[tuple[int, str]]) -> None:
        """What the stream stored marked published in one statement; a failed publish counted with its error."""
        if sent:
            await conn.execute(
                f"UPDATE {self._table} SET published_at = now(), attempts = attempts + 1, last_error = NULL"
                " WHERE id = ANY($1::bigint[])",
                sent,
            )
        if failed:
            await conn.executemany(
                f"UPDATE {self._table} SET attempts = attempts + 1, last_error = $2 WHERE id = $1", failed
            )
            self._failures += 1
            total = len(sent) + len(failed)
            log.warning("outbox relay of %s: %d of %d publishes failed", self.schema, len(failed), total)
        self.metrics.events_published.inc(len(sent))

    @property
    def _table(self) -> str:
        return f'"{self.outbox.schema or self.schema}"."{self.outbox.name}"'

    async def _report_lag(self, conn: Any) -> None:
        """How far behind a relay that cannot publish is, at most once a second (a pass that leaves nothing
        behind needs no count: it sets zero). The partial index of unpublished rows keeps the count as cheap as
        the backlog is small."""
        now = time.monotonic()
        if now - self._lag_reported_at < _LAG_EVERY_S:
            return
        self._lag_reported_at = now
        row = await conn.fetchrow(
            f"SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS age FROM {self._table}"
            " WHERE published_at IS NULL"
        )
        self.metrics.outbox_pending.set(row["pending"])
        self.metrics.outbox_oldest_age.set(float(row["age"] or 0))


def _failure(future: asyncio.Future[Any]) -> str | None:
    """Why a publish did not reach the stream, or None when it did."""
    if future.cancelled():
        return f"TimeoutError: no acknowledgement within {_PUBLISH_TIMEOUT_S:g} s"
    error = future.exception()
    return None if error is None else f"{type(error).__name__}: {error}"[:2000]
