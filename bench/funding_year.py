"""Funding benchmark: 100,000 quotes (pure and over HTTP in-process) and settling a funding year for 10,000 centers,
each against a bare-FastAPI baseline measured in the same run. Starts its own embedded PostgreSQL and NATS.

    .venv/bin/python bench/funding_year.py [--quotes 100000] [--centers 10000] [--concurrency 16] [--budget-s 600]

Not part of the test run.
Every phase stops at its share of --budget-s and reports the rate of what it did.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from funding.api.schemas import QuoteRequest, QuoteResponse
from funding.domain.calculator import SubsidyInputs, quote
from funding.domain.policy import load_policies
from funding.main import create_app
from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database
from tic_platform.testing import running
from tic_shared.auth import mint_token
from tic_shared.db import Database
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterApproved, LeadUnit
from tic_shared.migrations import upgrade
from tic_shared.settings import ServiceSettings, dev_signing_key
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Tier

POLICY = "ningbo-tic-2022"


def body(i: int) -> dict[str, Any]:
    return {
        "policy": POLICY,
        "tier": "municipal_tic",
        "status": "building",
        "funding_year": 1 + i % 4,
        "verified_investment_fen": 1_000_000 + i * 9_973,
        "previous_grade": ("excellent", "good", "qualified", "unqualified")[i % 4],
        "granted_so_far_fen": (i % 7) * 100_000_000,
        "overlapping_grant_fen": (i % 5) * 1_000_000,
    }


def pure_quotes(n: int) -> float:
    policy = load_policies()[POLICY]
    inputs = [SubsidyInputs(**{k: v for k, v in body(i).items() if k != "policy"}) for i in range(n)]
    started = time.perf_counter()
    for item in inputs:
        quote(policy, item)
    return n / (time.perf_counter() - started)


def bare_app() -> FastAPI:
    """The baseline: the same body model and calculator, none of the chassis (auth, middleware, problems)."""
    app = FastAPI()
    policy = load_policies()[POLICY]

    @app.post("/quote")
    async def bare_quote(request: QuoteRequest) -> QuoteResponse:
        result = quote(policy, request.inputs())  # type: ignore[attr-defined]
        return QuoteResponse(policy=result.policy_code, amount_fen=result.amount_fen, trace=result.trace)

    @app.post("/touch/{n}")
    async def touch(n: int) -> dict[str, int]:
        async with app.state.db.transaction() as session:
            await session.execute(text("UPDATE funding.bench_touch SET hits = hits + 1 WHERE n = :n"), {"n": n})
        return {"n": n}

    return app


async def hammer(
    send: Callable[[int], Awaitable[None]], n: int, concurrency: int, budget_s: float
) -> tuple[int, float]:
    """Run send(0..n-1) with `concurrency` workers until done or out of time; (requests done, seconds)."""
    started = time.perf_counter()
    deadline = started + budget_s
    counter = iter(range(n))
    done = 0

    async def worker() -> None:
        nonlocal done
        for i in counter:
            if time.perf_counter() > deadline:
                return
            await send(i)
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, time.perf_counter() - started


def approved(center_id: uuid.UUID) -> CloudEvent:
    data = CenterApproved(
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
    return CloudEvent.of(data, subject=str(center_id))


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="tic-bench-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    nats_server = NatsServer(root / "nats").start()
    try:
        url = await create_database(pg.url, "tic_bench")
        await upgrade("funding", url)
        settings = ServiceSettings(
            service="funding", database_url=url, nats_url=nats_server.admin_url, log_level="WARNING"
        )
        headers = {"Authorization": f"Bearer {mint_token(dev_signing_key(), subject='bench', roles=['bureau_admin'])}"}
        share = args.budget_s / 4

        rate = pure_quotes(args.quotes)
        print(f"quotes, pure function:            {args.quotes:>7} in {args.quotes / rate:6.2f} s = {rate:9.0f} /s")

        baseline = bare_app()
        baseline.state.db = Database(url, schema="funding", pool_size=args.concurrency)
        app = create_app(settings)
        async with (
            running(app) as client,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=baseline), base_url="http://bare") as bare,
        ):

            async def bare_quote(i: int) -> None:
                (await bare.post("/quote", json=body(i))).raise_for_status()

            async def api_quote(i: int) -> None:
                (await client.post("/api/v1/subsidies/quote", json=body(i), headers=headers)).raise_for_status()

            for name, send in (("bare FastAPI", bare_quote), ("funding API", api_quote)):
                done, seconds = await hammer(send, args.quotes, args.concurrency, share)
                print(f"quotes, HTTP in-process, {name:<12} {done:>7} in {seconds:6.2f} s = {done / seconds:9.0f} /s")

            # A funding year: N centers approved (events through the consumer), then calculate, approve, disburse.
            db: Database = app.state.db
            from funding.consumers import on_center_approved

            ids = [uuid.uuid4() for _ in range(args.centers)]
            started = time.perf_counter()
            for chunk in range(0, len(ids), 500):
                async with db.transaction() as session:
                    for center_id in ids[chunk : chunk + 500]:
                        await on_center_approved(session, approved(center_id))
            print(f"projection: {len(ids)} CenterApproved applied in {time.perf_counter() - started:6.2f} s")
            async with db.transaction() as session:
                rows = await session.execute(
                    text("SELECT grant_id FROM funding.grants WHERE center_id = ANY(:ids)"), {"ids": ids}
                )
                grant_ids = [row.grant_id for row in rows]
                await session.execute(
                    text("CREATE TABLE IF NOT EXISTS funding.bench_touch (n int primary key, hits int)")
                )
                await session.execute(
                    text(
                        "INSERT INTO funding.bench_touch SELECT g, 0 FROM generate_series(0, :n) g"
                        " ON CONFLICT DO NOTHING"
                    ),
                    {"n": len(grant_ids)},
                )

            async def settle(i: int) -> None:
                gid = grant_ids[i]
                for step, payload in (
                    ("calculate", {"verified_investment_fen": 1_000_000 + i}),
                    ("approve", {}),
                    ("disburse", {}),
                ):
                    response = await client.post(f"/api/v1/grants/{gid}/{step}", json=payload, headers=headers)
                    response.raise_for_status()

            async def bare_settle(i: int) -> None:
                for _ in range(3):
                    (await bare.post(f"/touch/{i}")).raise_for_status()

            for name, send in (("bare FastAPI", bare_settle), ("funding API", settle)):
                done, seconds = await hammer(send, len(grant_ids), args.concurrency, share)
                extrapolated = seconds / max(done, 1) * len(grant_ids)
                print(
                    f"settle a year, {name:<12} {done:>6} centers (3 requests each) in {seconds:6.2f} s"
                    f" = {done / seconds:7.0f} centers/s; the whole {len(grant_ids)}: ~{extrapolated:6.1f} s"
                )
        await baseline.state.db.dispose()
    finally:
        nats_server.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--centers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--budget-s", type=float, default=600.0, help="the longest the HTTP phases may take in all")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
