"""Alembic: every service's schema upgrades on an empty database, downgrades to nothing, and upgrades again."""

import asyncio
import os
import sys

import asyncpg
import pytest

from tic_platform.testing import SERVICES
from tic_shared.db import asyncpg_dsn
from tic_shared.migrations import downgrade, upgrade


async def _tables(url: str, schema: str) -> set[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_database_url: str, service: str) -> None:
    await upgrade(service, empty_database_url)
    tables = await _tables(empty_database_url, service)
    assert {"outbox", "inbox", "dead_letters", "alembic_version"} <= tables

    await downgrade(service, empty_database_url, "base")
    assert await _tables(empty_database_url, service) == {"alembic_version"}

    await upgrade(service, empty_database_url)
    assert await _tables(empty_database_url, service) == tables


async def test_two_replicas_migrating_at_once_do_not_collide(empty_database_url: str) -> None:
    # Three processes, as three replicas' migration jobs would be: without the advisory lock they race to
    # create the same schema and tables, and all but one fail.
    env = {**os.environ, "TIC_DATABASE_URL": empty_database_url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tic_platform.cli",
            "migrate",
            "--service",
            "registry",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    for process, (output, _) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output.decode()
    assert "outbox" in await _tables(empty_database_url, "registry")


async def test_version_table_lives_inside_the_service_schema(empty_database_url: str) -> None:
    await upgrade("funding", empty_database_url)
    assert "alembic_version" in await _tables(empty_database_url, "funding")
    assert "alembic_version" not in await _tables(empty_database_url, "public")
