"""Event latency through the chassis consumer when events resume after a pause.

    .venv/bin/python bench/consumer_after_pause.py [--pauses 0.5 2 4 6] [--fetch-timeout 1.0]

Starts its own embedded PostgreSQL and NATS, runs an `InboxConsumer` with a handler that only notes the time, and
after each pause publishes 60 events 20 ms apart, printing each one's publish → handler latency.

Found with it on 2026-12-04: after some pauses (0.5, 3 and 6 s; not 2, 2.5, 4, 9 or 11 s; with fetch timeouts of
1 s and 5 s) every other event waited for the next one to arrive (~21 ms at this spacing) for as long as events kept
coming. The cause was nats-py's fetch of a batch taking a late end-of-request status of an earlier pull request
for its own (see `tic_shared.inbox.fetch_ready`, which the consumer uses since); after it, every event here takes
1–4 ms except, now and then, the first after a pause. Not part of the tests
(`tests/test_backbone.py::test_a_fetch_after_a_pause_hands_over_an_event_at_once_not_with_the_next_one` is).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ceiling_events import approved, registry_consumer

from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database
from tic_shared.db import Database
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterApproved
from tic_shared.inbox import EventHandlers
from tic_shared.migrations import upgrade
from tic_shared.settings import ServiceSettings
from tic_shared.streams import ensure_stream


async def main(pauses: list[float], fetch_timeout_s: float) -> None:
    root = Path(tempfile.mkdtemp(prefix="tic-pause-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    server = NatsServer(root / "nats").start()
    try:
        url = await create_database(pg.url, "pause")
        await upgrade("funding", url)  # any service's schema: it brings the inbox tables
        from funding.store.tables import messaging

        settings = ServiceSettings(
            service="funding",
            database_url=url,
            nats_url=server.admin_url,
            log_level="WARNING",
            consumer_fetch_timeout_s=fetch_timeout_s,
        )
        db = Database(url, schema="funding", pool_size=4)
        handled: dict[uuid.UUID, float] = {}
        handlers = EventHandlers()

        @handlers.on(CenterApproved)
        async def note(session: object, event: CloudEvent) -> None:
            handled[event.id] = time.perf_counter()

        nc = await nats.connect(server.admin_url)
        js = nc.jetstream()
        await ensure_stream(js, "registry", settings)
        link, consumer = registry_consumer(
            "pause", nats_url=server.admin_url, db=db, tables=messaging, handlers=handlers, settings=settings
        )
        link.start()
        await link.ready.wait()
        consumer.start()
        await asyncio.sleep(2)
        for pause in pauses:
            await asyncio.sleep(pause)
            sent: dict[uuid.UUID, float] = {}
            for _ in range(60):
                event = CloudEvent.of(approved(uuid.uuid4()))
                sent[event.id] = time.perf_counter()
                await js.publish(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)
            latencies = [(handled[i] - at) * 1000 for i, at in sent.items() if i in handled]
            slow = sum(1 for ms in latencies if ms > 10)
            spread = " ".join(f"{ms:.0f}" for ms in latencies)
            print(f"after {pause:g} s: {slow} of {len(sent)} over 10 ms; in ms: {spread}")
        await consumer.stop()
        await link.close()
        await nc.close()
        await db.dispose()
    finally:
        server.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Consumer latency after a pause")
    parser.add_argument("--pauses", type=float, nargs="+", default=[0.5, 2.0, 4.0, 6.0])
    parser.add_argument("--fetch-timeout", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(args.pauses, args.fetch_timeout))
