"""The event path beside its raw ceiling, in one run: the outbox relay against nats-py `publish_async`, and the
inbox consumer against a bare pull `fetch` + ack of the same messages.

    .venv/bin/python bench/ceiling_events.py [--quick]

Starts its own embedded PostgreSQL and NATS. The relay figure runs the registry's real relay (the registry app
with its lifespan) over a 10,000-event backlog committed in one transaction; the inbox figure runs the real
`InboxConsumer` with a handler whose whole effect is one committed row. `bench/ceiling.py` runs this too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import nats
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the fault suite's platform

from figures import Figure, percentile

from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database
from tic_platform.testing import create_app, running
from tic_shared.db import Database, DriverQuery, asyncpg_dsn, fetch_row_in
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterApproved, LeadUnit
from tic_shared.inbox import EventHandlers, InboxConsumer
from tic_shared.metrics import ServiceMetrics
from tic_shared.migrations import upgrade
from tic_shared.nats_link import NatsLink
from tic_shared.outbox import record_events
from tic_shared.settings import ServiceSettings
from tic_shared.streams import ensure_stream, stream_name
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Tier


def approved(center_id: uuid.UUID) -> CenterApproved:
    return CenterApproved(
        center_id=center_id,
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.BUILDING,
        district="yinzhou",
        sequence=1,
        name_zh="基准中心",
        name_en="Bench center",
        field=Field.NEW_MATERIALS,
        lead_unit=LeadUnit(name="基准公司", credit_code="91330200MA2GQ3XK4C", type=LeadUnitType.ENTERPRISE),
        document_no="bench",
        approved_on=dt.date(2031, 1, 1),
        construction_start=dt.date(2031, 1, 1),
        construction_end=dt.date(2036, 1, 1),
    )


async def _until(check: Any, *, timeout_s: float = 300.0, every_s: float = 0.01) -> float:
    """Seconds until `check()` is true (polled), from now."""
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError("the bench did not finish in time")
        await asyncio.sleep(every_s)
    return time.perf_counter() - started


async def relay_figure(pg_url: str, nats_url: str, n: int) -> Figure:
    url = await create_database(pg_url, f"relay_{uuid.uuid4().hex[:8]}")
    await upgrade("registry", url)
    settings = ServiceSettings(service="registry", database_url=url, nats_url=nats_url, log_level="WARNING")
    app = create_app("registry", settings)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with running(app):
            db: Database = app.state.db
            messaging = app.state.relay.outbox
            await _until(lambda: asyncio.sleep(0, app.state.relay.is_leader))
            async with db.transaction() as session:
                await record_events(session, messaging, [(approved(uuid.uuid4()), None) for _ in range(n)])
            # The clock starts at the commit: from then on the backlog is the relay's.
            took = await _until(
                lambda: _zero(conn, "SELECT count(*) FROM registry.outbox WHERE published_at IS NULL"), every_s=0.005
            )
            payloads = [row["payload"] for row in await conn.fetch("SELECT payload FROM registry.outbox LIMIT $1", n)]
        # The ceiling: the same payloads, the same stream, nats-py's pipelined publish.
        nc = await nats.connect(nats_url)
        js = nc.jetstream(publish_async_max_pending=4000)
        started = time.perf_counter()
        for payload in payloads:
            await js.publish_async(
                "tic.registry.bench.raw",
                payload.encode() if isinstance(payload, str) else json.dumps(payload).encode(),
                headers={"Nats-Msg-Id": str(uuid.uuid4())},
            )
        await js.publish_async_completed()
        raw = time.perf_counter() - started
        await nc.close()
    finally:
        await conn.close()
    return Figure(
        name=f"outbox relay, {n:,}-event backlog",
        unit="events/s",
        ours=n / took,
        baseline=n / raw,
        baseline_label="nats-py publish_async",
        goal=0.4,
        higher_is_better=True,
    )


def registry_consumer(
    name: str, *, nats_url: str, db: Database, tables: Any, handlers: EventHandlers, settings: ServiceSettings
) -> tuple[NatsLink, InboxConsumer]:
    """The chassis's consumer of the registry's stream under a bench's own durable name and metrics, and its link
    (start the link, wait for it, then start the consumer)."""
    link = NatsLink(nats_url, name=name)
    consumer = InboxConsumer(
        service=name,
        producer="registry",
        db=db,
        tables=tables,
        handlers=handlers,
        link=link,
        settings=settings,
        metrics=ServiceMetrics(f"{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}"),
    )
    return link, consumer


async def _zero(conn: Any, query: str) -> bool:
    return int(await conn.fetchval(query)) == 0


async def inbox_figure(pg_url: str, nats_url: str, n: int) -> Figure:
    """A bench consumer of the registry's stream whose handler commits one row per event."""
    url = await create_database(pg_url, f"inbox_{uuid.uuid4().hex[:8]}")
    await upgrade("funding", url)  # any service's schema: it brings the inbox tables
    from funding.store.tables import messaging

    settings = ServiceSettings(service="funding", database_url=url, nats_url=nats_url, log_level="WARNING")
    db = Database(url, schema="funding", pool_size=4)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE funding.bench_effect (event_id uuid PRIMARY KEY)"))

    handlers = EventHandlers()
    # Written as the handlers every registry event meets write theirs (`tic_shared.projection.apply`): a statement
    # built once, run on the driver inside the inbox's transaction.
    insert = DriverQuery(text("INSERT INTO funding.bench_effect VALUES (:id)").bindparams(bindparam("id", type_=Uuid)))

    @handlers.on(CenterApproved)
    async def effect(session: AsyncSession, event: CloudEvent) -> None:
        await fetch_row_in(session, insert, {"id": event.id})

    nc = await nats.connect(nats_url)
    js = nc.jetstream(publish_async_max_pending=4000)
    await ensure_stream(js, "registry", settings)
    await js.purge_stream(stream_name("registry"))
    for _ in range(n):
        event = CloudEvent.of(approved(uuid.uuid4()))
        await js.publish_async(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await js.publish_async_completed()
    last = event.id  # the consumer applies the stream in order: the last event's effect ends the run

    # The ceiling: a bare durable pull consumer fetching 100 at a time and acking each.
    raw_sub = await js.pull_subscribe("tic.registry.>", durable="bench-raw", stream=stream_name("registry"))
    started = time.perf_counter()
    got = 0
    while got < n:
        for msg in await raw_sub.fetch(100, timeout=5):
            await msg.ack()
            got += 1
    raw = time.perf_counter() - started
    await nc.close()

    link, consumer = registry_consumer(
        "bench-inbox", nats_url=nats_url, db=db, tables=messaging, handlers=handlers, settings=settings
    )
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        link.start()
        await link.ready.wait()
        started_at = time.perf_counter()
        consumer.start()

        async def done() -> bool:
            # A primary-key probe every 5 ms rather than a count of the growing table.
            probe = "SELECT EXISTS (SELECT FROM funding.bench_effect WHERE event_id = $1)"
            return bool(await conn.fetchval(probe, last))

        await _until(done, every_s=0.005)
        took = time.perf_counter() - started_at
        await consumer.stop()
        applied = int(await conn.fetchval("SELECT count(*) FROM funding.bench_effect"))
        if applied != n:
            raise RuntimeError(f"the last event was applied with {applied} of {n} applied: the figure would be wrong")
    finally:
        await conn.close()
        await link.close()
        await db.dispose()
    return Figure(
        name="inbox consumer, trivial committed effect",
        unit="events/s",
        ours=n / took,
        baseline=n / raw,
        baseline_label="pull fetch(100) + ack",
        goal=0.2,
        higher_is_better=True,
    )


def _center_body(i: int) -> dict[str, Any]:
    from registry.domain.credit_code import check_character

    code = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    code += check_character(code)
    return {
        "name_zh": f"宁波市基准{i}技术创新中心",
        "name_en": f"Bench Center {i}",
        "tier": "municipal_tic",
        "origin": "municipal_initiative",
        "field": "industrial_internet",
        "industrial_chain": "工业互联网",
        "district": "yinzhou",
        "lead_unit": {
            "name": f"宁波基准{i}科技有限公司",
            "credit_code": code,
            "type": "enterprise",
        },
    }


async def _to_public_notice(client: Any, headers: dict[str, str], i: int, approved_on: dt.date) -> str:
    created = await client.post("/api/v1/centers", json=_center_body(i), headers=headers)
    center_id = str(created.json()["id"])

    def before(days: int) -> str:
        return str(approved_on - dt.timedelta(days=days))

    for action, body in (
        ("submit", {"on": before(40)}),
        ("start-review", {"on": before(39)}),
        ("review", {"passed": True, "score": 88, "opinion": "同意", "experts": ["专家甲"], "reviewed_on": before(35)}),
        ("decision", {"approved": True, "meeting_ref": "常务会议", "decided_on": before(30)}),
        ("public-notice", {"starts_on": before(20)}),
    ):
        response = await client.post(f"/api/v1/centers/{center_id}/{action}", json=body, headers=headers)
        response.raise_for_status()
    return center_id


async def flow_figure(root: Path, rate: int, seconds: int) -> Figure:
    """Approvals at `rate` per second for `seconds` against the four services as separate processes (the fault
    suite's platform): from the approval's answer (its transaction committed) to the funding grant it opens
    being committed, through the registry's relay, JetStream and funding's consumer. The platform is measured warm:
    the preparation's writes vacuumed and checkpointed, then `_WARM_UP` approvals at the same rate, unmeasured,
    and the measured ones straight after."""
    from faults.loopback import Platform

    from tic_shared.auth import mint_token
    from tic_shared.dated_acts import today
    from tic_shared.settings import dev_signing_key

    headers = {"Authorization": f"Bearer {mint_token(dev_signing_key(), subject='bench', roles=['bureau_admin'])}"}
    n = rate * seconds
    approved_on = today()
    async with (
        Platform(root / "flow") as platform,
        httpx.AsyncClient(base_url=platform.url("registry"), timeout=60) as registry,
        # The measured approvals are sent with aiohttp's client: the load must cost the two cores little. httpx's
        # pool looks through every queued request whenever a connection frees; when the platform fell behind,
        # that made the bench's own process the third-largest user of CPU, beside the platform it measured.
        aiohttp.ClientSession(platform.url("registry"), timeout=aiohttp.ClientTimeout(total=60)) as sender,
    ):
        ids: list[str] = []
        for start in range(0, n + _WARM_UP, 20):
            ids += await asyncio.gather(
                *(
                    _to_public_notice(registry, headers, i, approved_on)
                    for i in range(start, min(n + _WARM_UP, start + 20))
                )
            )
        # The first approvals after a start meet every cache cold (statements prepared and compiled for the first
        # time, in four processes): they go first and are not measured; the figure is the platform warmed up, as
        # the raw baseline's is.
        warm, ids = ids[:_WARM_UP], ids[_WARM_UP:]
        conn = await asyncpg.connect(asyncpg_dsn(platform.pg.url))
        answered: dict[str, float] = {}
        granted: dict[str, float] = {}
        waiting: dict[uuid.UUID, str] = {}  # answered, grant not seen yet: the only ones each look asks about
        finished = asyncio.Event()

        async def watch() -> None:
            # Looks every 2 ms, so each asks only about the few approvals in flight (asking about every one answered
            # so far made the bench's own process take a third of a core beside the platform it measures).
            while not finished.is_set():
                if waiting:
                    rows = await conn.fetch(
                        "SELECT center_id FROM funding.grants WHERE center_id = ANY($1::uuid[])", list(waiting)
                    )
                    now = time.perf_counter()
                    for row in rows:
                        granted.setdefault(waiting.pop(row["center_id"]), now)
                if len(granted) >= n:
                    finished.set()
                await asyncio.sleep(0.002)

        async def approve(i: int, center_id: str, number: int | None = None) -> None:
            await asyncio.sleep(i / rate)
            label = i if number is None else number
            async with sender.post(
                f"/api/v1/centers/{center_id}/approve",
                json={
                    "document_no": f"甬政发〔{approved_on.year}〕{label}号",
                    "approved_on": str(approved_on),
                    "domain_zh": f"基准{label}",
                    "domain_en": f"Bench {label}",
                },
                headers=headers,
            ) as response:
                response.raise_for_status()
                await response.read()
            answered[center_id] = time.perf_counter()
            waiting[uuid.UUID(center_id)] = center_id

        try:
            # What the preparation wrote (a thousand centers through five acts each) is vacuumed, analyzed and
            # checkpointed now, not by autovacuum and the checkpointer in the middle of the measurement; the
            # warm-up then pays what follows a checkpoint (each page's first change logged whole) and a fresh
            # analysis (statements planned again).
            await conn.execute("VACUUM ANALYZE")
            await conn.execute("CHECKPOINT")
            await asyncio.gather(*(approve(i, center_id, n + i) for i, center_id in enumerate(warm)))
            await _until(lambda: _granted(conn, warm), every_s=0.05)
            answered.clear()
            waiting.clear()
            watcher = asyncio.create_task(watch())
            await asyncio.gather(*(approve(i, center_id) for i, center_id in enumerate(ids)))
            await asyncio.wait_for(finished.wait(), timeout=120)
            await watcher
        finally:
            await conn.close()
        latencies = [(granted[c] - answered[c]) * 1000 for c in ids]
        raw = await _raw_latency(platform.nats.admin_url, rate, seconds)
    return Figure(
        name=f"approve → funding grant committed, {rate}/s for {seconds} s",
        unit="ms p99",
        ours=percentile(latencies, 99),
        baseline=percentile(raw, 99),
        baseline_label="JetStream publish → consume p99",
        goal=20,
        higher_is_better=False,
        detail=f"p50 {percentile(latencies, 50):.1f} ms (raw {percentile(raw, 50):.2f} ms)",
        samples={"ours": latencies, "baseline": raw},
    )


_WARM_UP = 50


async def _granted(conn: Any, ids: list[str]) -> bool:
    found = await conn.fetchval(
        "SELECT count(*) FROM funding.grants WHERE center_id = ANY($1::uuid[])", [uuid.UUID(i) for i in ids]
    )
    return int(found) >= len(ids)


async def _raw_latency(nats_url: str, rate: int, seconds: int) -> list[float]:
    """A message published (acknowledged by the stream) and pulled by a durable consumer, at the same rate."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="BENCH_LATENCY", subjects=["bench.latency"])
    sub = await js.pull_subscribe("bench.latency", durable="bench-latency", stream="BENCH_LATENCY")
    sent: dict[str, float] = {}
    took: list[float] = []
    n = rate * seconds

    async def consume() -> None:
        while len(took) < n:
            try:
                for msg in await sub.fetch(10, timeout=1):
                    took.append((time.perf_counter() - sent[msg.data.decode()]) * 1000)
                    await msg.ack()
            except nats.errors.TimeoutError:
                continue

    consumer = asyncio.create_task(consume())
    for i in range(n):
        key = str(i)
        sent[key] = time.perf_counter()
        await js.publish("bench.latency", key.encode())
        await asyncio.sleep(1 / rate)
    await asyncio.wait_for(consumer, timeout=60)
    await nc.close()
    return took


async def fanout_figure(root: Path, pg_url: str, n: int, runs: int = 3) -> Figure:
    """`bench/notification_fanout.py`'s burst: n events, one webhook subscription, deliveries per second at a
    receiver in its own process, beside raw JetStream publish + consume of messages of the same size. The
    notification service runs as it is deployed: its app (API and consumers) and its delivery worker, each a
    process.

    Each run is a pair, ours then the raw baseline, on a fresh database and a NATS server of its own (on a shared
    one, the events a run's consumer had not acked when it stopped come back to the next run's, under a new
    database that takes them for new); the figure is the pair with the median ratio. On a shared 2-core machine one
    burst of either side can come out 15 % off, and a single pair's ratio moved by as much from one run to the
    next."""
    import notification_fanout

    pairs = []
    for run in range(runs):
        server = NatsServer(root / f"nats-fanout-{run}").start()
        try:
            url = await create_database(pg_url, f"fanout_{uuid.uuid4().hex[:8]}")
            await upgrade("notification", url)
            ours = await notification_fanout.fanout(url, server.admin_url, n, 1, 600.0, 0.0)
            raw = await notification_fanout.baseline(server.admin_url, n, ours["event_size"])
        finally:
            server.stop()
        pairs.append((ours["per_s"] / raw["per_s"], ours, raw))
    pairs.sort(key=lambda pair: pair[0])
    _, ours, raw = pairs[len(pairs) // 2]
    ratios = ", ".join(f"{ratio:.3f}" for ratio, _, _ in pairs)
    return Figure(
        name=f"webhook fan-out, {n:,} events",
        unit="deliveries/s",
        ours=ours["per_s"],
        baseline=raw["per_s"],
        baseline_label="raw JetStream publish + consume",
        goal=0.1,
        higher_is_better=True,
        detail=f"app and delivery worker as two processes, as deployed; median of {runs} runs (ratios {ratios}); "
        f"p99 event → delivery {ours['p99_ms']:.0f} ms (raw {raw['p99_ms']:.1f} ms)",
    )


async def measure_events(*, quick: bool) -> list[Figure]:
    root = Path(tempfile.mkdtemp(prefix="tic-ceiling-events-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    server = NatsServer(root / "nats").start()
    n = 2_000 if quick else 10_000
    try:
        return [
            await relay_figure(pg.url, server.admin_url, n),
            await inbox_figure(pg.url, server.admin_url, n),
            await fanout_figure(root, pg.url, n, runs=1 if quick else 3),
            await flow_figure(root, 50, 5 if quick else 20),
        ]
    finally:
        server.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def table(figures: list[Figure]) -> str:
    lines = [f"{'figure':<52} {'unit':<13} {'ours':>10} {'raw':>10} {'ratio':>8} {'goal':>7}  met"]
    for f in figures:
        lines.append(
            f"{f.name:<52} {f.unit:<13} {f.ours:>10,.1f} {f.baseline:>10,.1f} {f.ratio_text:>8} {f.goal_text:>7}"
            f"  {'yes' if f.met else 'no'}" + (f"  ({f.detail})" if f.detail else "")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 events instead of 10,000")
    args = parser.parse_args()
    print(table(asyncio.run(measure_events(quick=args.quick))))


if __name__ == "__main__":
    main()
