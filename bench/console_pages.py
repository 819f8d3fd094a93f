"""Console pages against the demo data: p50/p99 of the overview and a center page, beside the slowest API call each
of those very requests made.

    .venv/bin/python bench/console_pages.py [--rounds 100]

Starts its own embedded PostgreSQL and NATS, migrates, runs the four services in-process, loads the demo data and
serves the console in-process too (httpx over ASGI). Every API call the console makes goes through a transport that
times it, so for each page request we know the slowest call it waited for. The calls of a page run in parallel: the
goal is a page costing at most 1.5× its slowest call (the rest is rendering and the sign-in cookie).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from dashboard.main import create_app as create_console
from dashboard.settings import DashboardSettings
from tic_platform.demo import DemoApi, load_demo
from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database
from tic_platform.testing import create_app, running
from tic_shared.migrations import upgrade
from tic_shared.settings import ServiceSettings, dev_signing_key

SERVICES = ("registry", "evaluation", "funding", "notification")


class TimedTransport(httpx.AsyncBaseTransport):
    """An ASGI transport that records how long each call took, for the page request being measured."""

    def __init__(self, inner: httpx.AsyncBaseTransport, calls: list[float]) -> None:
        self.inner = inner
        self.calls = calls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.calls.append((time.perf_counter() - started) * 1000)
        return response


def _quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _measure(console: httpx.AsyncClient, path: str, calls: list[float], rounds: int) -> str:
    for _ in range(3):
        (await console.get(path)).raise_for_status()
    pages: list[float] = []
    slowest: list[float] = []
    made = 0
    for _ in range(rounds):
        calls.clear()
        started = time.perf_counter()
        response = await console.get(path)
        pages.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        slowest.append(max(calls))
        made = len(calls)
    page_p50, page_p99 = _quantiles(pages)
    call_p50, call_p99 = _quantiles(slowest)
    return (
        f"{path[:40]:<40} page p50 {page_p50:7.2f} ms  p99 {page_p99:7.2f} ms   "
        f"slowest of its {made} API calls p50 {call_p50:7.2f} ms  p99 {call_p99:7.2f} ms   "
        f"×{page_p50 / call_p50:4.2f}"
    )


async def main(rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="tic-bench-console-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    nats = NatsServer(root / "nats").start()
    try:
        url = await create_database(pg.url, "bench")
        for service in SERVICES:
            await upgrade(service, url)
        key = dev_signing_key()
        apps = {
            service: create_app(
                service,
                ServiceSettings(
                    service=service, database_url=url, log_json=False, log_level="WARNING", **nats.settings_for(service)
                ),
            )
            for service in SERVICES
        }
        from contextlib import AsyncExitStack

        async with AsyncExitStack() as stack:
            for app in apps.values():
                await stack.enter_async_context(running(app))
            plain = {service: httpx.ASGITransport(app=app) for service, app in apps.items()}
            started = time.perf_counter()
            await load_demo(DemoApi({s: "http://testserver" for s in SERVICES}, signing_key=key, transports=plain))
            print(f"demo loaded in {time.perf_counter() - started:.1f} s")

            calls: list[float] = []
            timed: dict[str, Any] = {s: TimedTransport(t, calls) for s, t in plain.items()}
            console_app = create_console(DashboardSettings(dev_signing_key=key), timed)
            async with (
                console_app.router.lifespan_context(console_app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=console_app), base_url="http://console") as console,
            ):
                form = (await console.get("/signin")).text
                csrf = re.search(r'name="csrf" value="([^"]+)"', form)
                assert csrf is not None
                await console.post("/signin", data={"csrf": csrf.group(1), "role": "bureau_admin"})
                centers = (await console.get("/centers")).text
                center = re.search(r'href="(/centers/[0-9a-f-]{36})"', centers)
                assert center is not None
                print(f"{rounds} requests per page, bureau admin, demo data (41 centers)")
                for path in ("/", center.group(1), "/funding"):
                    print(await _measure(console, path, calls, rounds))
    finally:
        nats.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    asyncio.run(main(parser.parse_args().rounds))
