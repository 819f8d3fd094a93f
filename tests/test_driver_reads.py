"""The driver path (`Database.fetch_row`, `fetch_row_in`, `fetch_in` and `execute_many_in` with a `DriverQuery`):
the hottest statements skip SQLAlchemy's execution path, so what that path gave them for free is checked here —
bound values, JSON both ways, the session's transaction, and a dead connection that fails one statement only."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert

from tic_shared.db import Database, DriverQuery, asyncpg_dsn, execute_many_in, fetch_in, fetch_row_in
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


ADD = DriverQuery(
    insert(things)
    .values(id=bindparam("id", type_=Integer), kind="open", doc=bindparam("doc", type_=JSONB))
    .returning(things)
)


async def _count(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(things))).scalar_one())


async def test_a_driver_statement_in_a_session_is_inside_its_transaction(empty_database_url: str) -> None:
    await _seed(empty_database_url)
    db = Database(empty_database_url, schema="public", pool_size=2)
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                # The first statement of the transaction: SQLAlchemy has sent no BEGIN yet.
                row = await fetch_row_in(session, ADD, {"id": 3, "doc": {"plan": ["甲", None]}})
                assert row is not None and row["doc"] == {"plan": ["甲", None]}  # JSON written and read back
                raise RuntimeError("roll back")
        assert await _count(db) == 2  # rolled back with the session
        async with db.transaction() as session:
            await session.execute(select(1))
            await fetch_row_in(session, ADD, {"id": 3, "doc": []})
        assert await _count(db) == 3  # committed with it
    finally:
        await db.dispose()


async def test_a_sessions_next_transaction_runs_its_driver_statements_in_that_transaction(
    empty_database_url: str,
) -> None:
    # fetch_row_in keeps the session's connection for the transaction it found it in; the session's next
    # transaction may be on another connection, and its statements must be on that one, inside it.
    await _seed(empty_database_url)
    db = Database(empty_database_url, schema="public", pool_size=2)
    try:
        async with db.sessions() as session:
            async with session.begin():
                await fetch_row_in(session, ADD, {"id": 3, "doc": {}})
                first = await session.scalar(select(func.pg_backend_pid()))
            async with db.transaction() as other:  # holds the connection the first transaction gave back
                assert await other.scalar(select(func.pg_backend_pid())) == first
                with pytest.raises(RuntimeError):
                    async with session.begin():
                        await fetch_row_in(session, ADD, {"id": 4, "doc": {}})
                        assert await session.scalar(select(func.pg_backend_pid())) != first
                        raise RuntimeError("roll back")
        assert await _count(db) == 3  # the first committed; the second rolled back with its own transaction
    finally:
        await db.dispose()


async def test_a_connection_killed_under_a_driver_statement_in_a_session_fails_that_transaction_only(
    empty_database_url: str,
) -> None:
    await _seed(empty_database_url)
    db = Database(empty_database_url, schema="public", pool_size=1, application_name="tic-driver-write")
    admin = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        async with db.transaction() as session:
            await fetch_row_in(session, ADD, {"id": 3, "doc": {}})
        await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'tic-driver-write'"
        )
        with pytest.raises(Exception) as failed:
            async with db.transaction() as session:
                await fetch_row_in(session, ADD, {"id": 4, "doc": {}})
        assert database_outage(failed.value), failed.value
        # The dead connection was invalidated, not handed back: the next transaction gets a live one.
        async with db.transaction() as session:
            assert await fetch_row_in(session, ADD, {"id": 4, "doc": {}}) is not None
        assert await _count(db) == 4
    finally:
        await admin.close()
        await db.dispose()


# Several rows at once, as the inbox marks a batch: the arrays carry the rows, the conflict skips the known ones.
ADD_MANY = DriverQuery(
    text(
        "INSERT INTO public.things (id, kind, doc) SELECT id, 'open', '{}' FROM unnest(CAST(:ids AS int[])) AS n(id)"
        " ON CONFLICT DO NOTHING RETURNING id"
    )
)


async def test_fetch_in_and_execute_many_in_run_inside_the_sessions_transaction(empty_database_url: str) -> None:
    await _seed(empty_database_url)
    db = Database(empty_database_url, schema="public", pool_size=2)
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                # Things 1 and 2 exist: only the new ones come back.
                rows = await fetch_in(session, ADD_MANY, {"ids": [1, 3, 4, 2]})
                assert sorted(row["id"] for row in rows) == [3, 4]
                raise RuntimeError("roll back")
        assert await _count(db) == 2  # rolled back with the session
        async with db.transaction() as session:
            assert await fetch_in(session, ADD_MANY, {"ids": [1, 2]}) == []
            assert [row["id"] for row in await fetch_in(session, ADD_MANY, {"ids": [5]})] == [5]
        assert await _count(db) == 3  # committed with it
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await execute_many_in(session, ADD, [{"id": 6, "doc": {"n": 1}}, {"id": 7, "doc": ["甲"]}])
                raise RuntimeError("roll back")
        assert await _count(db) == 3
        async with db.transaction() as session:
            await execute_many_in(session, ADD, [{"id": 6, "doc": {"n": 1}}, {"id": 7, "doc": ["甲"]}])
        async with db.transaction() as session:
            assert (await fetch_row_in(session, READ, {"id": 7, "everything": 1, "owner": None}))["doc"] == ["甲"]
        assert await _count(db) == 5
    finally:
        await db.dispose()
