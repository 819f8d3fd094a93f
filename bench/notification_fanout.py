"""Benchmark: N events fanned out to webhooks on a local receiver, against a raw JetStream baseline.

    .venv/bin/python bench/notification_fanout.py [--events 10000] [--subscriptions 1] [--timeout 600]

Starts its own embedded PostgreSQL and NATS (tic_platform.embedded) in a temporary folder, migrates the
notification schema, runs the notification app in-process (consumers + delivery worker) and a webhook receiver
in a subprocess (uvicorn + starlette on 127.0.0.1). It publishes N CenterApproved events straight to JetStream
and measures, at the receiver, deliveries per second and the event-to-delivery latency (event `time` to
receipt). The baseline publishes and consumes N raw messages of the same size on the same NATS. Not part of
the test run; bounded by --timeout; prints its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database, free_port
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterApproved, Contact, LeadUnit
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Tier

# ---- the receiver (a subprocess, so its CPU is not the service's) ----


def receiver_main(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    latencies: dict[str, float] = {}
    duplicates = 0
    first_at: list[float] = []
    last_at: list[float] = [0.0]

    async def hook(request: Request) -> Response:
        nonlocal duplicates
        body = await request.body()
        now = time.time()
        event = json.loads(body)
        key = f"{event['id']}:{request.headers.get('x-tic-delivery', '')}"
        if key in latencies:
            duplicates += 1
        else:
            sent = dt.datetime.fromisoformat(event["time"]).timestamp()
            latencies[key] = now - sent
        if not first_at:
            first_at.append(now)
        last_at[0] = now
        return Response(status_code=204)

    async def stats(request: Request) -> JSONResponse:
        full = request.query_params.get("full") == "1"
        return JSONResponse(
            {
                "count": len(latencies),
                "duplicates": duplicates,
                "first_at": first_at[0] if first_at else None,
                "last_at": last_at[0],
                "latencies": list(latencies.values()) if full else None,
            }
        )

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/stats", stats)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---- helpers ----


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def approved_event() -> CloudEvent:
    center_id = uuid.uuid4()
    data = CenterApproved(
        center_id=center_id,
        code="NB-TIC-2026-001",
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.BUILDING,
        district="yinzhou",
        sequence=5,
        name_zh="宁波市先进高分子材料技术创新中心",
        name_en="Ningbo Municipal Innovation Center of Advanced Polymer Materials Technology",
        field=Field.NEW_MATERIALS,
        lead_unit=LeadUnit(name="宁波示例材料有限公司", credit_code="91330200MA2GQ3XK4C", type=LeadUnitType.ENTERPRISE),
        contacts=[Contact(name="王芳", email="wang.fang@example.com", role="contact")],
        recommender="鄞州区科技局",
        document_no="甬政发〔2026〕12号",
        approved_on=dt.date(2026, 3, 1),
        construction_start=dt.date(2026, 3, 1),
        construction_end=dt.date(2031, 2, 28),
    )
    return CloudEvent.of(data, subject=str(center_id))


async def publish_all(js: Any, subjects_and_payloads: list[tuple[str, bytes, str]], chunk: int = 500) -> None:
    for start in range(0, len(subjects_and_payloads), chunk):
        await asyncio.gather(
            *(
                js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id})
                for subject, payload, msg_id in subjects_and_payloads[start : start + chunk]
            )
        )


# ---- the raw JetStream baseline ----


async def baseline(nats_url: str, n: int, size: int) -> dict[str, float]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BENCH_RAW", subjects=["bench.raw"]))
    await js.add_consumer(
        "BENCH_RAW", ConsumerConfig(durable_name="bench", ack_policy=AckPolicy.EXPLICIT, max_ack_pending=20000)
    )
    sub = await js.pull_subscribe_bind(durable="bench", stream="BENCH_RAW")
    padding = "x" * max(0, size - 40)
    latencies: list[float] = []
    started = time.perf_counter()

    async def consume() -> None:
        while len(latencies) < n:
            with contextlib.suppress(nats.errors.TimeoutError):
                for msg in await sub.fetch(200, timeout=1):
                    sent = float(msg.data[:20].decode())
                    latencies.append(time.time() - sent)
                    await msg.ack()

    consumer = asyncio.create_task(consume())
    items = [("bench.raw", f"{time.time():<20.6f}{padding}".encode(), uuid.uuid4().hex) for _ in range(n)]
    for start in range(0, n, 500):
        stamped = [(s, f"{time.time():<20.6f}".encode() + p[20:], m) for s, p, m in items[start : start + 500]]
        await publish_all(js, stamped)
    await consumer
    elapsed = time.perf_counter() - started
    await nc.close()
    return {
        "per_s": n / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


# ---- the notification fan-out ----


def _settings(db_url: str, nats_url: str, **overrides: Any) -> Any:
    from notification.settings import NotificationSettings
    from tic_shared.settings import Environment

    return NotificationSettings(
        service="notification",
        environment=Environment.DEVELOPMENT,
        database_url=db_url,
        nats_url=nats_url,
        log_json=False,
        log_level="WARNING",
        database_pool_size=20,
        delivery_batch_size=200,
        delivery_concurrency=64,
        delivery_poll_interval_s=0.2,
        consumer_batch_size=200,
        **overrides,
    )


def worker_main(db_url: str, nats_url: str) -> None:
    """The delivery worker as its own process (`notification.main:create_worker_app`, as the chart runs it):
    says "ready" on stdout once started, runs until its stdin closes."""
    from notification.main import create_worker_app
    from tic_platform.testing import running

    async def serve() -> None:
        async with running(create_worker_app(_settings(db_url, nats_url))):
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(serve())


@contextlib.asynccontextmanager
async def _worker_process(db_url: str, nats_url: str) -> Any:
    worker = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker-of", db_url, nats_url, stdin=PIPE, stdout=PIPE
    )
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the delivery worker did not start: {line!r}")
        yield worker
    finally:
        assert worker.stdin is not None
        worker.stdin.close()
        try:
            await asyncio.wait_for(worker.wait(), 30)
        except TimeoutError:
            worker.kill()
            await worker.wait()


async def fanout(
    db_url: str, nats_url: str, n: int, subscriptions: int, timeout_s: float, rate: float, *, split: bool = True
) -> dict[str, Any]:
    """With `split` (the default, as the chart and `tic dev` run it) the delivery worker is a process of its own
    beside the API-and-consumers process; without, one process runs both."""
    from notification.main import create_app
    from tic_platform.testing import eventually, running

    port = free_port()
    receiver = await asyncio.create_subprocess_exec(sys.executable, __file__, "--receiver", str(port))
    try:
        async with (
            contextlib.AsyncExitStack() as stack,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe,
        ):
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get("/stats")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            if split:
                await stack.enter_async_context(_worker_process(db_url, nats_url))
            app = create_app(_settings(db_url, nats_url, delivery_worker_enabled=not split))
            async with running(app) as client:
                await eventually(
                    lambda: _all_bound(app),
                    timeout_s=30,
                )
                token = _admin_token()
                for _ in range(subscriptions):
                    response = await client.post(
                        "/api/v1/subscriptions",
                        json={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["tic.registry.*"]},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    response.raise_for_status()
                nc = await nats.connect(nats_url)
                # Made before the clock starts (making them is the bench's work, in the service's process), each
                # stamped with the time it is published: the latency runs from publish to receipt.
                events = [approved_event() for _ in range(n)]
                published_at = time.perf_counter()
                cpu_at = time.process_time()
                step = 10 if rate > 0 else 500
                for start in range(0, n, step):
                    now = dt.datetime.now(dt.UTC)
                    batch = [event.model_copy(update={"time": now}) for event in events[start : start + step]]
                    await publish_all(nc.jetstream(), [(e.nats_subject, e.to_json(), str(e.id)) for e in batch])
                    ahead = published_at + (start + step) / rate - time.perf_counter() if rate > 0 else 0.0
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                publish_s = time.perf_counter() - published_at
                await nc.close()
                expected = n * subscriptions
                deadline = time.perf_counter() + timeout_s
                stats: dict[str, Any] = {}
                while time.perf_counter() < deadline:
                    stats = (await probe.get("/stats")).json()
                    if stats["count"] >= expected:
                        break
                    await asyncio.sleep(0.25)
                elapsed = time.perf_counter() - published_at
                cpu_s = time.process_time() - cpu_at
                stats = (await probe.get("/stats", params={"full": "1"})).json()
                latencies: list[float] = stats["latencies"]
                return {
                    "expected": expected,
                    "delivered": stats["count"],
                    "duplicates": stats["duplicates"],
                    "publish_s": publish_s,
                    "elapsed_s": elapsed,
                    "per_s": stats["count"] / elapsed if elapsed else 0.0,
                    "p50_ms": percentile(latencies, 50) * 1000,
                    "p99_ms": percentile(latencies, 99) * 1000,
                    "event_size": len(events[0].to_json()),
                    "cpu_s": cpu_s,
                }
    finally:
        receiver.terminate()
        await asyncio.wait_for(receiver.wait(), 10)


async def _all_bound(app: Any) -> bool:
    return all(consumer.bound.is_set() for consumer in app.state.consumers)


def _admin_token() -> str:
    from tic_shared.auth import mint_token
    from tic_shared.settings import dev_signing_key

    return mint_token(dev_signing_key(), subject="bench", roles=["bureau_admin"])


async def main(args: argparse.Namespace) -> None:
    from tic_shared.migrations import upgrade

    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="tic-bench-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    nats_server = NatsServer(root / "nats").start()
    try:
        db_url = await create_database(pg.url, "bench")
        await upgrade("notification", db_url)
        load = f"at {args.rate:g} events/s" if args.rate else "in one burst"
        print(
            f"notification fan-out: {args.events} CenterApproved events {load}, "
            f"{args.subscriptions} webhook subscription(s)",
            flush=True,
        )
        result = await asyncio.wait_for(
            fanout(
                db_url,
                nats_server.admin_url,
                args.events,
                args.subscriptions,
                args.timeout,
                args.rate,
                split=not args.one_process,
            ),
            args.timeout + 60,
        )
        print(f"  raw JetStream baseline: {args.events} messages of {result['event_size']} bytes", flush=True)
        raw = await asyncio.wait_for(baseline(nats_server.admin_url, args.events, result["event_size"]), args.timeout)
        print(f"  delivered {result['delivered']}/{result['expected']} (duplicates: {result['duplicates']})")
        print(f"  published in {result['publish_s']:.2f}s; all delivered after {result['elapsed_s']:.2f}s")
        print(
            f"  service process CPU: {result['cpu_s']:.1f}s over {result['elapsed_s']:.1f}s (one event loop; "
            + ("consumers only, the delivery worker's process not counted)" if not args.one_process else "both)")
        )
        print(f"  webhook deliveries/s:            {result['per_s']:10.1f}")
        print(f"  event-to-delivery latency p50:   {result['p50_ms']:10.1f} ms")
        print(f"  event-to-delivery latency p99:   {result['p99_ms']:10.1f} ms")
        print(f"  raw JetStream publish+consume/s: {raw['per_s']:10.1f}")
        print(f"  raw JetStream latency p50:       {raw['p50_ms']:10.1f} ms")
        print(f"  raw JetStream latency p99:       {raw['p99_ms']:10.1f} ms")
    finally:
        nats_server.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Notification fan-out benchmark")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=0.0, help="events/s for a steady load; 0: one burst")
    parser.add_argument(
        "--one-process", action="store_true", help="the delivery worker inside the service's process, not its own"
    )
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-of", nargs=2, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.receiver:
        receiver_main(parsed.receiver)
    elif parsed.worker_of:
        worker_main(*parsed.worker_of)
    else:
        os.environ.setdefault("TIC_LOG_LEVEL", "WARNING")
        asyncio.run(main(parsed))
