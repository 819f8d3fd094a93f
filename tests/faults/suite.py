"""The fault suite (`./tic faults`): each scenario approves N centers, 16 at a time, while one part fails.

Each scenario gets a platform of its own (`loopback.Platform`), subscribes a webhook receiver, drives the
approvals with a retrying client (`drive.Driver`), injects its fault in the middle of it, then polls, bounded,
until every invariant of `checks` holds, and prints how long that took after the fault ended. Not part of the
pytest run (it takes minutes); CI runs it as its own step.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from checks import Verdict, caught_up, check
from drive import Driver, admin_headers
from loopback import WEBHOOK_EVENT_TYPES, Platform

# The fault starts once the approvals are under way.
LEAD_IN_S = 3.0
CONVERGE_BOUND_S = 120.0

Inject = Callable[[Platform], Awaitable[None]]


@dataclass
class Scenario:
    name: str
    fault: str
    inject: Inject | None = None
    lose_responses: bool = False
    # Killing the delivery worker between a send and its record: that delivery goes out again (same
    # Message-ID / X-TIC-Delivery). At most the sends in flight (TIC_DELIVERY_CONCURRENCY, 32).
    allowed_repeats: int = 0


@dataclass
class Result:
    scenario: Scenario
    n: int
    verdict: Verdict
    driver: Driver
    drive_s: float
    converged_s: float | None
    folder: Path
    settled_s: float = 0.0
    last_delivery_s: float | None = None
    caught_up_s: float | None = None
    error: str | None = None
    fault_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.verdict.ok and self.converged_s is not None


def kill_nats_for(seconds: float) -> Inject:
    async def inject(platform: Platform) -> None:
        platform.kill_nats()
        await asyncio.sleep(seconds)
        platform.start_nats()

    return inject


def kill_service(service: str) -> Inject:
    async def inject(platform: Platform) -> None:
        platform.kill_service(service)
        await asyncio.sleep(1.0)
        platform.start_service(service)
        await platform.wait_ready([service])

    return inject


def stop_postgres_for(seconds: float) -> Inject:
    async def inject(platform: Platform) -> None:
        platform.stop_postgres()
        await asyncio.sleep(seconds)
        platform.start_postgres()

    return inject


def receiver_down_for(seconds: float) -> Inject:
    async def inject(platform: Platform) -> None:
        await platform.receiver.stop()
        await asyncio.sleep(seconds)
        await platform.receiver.start()

    return inject


SCENARIOS = [
    Scenario("nats-kill-9", "NATS killed (kill -9), back after 10 s", kill_nats_for(10.0)),
    *(
        Scenario(f"kill-9-{service}", f"the {service} process killed (kill -9), restarted", kill_service(service))
        for service in ("registry", "evaluation", "funding")
    ),
    Scenario(
        "kill-9-notification",
        "both notification processes (API and consumers; delivery worker) killed (kill -9) mid-send, restarted",
        kill_service("notification"),
        allowed_repeats=32,
    ),
    Scenario("postgres-stop", "PostgreSQL stopped (fast shutdown), back after 10 s", stop_postgres_for(10.0)),
    Scenario("webhook-down", "the webhook receiver down for 60 s", receiver_down_for(60.0)),
    Scenario("lost-responses", "the client abandons every first try, retries with the same key", lose_responses=True),
]


async def subscribe(platform: Platform, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=platform.url("notification"), headers=headers, timeout=10) as client:
        response = await client.post(
            "/api/v1/subscriptions",
            json={"url": platform.receiver.url, "event_types": WEBHOOK_EVENT_TYPES, "description": "fault suite"},
        )
        response.raise_for_status()
        platform.subscription_id = response.json()["id"]


async def run_scenario(scenario: Scenario, n: int, concurrency: int, root: Path) -> Result:
    folder = Path(tempfile.mkdtemp(prefix=f"{scenario.name}-", dir=root))
    headers = admin_headers()
    driver = Driver("", lose_responses=scenario.lose_responses)
    verdict = Verdict(problems=["not checked"])
    result = Result(scenario, n, verdict, driver, 0.0, None, folder)
    try:
        async with Platform(folder) as platform:
            await subscribe(platform, headers)
            driver.registry_url = platform.url("registry")
            started = time.monotonic()
            driving = asyncio.create_task(driver.approve_many(n, concurrency=concurrency))
            fault_over = started
            if scenario.inject is not None:
                await asyncio.sleep(LEAD_IN_S)
                fault_started = time.monotonic()
                await scenario.inject(platform)
                fault_over = time.monotonic()
                result.fault_s = fault_over - fault_started
            contacts = await driving
            drive_done = time.monotonic()
            result.drive_s = drive_done - started
            # Every time is counted from the moment the fault is over and the load has stopped.
            settled = max(fault_over, drive_done)
            result.settled_s = settled - started
            result.caught_up_s = await time_to_catch_up(platform, headers, since=settled)
            deadline = settled + CONVERGE_BOUND_S
            while True:
                try:
                    result.verdict = await check(platform, contacts, headers, allowed_repeats=scenario.allowed_repeats)
                except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
                    result.verdict = Verdict(problems=[f"cannot check yet: {type(exc).__name__}: {exc}"])
                if result.verdict.ok or any("twice" in p for p in result.verdict.problems):
                    break
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(1.0)
            if result.verdict.ok:
                result.converged_s = time.monotonic() - settled
                # Sharper than the polling: when the last notification reached its receiver.
                result.last_delivery_s = max(platform.mailbox.last_at, platform.receiver.last_at) - settled
            duplicates = sum(count - 1 for count in platform.mailbox.held().message_ids.values() if count > 1)
            if duplicates:
                result.notes.append(f"{duplicates} repeated Message-IDs")
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result.error = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
    return result


async def time_to_catch_up(platform: Platform, headers: dict[str, str], *, since: float) -> float | None:
    """Seconds from `since` until the backbone has caught up (polled every 0.2 s, bounded)."""
    deadline = time.monotonic() + CONVERGE_BOUND_S
    while time.monotonic() < deadline:
        try:
            if await caught_up(platform, headers):
                return time.monotonic() - since
        except Exception:  # a server still coming back: not caught up yet
            pass
        await asyncio.sleep(0.2)
    return None


def table(results: list[Result]) -> str:
    head = (
        "| scenario | fault | N | client retries (5xx/lost) | events | e-mails owed/received | "
        "webhooks owed/received | lost | doubled | repeats of one delivery | fault over, load done at | "
        "then: backbone caught up | last notification | all invariants held | result |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for r in results:
        numbers = r.verdict.numbers
        lost = numbers.get("e-mails missing", 0) + numbers.get("webhooks missing", 0)
        doubled = numbers.get("e-mails received twice or more", 0) + numbers.get("webhooks received twice or more", 0)
        server_errors = sum(count for status, count in r.driver.statuses.items() if status >= 500)
        last = f"{r.last_delivery_s:+.1f} s" if r.last_delivery_s is not None else "—"
        caught = f"{r.caught_up_s:.1f} s" if r.caught_up_s is not None else "—"
        converged = f"{r.converged_s:.1f} s" if r.converged_s is not None else "—"
        verdict = "pass" if r.ok else "FAIL: " + "; ".join([*(r.verdict.problems), *([r.error] if r.error else [])])
        rows.append(
            f"| {r.scenario.name} | {r.scenario.fault} | {r.n} | {r.driver.retries} ({server_errors}/{r.driver.lost}) "
            f"| {numbers.get('events', '—')} "
            f"| {numbers.get('e-mails owed', '—')}/{numbers.get('e-mails received', '—')} "
            f"| {numbers.get('webhooks owed', '—')}/{numbers.get('webhooks received', '—')} "
            f"| {lost} | {doubled} | {numbers.get('repeats of one delivery', '—')} "
            f"| {r.settled_s:.1f} s | {caught} | {last} | {converged} | {verdict} |"
        )
    return head + "\n".join(rows) + "\n"


async def run_all(args: argparse.Namespace) -> int:
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
    unknown = set(args.only or []) - {s.name for s in SCENARIOS}
    if unknown:
        print(f"tic faults: no scenario named {', '.join(sorted(unknown))}")
        return 2
    root = Path(tempfile.mkdtemp(prefix="tic-faults-", dir="/tmp"))  # short: PostgreSQL's socket path is bounded
    results = []
    for scenario in chosen:
        print(f"tic faults: {scenario.name}: {scenario.fault} …", flush=True)
        result = await run_scenario(scenario, args.n, args.concurrency, root)
        results.append(result)
        state = "pass" if result.ok else "FAIL"
        converged = ""
        if result.converged_s is not None and result.last_delivery_s is not None:
            converged = (
                f"(fault over and load done at {result.settled_s:.1f} s; then caught up in "
                f"{result.caught_up_s or 0:.1f} s, last notification {result.last_delivery_s:+.1f} s, "
                f"all held in {result.converged_s:.1f} s)"
            )
        print(f"tic faults: {scenario.name}: {state} {converged} {result.verdict.problems or ''}", flush=True)
        if result.ok:
            shutil.rmtree(result.folder, ignore_errors=True)
        else:
            print(f"tic faults: logs kept in {result.folder}", flush=True)
    print()
    print(table(results))
    if all(r.ok for r in results):
        shutil.rmtree(root, ignore_errors=True)
        return 0
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tic faults", description=__doc__)
    parser.add_argument("--n", type=int, default=100, help="centers approved per scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--only", action="append", help="run only this scenario (repeatable)")
    return asyncio.run(run_all(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
