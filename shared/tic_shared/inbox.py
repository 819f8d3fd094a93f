"""The inbox: durable pull consumers whose handler effect and "handled" mark commit together; dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import nats.errors
import nats.js.errors
from nats.js.client import JetStreamContext
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared import telemetry
from tic_shared.db import Database, DriverQuery, fetch_in
from tic_shared.events.envelope import CloudEvent, EventData
from tic_shared.messaging import MessagingTables
from tic_shared.metrics import ServiceMetrics
from tic_shared.nats_link import NatsLink
from tic_shared.problems import Conflict, NotFound
from tic_shared.settings import ServiceSettings
from tic_shared.streams import ensure_consumer, stream_name
from tic_shared.tracing import child_traceparent, traceparent_var

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
# Run once for a batch, before its handlers, with the events about to be applied (`EventHandlers.before_batch`).
Preparation = Callable[[AsyncSession, list[CloudEvent]], Awaitable[None]]

# How soon an event whose handling failed because the database was away is tried again.
_WHILE_DATABASE_AWAY_S = 1.0


async def fetch_ready(sub: Any, batch: int, *, timeout_s: float) -> list[Any]:
    """Up to `batch` messages as soon as one is there: wait (up to `timeout_s`) for the first, then take what else is
    waiting now, without waiting for more.

    nats-py's `fetch(batch)` left events waiting after pauses (`bench/consumer_after_pause.py`): an idle fetch's
    pull request expires at the server as the client gives up on it, and its end-of-request status (408) can arrive
    after the next fetch has begun. That fetch takes it for its own, asks again while its first request still
    lingers, and events then go to requests that never end early: each was held until the next event came (~21 ms
    at 50 a second) or the fetch's time ran out (up to `timeout_s` for a lone event). Here the first message is one
    request's whole answer, and the rest is asked for with `no_wait` and no expiry: the server sends what it holds
    for us now (redeliveries that are due included) and ends the request with a status when that is less than
    asked. A message of an earlier request arriving late is taken like any other; one still on the way when this
    returns waits in the subscription's queue, where the next fetch takes it first. Uses the pull subscription's
    subject and inbox (`_nms`, `_deliver`): nats-py has no public call for a request of our own.

    When the first message says nothing was behind it in the stream (its `num_pending`), it goes at once: asking
    for more would only wait for the server's "none" (a round trip, at every event when they come one by one). A
    redelivery falling due meanwhile is taken by the next fetch.
    """
    msgs = await sub.fetch(1, timeout=timeout_s)
    if _nothing_behind(msgs):
        return msgs
    try:
        await _take_waiting(sub, msgs, batch - 1, timeout_s)
    except asyncio.CancelledError:
        await _hand_back(msgs)  # fetched, and no one will process them
        raise
    except nats.errors.Error:
        pass  # the connection went while asking for more: what came is processed, the next fetch meets the error
    return msgs


def _nothing_behind(msgs: list[Any]) -> bool:
    """Whether the stream held nothing more for this consumer when the last of `msgs` was sent."""
    try:
        return bool(msgs) and msgs[-1].metadata.num_pending == 0
    except (nats.errors.Error, ValueError, IndexError):
        return False  # not a JetStream message's reply subject: ask, as for any other


async def _take_waiting(sub: Any, msgs: list[Any], wanted: int, timeout_s: float) -> None:
    """Add to `msgs` up to `wanted` messages the server holds for us now."""
    if wanted <= 0:
        return
    await sub._nc.publish(sub._nms, _no_wait_request(wanted), sub._deliver)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while wanted > 0:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return
        try:
            msg = await sub._sub.next_msg(timeout=left)
        except (TimeoutError, nats.errors.TimeoutError):
            return
        status = JetStreamContext.is_status_msg(msg)
        if status == "100":
            continue  # a heartbeat
        if status:
            return  # no more now (404), or the request ended otherwise
        msgs.append(msg)
        wanted -= 1


def _queued(sub: Any) -> list[Any]:
    """What the server has sent this subscription and no fetch has taken yet (status messages left out)."""
    queue = sub._sub._pending_queue
    found = []
    while not queue.empty():
        msg = queue.get_nowait()
        sub._sub._pending_size -= len(msg.data)
        if not JetStreamContext.is_status_msg(msg):
            found.append(msg)
    return found


async def _hand_back(msgs: list[Any]) -> None:
    """A consumer that stops gives back what it fetched and did not finish: nak'ed, each is delivered again at once
    (to another instance, or to this one when it is back) instead of after the ack wait. One already acknowledged
    is not affected; one applied but not acknowledged yet comes back and is found in the inbox (no second effect).
    Bounded: a consumer stopping on a lost connection does not wait for it."""
    if not msgs:
        return
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            for msg in msgs:
                await msg.nak()


@cache
def _no_wait_request(batch: int) -> bytes:
    return b'{"batch":%d,"no_wait":true}' % batch


class EventHandlers:
    """What a service reacts to, registered in one place (its `consumers.py`)."""

    def __init__(self) -> None:
        self._by_type: dict[str, Handler] = {}
        self._producers: dict[str, str] = {}
        self._subjects: dict[str, str] = {}
        self.preparation: Preparation | None = None

    def on(self, model: type[EventData]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._by_type[model.ce_type()] = handler
            self._producers[model.ce_type()] = model.producer
            self._subjects[model.ce_type()] = model.nats_subject()
            return handler

        return register

    def before_batch(self, preparation: Preparation) -> Preparation:
        """Register the work one statement can do for a whole batch: run in the batch's transaction, after the
        inbox mark and before the first handler, with the events about to be applied (not those handled before),
        in their order. A handler must not rely on it: an event taken on its own (a batch that failed, one event
        fetched) goes to its handler without it."""
        self.preparation = preparation
        return preparation

    def handler_for(self, event_type: str) -> Handler | None:
        return self._by_type.get(event_type)

    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    def producer_of(self, event_type: str) -> str | None:
        return self._producers.get(event_type)

    def producers(self) -> list[str]:
        return sorted(set(self._producers.values()))

    def subjects_of(self, producer: str) -> list[str]:
        return sorted(subject for t, subject in self._subjects.items() if self._producers[t] == producer)


def forgery(handlers: EventHandlers, event: CloudEvent, stream_producer: str | None = None) -> str | None:
    """Why an event is not to be believed, or None. NATS permissions already keep one service off another's
    subjects; this is the second line (a stolen credential, a misconfigured server): an event counts only when
    its `source` is the producer of its type and, as delivered, of the stream it came on."""
    expected = handlers.producer_of(event.type)
    if expected is None:
        return None
    if stream_producer is not None and expected != stream_producer:
        return f"refused: {event.type} is not produced by {stream_producer}, whose stream carried it"
    if event.source != f"/services/{expected}":
        return f"refused: {event.type} comes from /services/{expected}, not from {event.source!r}"
    return None


async def _mark_handled(session: AsyncSession, inbox: Table, consumer: str, event: CloudEvent) -> bool:
    """Record the event as handled; False when it already was (a redelivery)."""
    return bool(await _mark_all_handled(session, inbox, consumer, [event]))


async def _mark_all_handled(
    session: AsyncSession, inbox: Table, consumer: str, events: list[CloudEvent]
) -> set[uuid.UUID]:
    """Record a batch as handled in one statement; the ids not handled before (the rest are redeliveries).
    Every event of every consumer is marked: the statement runs on the driver, in the session's transaction."""
    unique = {event.id: event.type for event in events}
    values = {"consumer": consumer, "ids": list(unique), "types": list(unique.values())}
    return {row[0] for row in await fetch_in(session, _marking(inbox), values)}


@cache
def _marking(inbox: Table) -> DriverQuery:
    """The inbox mark of a batch, one SQL text whatever the batch's size (the arrays carry the events): prepared
    once per connection, never built again."""
    return DriverQuery(
        text(
            f"INSERT INTO {inbox.schema}.{inbox.name} (consumer, event_id, event_type) "
            "SELECT :consumer, id, type FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) AS batch(id, type) "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        )
    )


@contextmanager
def handling(event: CloudEvent, consumer: str, *, traced: bool) -> Iterator[None]:
    """A consumer span in the event's trace, and that trace in the logs (and any event the handler records).
    `traced`: whether spans are recorded (`telemetry.recording()`, asked once for a whole batch)."""
    if not traced:
        # No span to make, but the trace still runs on: what the handler records carries it.
        token = traceparent_var.set(child_traceparent(event.traceparent))
        try:
            yield
        finally:
            traceparent_var.reset(token)
        return
    with telemetry.span(
        f"handle {event.type}",
        parent=event.traceparent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "nats",
            "messaging.consumer.group.name": consumer,
            "cloudevents.event_id": str(event.id),
        },
    ):
        token = traceparent_var.set(telemetry.current_traceparent() or child_traceparent(event.traceparent))
        try:
            yield
        finally:
            traceparent_var.reset(token)


async def handle_once(
    db: Database,
    tables: MessagingTables,
    consumer: str,
    handler: Handler,
    event: CloudEvent,
    timeout_s: float,
) -> bool:
    """Apply the handler and the inbox mark in one transaction. False when the event was handled before."""
    with handling(event, consumer, traced=telemetry.recording()):
        async with db.transaction() as session:
            if not await _mark_handled(session, tables.inbox, consumer, event):
                return False
            async with asyncio.timeout(timeout_s):
                await handler(session, event)
            return True


async def handle_batch(
    db: Database,
    tables: MessagingTables,
    consumer: str,
    work: list[tuple[Handler, CloudEvent]],
    timeout_s: float,
    *,
    preparation: Preparation | None = None,
) -> list[bool]:
    """Several events in one transaction, each applied at most once; which were applied (not seen before).
    The whole batch is marked handled in one statement first; only the events that mark was new for run, after
    the `preparation` of them all, if there is one (bound by the same timeout as a handler)."""
    applied: list[bool] = []
    traced = telemetry.recording()
    loop = asyncio.get_running_loop()
    # Each handler's deadline is moved on only when it would come more than this much early: one timer moved now
    # and then instead of one made and cancelled per event (a fifth of the batch's own work). A handler so gets
    # between timeout_s - slack and timeout_s, never more.
    slack = timeout_s / 20
    async with db.transaction() as session:
        fresh = await _mark_all_handled(session, tables.inbox, consumer, [event for _, event in work])
        async with asyncio.timeout(None) as deadline:  # ends before the commit, which it must not cut short
            if preparation is not None and fresh:
                deadline.reschedule(loop.time() + timeout_s)
                await preparation(session, list({event.id: event for _, event in work if event.id in fresh}.values()))
            for handler, event in work:
                first = event.id in fresh
                fresh.discard(event.id)  # the same event twice in one batch is applied once
                if first:
                    due = loop.time() + timeout_s
                    if (deadline.when() or 0.0) < due - slack:
                        deadline.reschedule(due)
                    with handling(event, consumer, traced=traced):
                        await handler(session, event)
                applied.append(first)
    return applied


class InboxConsumer:
    """One durable pull consumer of one producer's stream for one service."""

    def __init__(
        self,
        *,
        service: str,
        producer: str,
        db: Database,
        tables: MessagingTables,
        handlers: EventHandlers,
        link: NatsLink,
        settings: ServiceSettings,
        metrics: ServiceMetrics,
    ) -> None:
        self.service = service
        self.producer = producer
        self.stream = stream_name(producer)
        self.db = db
        self.tables = tables
        self.handlers = handlers
        self.link = link
        self.settings = settings
        self.metrics = metrics
        self.handler_timeout_s = settings.consumer_handler_timeout_s
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.bound = asyncio.Event()
        self._db_reachable = True
        self._db_checked_at = float("-inf")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"inbox-{self.service}-{self.stream}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _bind(self) -> Any:
        subjects = self.handlers.subjects_of(self.producer)
        await ensure_consumer(self.link.js, self.producer, self.service, subjects, self.settings)
        return await self.link.js.pull_subscribe_bind(durable=self.service, stream=self.stream)

    async def _run(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            await self.link.ready.wait()
            try:
                sub = await self._bind()
            except Exception as exc:
                log.warning("cannot bind %s to %s yet: %s", self.service, self.stream, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            delay = 0.5
            self.bound.set()
            try:
                await self._pull(sub)
            finally:
                self.bound.clear()
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def _pull(self, sub: Any) -> None:
        """Fetch until the subscription is lost. A reconnect keeps it: the client subscribes its inbox again,
        and a pull request answered just after the reconnect lands in that same inbox. Dropping the subscription
        there (as we once did) lost those messages until the ack wait ran out — the 30 s catch-ups of issue 13."""
        idle = 0
        ahead: asyncio.Task[list[Any]] | None = None
        msgs: list[Any] = []
        try:
            while not self._stopping.is_set():
                if not self.link.connected:
                    # A fetch now would only queue a pull request in the client's buffer, sent on reconnect.
                    await asyncio.sleep(0.05)
                    continue
                try:
                    fetch_s = self.settings.consumer_fetch_timeout_s
                    fetching, ahead = ahead, None
                    msgs = await (fetching or fetch_ready(sub, self.settings.consumer_batch_size, timeout_s=fetch_s))
                except (nats.errors.TimeoutError, TimeoutError):
                    # An empty fetch is a timeout, not an empty list. Now and then make sure the durable still
                    # exists: a server that lost it would otherwise leave us waiting forever.
                    idle += 1
                    if idle % 15 == 0 and self.link.connected and not await self._consumer_alive():
                        return
                    continue
                except (nats.errors.ConnectionClosedError, nats.js.errors.NotFoundError) as exc:
                    log.warning("%s lost its subscription to %s: %s", self.service, self.stream, exc)
                    return
                except Exception as exc:
                    if not self.link.connected:
                        continue  # the connection dropped during the fetch; wait for it, keep the subscription
                    log.warning("%s fetch from %s failed: %r", self.service, self.stream, exc)
                    await asyncio.sleep(0.5)
                    return
                idle = 0
                if len(msgs) >= self.settings.consumer_batch_size:
                    # More are likely waiting: ask for them now, so the broker's round trip overlaps the
                    # database work of this batch.
                    ahead = asyncio.create_task(fetch_ready(sub, self.settings.consumer_batch_size, timeout_s=fetch_s))
                async with self._in_progress(msgs):
                    await self._process_batch(msgs)
                msgs = []
        finally:
            fetched = list(msgs)
            if ahead is not None:
                if ahead.done() and not ahead.cancelled() and ahead.exception() is None:
                    fetched += ahead.result()
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead
            await _hand_back(fetched + _queued(sub))

    @contextlib.asynccontextmanager
    async def _in_progress(self, msgs: list[Any]) -> AsyncIterator[None]:
        """Tell the server we are still working on `msgs` every third of the ack wait, so a short ack wait
        (quick redelivery after a crash) never redelivers a batch that is merely slow."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.settings.consumer_ack_wait_s / 3)
                for msg in msgs:
                    with contextlib.suppress(Exception):
                        await msg.in_progress()

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _process_batch(self, msgs: list[Any]) -> None:
        """The whole batch in one transaction (one commit instead of one per event); when anything in it fails,
        roll it all back and take the events one by one, so only the failing one is retried or dead-lettered."""
        batch: list[tuple[Any, CloudEvent, Handler]] = []
        for msg in msgs:
            try:
                event = CloudEvent.model_validate_json(msg.data)
            except ValidationError:
                await self._process(msg)  # dead-letters it
                continue
            handler = self.handlers.handler_for(event.type)
            if handler is None:
                self.metrics.events_consumed.labels(stream=self.stream, outcome="ignored").inc()
                await msg.ack()
                continue
            reason = forgery(self.handlers, event, self.producer)
            if reason is not None:
                await self._refuse(msg, event, reason)
                continue
            batch.append((msg, event, handler))
        if len(batch) <= 1:
            for msg, event, handler in batch:
                await self._apply(msg, event, handler)
            return
        try:
            applied = await handle_batch(
                self.db,
                self.tables,
                self.service,
                [(h, e) for _, e, h in batch],
                self.handler_timeout_s,
                preparation=self.handlers.preparation,
            )
        except Exception as exc:
            log.info("%s: a batch of %d failed (%s); taking it one by one", self.service, len(batch), exc)
            for msg, event, handler in batch:
                await self._apply(msg, event, handler)
            return
        for (msg, _, _), was_applied in zip(batch, applied, strict=True):
            outcome = "handled" if was_applied else "duplicate"
            self.metrics.events_consumed.labels(stream=self.stream, outcome=outcome).inc()
            await msg.ack()

    async def _database_reachable(self) -> bool:
        """Asked after a failure; one answer serves a whole failed batch taken one by one."""
        now = asyncio.get_running_loop().time()
        if now - self._db_checked_at > 0.5:
            try:
                await asyncio.wait_for(self.db.ping(), timeout=2.0)
                self._db_reachable = True
            except Exception:
                self._db_reachable = False
            self._db_checked_at = asyncio.get_running_loop().time()
        return self._db_reachable

    async def _consumer_alive(self) -> bool:
        try:
            info = await self.link.js.consumer_info(self.stream, self.service)
        except nats.js.errors.NotFoundError:
            return False
        except Exception:
            return True
        self.metrics.consumer_pending.labels(stream=self.stream).set(info.num_pending or 0)
        return True

    async def _process(self, msg: Any) -> None:
        try:
            event = CloudEvent.model_validate_json(msg.data)
        except ValidationError as exc:
            # Not a CloudEvent at all: retrying cannot help.
            await self._dead_letter(msg, None, f"malformed event: {exc}", msg.metadata.num_delivered)
            return
        handler = self.handlers.handler_for(event.type)
        if handler is None:
            self.metrics.events_consumed.labels(stream=self.stream, outcome="ignored").inc()
            await msg.ack()
            return
        reason = forgery(self.handlers, event, self.producer)
        if reason is not None:
            await self._refuse(msg, event, reason)
            return
        await self._apply(msg, event, handler)

    async def _apply(self, msg: Any, event: CloudEvent, handler: Handler) -> None:
        """One event found well formed and owed to `handler`, in a transaction of its own: acknowledged once
        applied (or found applied before), retried or dead-lettered when it fails."""
        attempt = msg.metadata.num_delivered
        try:
            applied = await handle_once(self.db, self.tables, self.service, handler, event, self.handler_timeout_s)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if not await self._database_reachable():
                # Not the handler's failure: the database is away. Try again soon, however long it takes; an
                # outage must delay events, never turn them into dead letters.
                self.metrics.events_consumed.labels(stream=self.stream, outcome="retried").inc()
                await msg.nak(delay=_WHILE_DATABASE_AWAY_S)
                return
            if attempt >= self.settings.consumer_max_attempts:
                await self._dead_letter(msg, event, error, attempt)
            else:
                delays = self.settings.consumer_retry_delays_s
                log.warning("%s failed on %s (attempt %d): %s", self.service, event.id, attempt, error)
                self.metrics.events_consumed.labels(stream=self.stream, outcome="retried").inc()
                await msg.nak(delay=delays[min(attempt, len(delays)) - 1])
            return
        self.metrics.events_consumed.labels(stream=self.stream, outcome="handled" if applied else "duplicate").inc()
        await msg.ack()

    async def _refuse(self, msg: Any, event: CloudEvent, reason: str) -> None:
        """Never applied: kept as a dead letter for the operators to see (a replay refuses it too)."""
        log.warning("%s refused event %s on %s: %s", self.service, event.id, msg.subject, reason)
        await self._dead_letter(msg, event, reason, msg.metadata.num_delivered, outcome="refused")

    async def _dead_letter(
        self, msg: Any, event: CloudEvent | None, error: str, attempt: int, *, outcome: str = "dead_lettered"
    ) -> None:
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    self.tables.dead_letters.insert().values(
                        consumer=self.service,
                        stream=self.stream,
                        stream_seq=msg.metadata.sequence.stream,
                        subject=msg.subject,
                        event_id=event.id if event else None,
                        event_type=event.type if event else None,
                        payload=msg.data.decode("utf-8", errors="replace"),
                        error=error[:4000],
                        attempts=attempt,
                    )
                )
        except Exception:
            log.exception("could not record a dead letter; the message will be redelivered")
            await msg.nak(delay=self.settings.consumer_retry_delays_s[-1])
            return
        log.error("%s dead-lettered %s after %d attempts: %s", self.service, msg.subject, attempt, error)
        self.metrics.events_consumed.labels(stream=self.stream, outcome=outcome).inc()
        await msg.ack()


async def replay_dead_letter(
    *, db: Database, tables: MessagingTables, handlers: EventHandlers, dead_letter_id: int, timeout_s: float
) -> dict[str, Any]:
    """Apply a dead-lettered event now, at most once (the inbox still guards it); record the outcome."""
    dl = tables.dead_letters
    async with db.transaction() as session:
        row = (await session.execute(select(dl).where(dl.c.id == dead_letter_id))).first()
    if row is None:
        raise NotFound("dead letter", dead_letter_id)
    if row.replayed_at is not None:
        raise Conflict("already-replayed", f"dead letter {dead_letter_id} was replayed at {row.replayed_at}")
    try:
        event = CloudEvent.model_validate_json(row.payload)
    except ValidationError as exc:
        raise Conflict("unreplayable", f"dead letter {dead_letter_id} is not a valid event: {exc}") from exc
    handler = handlers.handler_for(event.type)
    if handler is None:
        raise Conflict("unreplayable", f"no handler for {event.type} in this service")
    reason = forgery(handlers, event, row.stream.removeprefix("TIC_").lower())
    if reason is not None:
        raise Conflict("unreplayable", f"dead letter {dead_letter_id}: {reason}")
    try:
        applied = await handle_once(db, tables, row.consumer, handler, event, timeout_s)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        async with db.transaction() as session:
            await session.execute(update(dl).where(dl.c.id == dead_letter_id).values(replay_error=error[:4000]))
        raise Conflict("replay-failed", f"the handler failed again: {error}") from exc
    async with db.transaction() as session:
        await session.execute(
            update(dl).where(dl.c.id == dead_letter_id).values(replayed_at=func.now(), replay_error=None)
        )
    return {"id": dead_letter_id, "event_id": str(event.id), "applied": applied}
