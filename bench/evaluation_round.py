"""Benchmark: open and finalize an annual round of 10,000 centers (issue 4, Scale).

Starts its own embedded PostgreSQL and NATS in a temporary folder, migrates, loads 10,000 centers into the
evaluation projection and, after opening the round, their reports and expert scores in bulk; then times opening,
finalizing (scores, grades, consequences, outbox rows) and publishing the events. Bounded; prints figures.

    .venv/bin/python bench/evaluation_round.py [--centers 10000] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from evaluation.domain.catalog import rules_for_year
from evaluation.domain.indicators import IndicatorKind
from evaluation.service import finalizing, rounds
from evaluation.store.tables import centers, evaluations, expert_scores, messaging
from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database
from tic_shared.auth import Principal
from tic_shared.db import Database
from tic_shared.metrics import ServiceMetrics
from tic_shared.migrations import upgrade
from tic_shared.nats_link import NatsLink
from tic_shared.outbox import OutboxRelay
from tic_shared.settings import ServiceSettings
from tic_shared.streams import ensure_stream

YEAR = 2026
BATCH = 2000


def _report(rng: random.Random) -> dict[str, Any]:
    def n(base: int) -> int:
        return int(base * rng.uniform(0.2, 1.6))

    return {
        "investment": {
            "lead_unit_fen": n(3_000_000_000),
            "co_builders_fen": n(800_000_000),
            "municipal_fiscal_fen": n(500_000_000),
            "district_fiscal_fen": n(500_000_000),
            "national_funds_fen": n(200_000_000),
            "social_capital_fen": n(600_000_000),
        },
        "team": {
            "total": n(150),
            "full_time_researchers": n(90),
            "high_level_teams": n(3),
            "top_talents": n(5),
            "young_talents": n(30),
            "non_rd_staff": n(20),
        },
        "projects": {"national_major": n(2), "provincial_major": n(4), "municipal_major": n(6)},
        "results": {"breakthroughs": n(4), "import_substitution": n(3), "standards": n(3), "patents": n(40)},
        "ecosystem": {"bases": n(2), "close_partners": n(25), "spin_offs": n(2), "enterprises_served": n(40)},
    }


class Clock:
    def __init__(self) -> None:
        self.phases: list[tuple[str, float, str]] = []

    def record(self, name: str, started: float, note: str = "") -> None:
        elapsed = time.perf_counter() - started
        self.phases.append((name, elapsed, note))
        print(f"  {name:<34} {elapsed:8.2f} s  {note}", flush=True)


async def run(count: int, pg_url: str, nats_url: str) -> None:
    url = await create_database(pg_url, f"bench_{uuid.uuid4().hex[:8]}")
    await upgrade("evaluation", url)
    db = Database(url, schema="evaluation", pool_size=4)
    rng = random.Random(42)
    clock = Clock()
    admin = Principal(subject="bench", roles=frozenset({"bureau_admin"}), scopes=frozenset({"*"}))
    print(f"evaluation round benchmark: {count} centers", flush=True)
    try:
        started = time.perf_counter()
        rows = [
            {
                "center_id": uuid.uuid4(),
                "code": f"NB-TIC-B-{i:05d}",
                "name_zh": f"基准中心{i}",
                "tier": "municipal_tic",
                "status": "building",
                "district": f"district-{i % 10}",
                "approved_on": dt.date(YEAR - 1 - i % 5, 1 + i % 12, 1),
                "construction_start": dt.date(YEAR - 1 - i % 5, 1 + i % 12, 1),
                "construction_end": dt.date(YEAR + 4 - i % 5, 1 + i % 12, 1) - dt.timedelta(days=1),
                "targets": {},
                "last_sequence": 1,
            }
            for i in range(count)
        ]
        async with db.transaction() as session:
            for start in range(0, count, BATCH):
                await session.execute(centers.insert(), rows[start : start + BATCH])
        clock.record("setup: project centers", started)

        started = time.perf_counter()
        async with db.transaction() as session:
            round_id = (await rounds.open_round(session, principal=admin, year=YEAR)).round.id
        clock.record("open round", started, f"{count / clock_last(clock):,.0f} evaluations/s")

        started = time.perf_counter()
        _, system = rules_for_year(YEAR)
        qualitative = [i.code for i in system.indicators if i.kind is IndicatorKind.QUALITATIVE]
        async with db.transaction() as session:
            ids = (await session.execute(select(evaluations.c.id).where(evaluations.c.round_id == round_id))).scalars()
            ids = list(ids)
            conn = await session.connection()
            e = evaluations.c
            statement = (
                update(evaluations)
                .where(e.id == _bind("b_id"))
                .values(report=_bind("b_report", evaluations.c.report.type), status="reported")
            )
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                await conn.execute(statement, [{"b_id": i, "b_report": _report(rng)} for i in chunk])
                scores = [
                    {"evaluation_id": i, "expert": f"expert-{k}", "indicator": code, "score": rng.randint(55, 98)}
                    for i in chunk
                    for k in range(3)
                    for code in qualitative
                ]
                await conn.execute(expert_scores.insert(), scores)
        clock.record("setup: load reports + scores (bulk)", started, f"{len(ids) * 3 * len(qualitative):,} scores")

        started = time.perf_counter()
        async with db.transaction() as session:
            preview = await finalizing.round_preview(session, principal=admin, round_id=round_id)
        clock.record("finalize preview (dry run)", started, f"{len(preview.items):,} evaluations concluded")

        started = time.perf_counter()
        async with db.transaction() as session:
            done = await finalizing.finalize_round(
                session, principal=admin, round_id=round_id, confirm=preview.preview_id
            )
            finalized = len(done.preview.items)
        elapsed = clock_last_start(started)
        async with db.transaction() as session:
            events = await session.scalar(select(func.count()).select_from(messaging.outbox))
            grades = dict(
                (
                    await session.execute(
                        select(evaluations.c.grade, func.count())
                        .where(evaluations.c.round_id == round_id)
                        .group_by(evaluations.c.grade)
                    )
                ).all()
            )
        clock.record(
            "finalize round",
            started,
            f"{finalized:,} finalized, {events:,} events, {finalized / elapsed:,.0f} evaluations/s, "
            f"{(events or 0) / elapsed:,.0f} events/s recorded",
        )
        print(f"  grades: {grades}", flush=True)

        settings = ServiceSettings(service="evaluation", database_url=url, nats_url=nats_url)
        link = NatsLink(nats_url, name="bench")
        link.start()
        await asyncio.wait_for(link.ready.wait(), 10)
        await ensure_stream(link.js, "evaluation", settings)
        relay = OutboxRelay(
            db=db, outbox=messaging.outbox, link=link, settings=settings, metrics=ServiceMetrics("bench-evaluation")
        )
        started = time.perf_counter()
        published = await relay.drain()
        elapsed = clock_last_start(started)
        clock.record("publish events (outbox relay)", started, f"{published:,} events, {published / elapsed:,.0f}/s")
        await link.close()
        total = sum(seconds for name, seconds, _ in clock.phases if not name.startswith("setup"))
        print(f"open + finalize + publish: {total:.2f} s for {count:,} centers", flush=True)
    finally:
        await db.dispose()


def _bind(name: str, type_: Any = None) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, type_=type_)


def clock_last(clock: Clock) -> float:
    return clock.phases[-1][1] or 1e-9


def clock_last_start(started: float) -> float:
    return max(time.perf_counter() - started, 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--centers", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tic-bench-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    nats_server = NatsServer(root / "nats").start()
    try:
        asyncio.run(asyncio.wait_for(run(args.centers, pg.url, nats_server.admin_url), args.timeout))
    finally:
        nats_server.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
