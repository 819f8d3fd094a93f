"""The driver read (`Database.fetch_row` with a `DriverQuery`): the hottest reads skip SQLAlchemy's execution path,
so what that path gave them for free is checked here — bound values, decoded JSON, and a dead connection that
fails one read only."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from tic_shared.db import Database, DriverQuery, asyncpg_dsn
from tic_shared.problems import database_outage

metadata = MetaData(schema="public")
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("owner", String(20)),
    Column("doc", JSONB, nullable=False),
)
t = things.c

# A literal in the statement ("open") and a reach-like OR whose parameters may be NULL.
READ = DriverQuery(
    select(things).where(
        t.id == bindparam("id", type_=Integer),
        t.kind == "open",
        or_(bindparam("everything", type_=Integer) == 1, t.owner == bindparam("owner", type_=String)),
    )
)


async def _seed(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(
            "CREATE TABLE public.things (id int PRIMARY KEY, kind varchar(20) NOT NULL, owner varchar(20),"
            " doc jsonb NOT NULL)"
        )
        await conn.execute(
            """INSERT INTO public.things VALUES (1, 'open', 'a', '{"plan": [1, 2]}'), (2, 'closed', 'a', '{}')"""
        )
    finally:
        await conn.close()


async def test_a_driver_read_binds_the_statements_own_values_and_decodes_json(empty_database_url: str) -> None:
    await _seed(empty_database_url)
    db = Database(empty_database_url, schema="public", pool_size=2)
    try:
        row = await db.fetch_row(READ, {"id": 1, "everything": 1, "owner": None})
        assert row is not None and row["doc"] == {"plan": [1, 2]}
        # The literal "open" is bound: the closed thing is not found.
        assert await db.fetch_row(READ, {"id": 2, "everything": 1, "owner": None}) is None
        # A NULL parameter reaches nothing, an owner reaches its own.
        assert await db.fetch_row(READ, {"id": 1, "everything": 0, "owner": None}) is None
        assert await db.fetch_row(READ, {"id": 1, "everything": 0, "owner": "b"}) is None
        assert await db.fetch_row(READ, {"id": 1, "everything": 0, "owner": "a"}) is not None
    finally:
        await db.dispose()


async def test_a_connection_killed_under_a_driver_read_fails_that_read_only(empty_database_url: str) -> None:
    await _seed(empty_database_url)
    db = Database(empty_database_url, schema="public", pool_size=2, application_name="tic-driver-read")
    admin = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        values = {"id": 1, "everything": 1, "owner": None}
        # Two reads at once: the pool holds two connections, and both die together (a database restart).
        assert all(await asyncio.gather(db.fetch_row(READ, values), db.fetch_row(READ, values)))
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'tic-driver-read'"
        )
        assert killed == 2
        try:
            await db.fetch_row(READ, values)
        except Exception as exc:
            assert database_outage(exc), exc
        else:
            raise AssertionError("a read on a killed connection returned a row")
        # The pool that held the other dead connection was thrown away with it: the next read opens a live one.
        assert await db.fetch_row(READ, values) is not None
    finally:
        await admin.close()
        await db.dispose()
