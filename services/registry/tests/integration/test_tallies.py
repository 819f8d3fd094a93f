"""The tallies that counts read (migration 0006) always equal a count of the centers themselves: after bulk
inserts, updates of many rows at once, deletes, rolled-back transactions and two writers at once."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import asyncpg

from registry.domain.credit_code import check_character
from tic_shared.db import asyncpg_dsn

STATUSES = ("draft", "submitted", "building", "operating", "delisted")
TIERS = ("municipal_tic", "provincial_tic", "enterprise_rd_center")
FIELDS = ("new_materials", "industrial_internet", "key_core_components")
DISTRICTS = ("haishu", "zhenhai", "yinzhou", "beilun")
TALLIED = "SELECT status, tier, field, district, n FROM registry.center_tallies WHERE n <> 0"
COUNTED = (
    "SELECT status, tier, field, district, count(*) AS n FROM registry.centers GROUP BY status, tier, field, district"
)


def _rows(rng: random.Random, count: int) -> list[tuple[Any, ...]]:
    rows = []
    for _ in range(count):
        body = f"91330200{rng.randrange(10**9):09d}"
        rows.append(
            (
                uuid.uuid4(),
                "宁波市计数测试技术创新中心",
                rng.choice(STATUSES),
                rng.choice(TIERS),
                "recommended",
                rng.choice(FIELDS),
                "链",
                rng.choice(DISTRICTS),
                "计数测试单位",
                body + check_character(body),
                "enterprise",
                "test",
            )
        )
    return rows


async def _insert(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(
        "centers",
        schema_name="registry",
        columns=[
            "id",
            "name_zh",
            "status",
            "tier",
            "origin",
            "field",
            "industrial_chain",
            "district",
            "lead_unit_name",
            "lead_unit_credit_code",
            "lead_unit_type",
            "created_by",
        ],
        records=rows,
    )


async def _agree(conn: asyncpg.Connection) -> None:
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        tallied = {tuple(r.values())[:4]: r["n"] for r in await conn.fetch(TALLIED)}
        counted = {tuple(r.values())[:4]: r["n"] for r in await conn.fetch(COUNTED)}
    assert tallied == counted


async def test_tallies_equal_the_counted_centers_whatever_is_written(database_url: str) -> None:
    rng = random.Random(2026)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await _agree(conn)
        rows = _rows(rng, 300)
        ids = [row[0] for row in rows]
        await _insert(conn, rows)  # one COPY: one statement
        await _agree(conn)
        for _ in range(5):  # many rows at once, several keys changing
            chosen = rng.sample(ids, 60)
            await conn.execute(
                "UPDATE registry.centers SET status = $2, district = $3 WHERE id = ANY($1)",
                chosen,
                rng.choice(STATUSES),
                rng.choice(DISTRICTS),
            )
        await conn.execute("UPDATE registry.centers SET name_zh = name_zh WHERE id = ANY($1)", ids[:50])
        await _agree(conn)
        try:
            async with conn.transaction():
                await _insert(conn, _rows(rng, 40))
                await conn.execute("UPDATE registry.centers SET tier = 'national_tic' WHERE id = ANY($1)", ids[:30])
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        await _agree(conn)
        await conn.execute("DELETE FROM registry.centers WHERE id = ANY($1)", ids[:100])
        await _agree(conn)
    finally:
        await conn.close()


async def test_two_writers_at_once_keep_the_tallies_exact(database_url: str) -> None:
    rng = random.Random(7)
    rows = _rows(rng, 200)
    ids = [row[0] for row in rows]
    setup = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await _insert(setup, rows)
    finally:
        await setup.close()

    async def writer(seed: int, own: list[uuid.UUID]) -> None:
        # Each writer its own centers (two multi-row updates of the same centers can deadlock on those rows,
        # whatever the tallies do), both moving them between the same tallies.
        mine = random.Random(seed)
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            for _ in range(20):
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE registry.centers SET status = $2 WHERE id = ANY($1)",
                        mine.sample(own, 20),
                        mine.choice(STATUSES),
                    )
        finally:
            await conn.close()

    await asyncio.gather(writer(1, ids[:100]), writer(2, ids[100:]))
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await _agree(conn)
    finally:
        await conn.close()
