"""Registry queries over 100,000 centers: p50/p99 per query, beside a bare FastAPI endpoint in the same run.

    .venv/bin/python bench/registry_queries.py [--centers 100000] [--rounds 200]

Starts its own embedded PostgreSQL and NATS, migrates, bulk-loads centers with COPY, then calls the registry
in-process (httpx over ASGI) with a bureau admin's token and a district officer's. The baseline is a bare
FastAPI JSON endpoint called the same way, so the ratio is the price of auth, SQL and serialization.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from registry.domain.credit_code import check_character
from registry.domain.policy import registry_policy
from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database
from tic_platform.testing import running
from tic_shared.auth import mint_token
from tic_shared.db import asyncpg_dsn
from tic_shared.migrations import upgrade
from tic_shared.settings import ServiceSettings, dev_signing_key

STATUSES = [
    "draft",
    "submitted",
    "under_review",
    "reviewed",
    "decided",
    "public_notice",
    "building",
    "operating",
    "rejected",
    "withdrawn",
    "cancelled",
    "delisted",
]
TIERS = ["municipal_tic", "key_enterprise_institute", "enterprise_rd_center", "provincial_tic", "national_tic"]
FIELDS = ["new_materials", "industrial_internet", "key_core_components"]


def _rows(count: int) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    districts = list(registry_policy().districts)
    today = date.today()
    rows = []
    for i in range(count):
        status = rng.choice(STATUSES)
        approved = today - timedelta(days=rng.randint(0, 1800)) if status in ("building", "operating") else None
        body = f"91330200{i:09d}"
        rows.append(
            (
                uuid.uuid4(),
                f"宁波市第{i}号测试技术创新中心",
                status,
                rng.choice(TIERS),
                "recommended",
                "某区人民政府",
                rng.choice(FIELDS),
                "链",
                rng.choice(districts),
                f"测试单位{i}",
                body + check_character(body),
                "enterprise",
                approved,
                approved + timedelta(days=1826) if approved else None,
                rng.random() < 0.5,
                "bench",
            )
        )
    return rows


async def _load(url: str, count: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.copy_records_to_table(
            "centers",
            schema_name="registry",
            columns=[
                "id",
                "name_zh",
                "status",
                "tier",
                "origin",
                "recommender",
                "field",
                "industrial_chain",
                "district",
                "lead_unit_name",
                "lead_unit_credit_code",
                "lead_unit_type",
                "approved_on",
                "construction_end",
                "independent_legal_person",
                "created_by",
            ],
            records=_rows(count),
        )
        # As a register that has lived with its rows stands: vacuumed (the visibility map set, hint bits written)
        # and analyzed. Only analyzed, the first reads wrote the hint bits of rows just copied in and autovacuum
        # woke during the measurement to vacuum them, both in the 100,000 figure and not in the 1,000 one.
        await conn.execute("VACUUM ANALYZE registry.centers")
    finally:
        await conn.close()


async def _measure(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], headers: dict[str, str], rounds: int
) -> list[float]:
    for _ in range(5):
        (await client.get(path, params=params, headers=headers)).raise_for_status()
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.get(path, params=params, headers=headers)
        took.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return took


def _line(name: str, took: list[float], baseline_p50: float) -> str:
    ordered = sorted(took)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{name:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   ×{p50 / baseline_p50:5.1f} baseline"


async def main(count: int, rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="tic-bench-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    nats_server = NatsServer(root / "nats").start()
    try:
        url = await create_database(pg.url, "bench")
        await upgrade("registry", url)
        started = time.perf_counter()
        await _load(url, count)
        print(f"loaded {count:,} centers in {time.perf_counter() - started:.1f} s")

        bare = FastAPI()

        @bare.get("/hello")
        async def hello() -> dict[str, str]:
            return {"hello": "world"}

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://b") as client:
            baseline = await _measure(client, "/hello", {}, {}, rounds)
        base_p50 = statistics.median(baseline)

        from registry.main import create_app

        settings = ServiceSettings(
            service="registry", database_url=url, nats_url=nats_server.admin_url, log_level="WARNING"
        )
        key = dev_signing_key()
        admin = {"Authorization": "Bearer " + mint_token(key, subject="bench", roles=["bureau_admin"])}
        officer = {
            "Authorization": "Bearer " + mint_token(key, subject="o", roles=["district_officer"], district="yinzhou")
        }
        async with running(create_app(settings)) as client:
            some = (await client.get("/api/v1/centers", params={"limit": 1}, headers=admin)).json()["items"][0]
            queries: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
                ("list, newest 50", "/api/v1/centers", {}, admin),
                ("list status=building", "/api/v1/centers", {"status": "building"}, admin),
                (
                    "list district+status+tier",
                    "/api/v1/centers",
                    {"district": "zhenhai", "status": "operating", "tier": "municipal_tic"},
                    admin,
                ),
                (
                    "list by lead-unit credit code",
                    "/api/v1/centers",
                    {"lead_unit_credit_code": some["lead_unit_credit_code"]},
                    admin,
                ),
                ("list text search q=第4242号", "/api/v1/centers", {"q": "第4242号"}, admin),
                ("list as district officer", "/api/v1/centers", {"status": "building"}, officer),
                ("counts by status", "/api/v1/centers/stats/counts", {"by": "status"}, admin),
                (
                    "counts by district, field filter",
                    "/api/v1/centers/stats/counts",
                    {"by": "district", "field": "new_materials"},
                    admin,
                ),
                ("counts by tier as district officer", "/api/v1/centers/stats/counts", {"by": "tier"}, officer),
                ("deadlines within 90 days", "/api/v1/centers/stats/deadlines", {"within_days": 90}, admin),
                ("program targets", "/api/v1/program-targets", {}, admin),
                ("one center", f"/api/v1/centers/{some['id']}", {}, admin),
            ]
            print(_line("baseline: bare FastAPI JSON, same transport", baseline, base_p50))
            for name, path, params, headers in queries:
                print(_line(name, await _measure(client, path, params, headers, rounds), base_p50))
    finally:
        nats_server.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--centers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.centers, args.rounds))
