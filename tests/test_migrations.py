"""Alembic: every service's schema upgrades on an empty database, downgrades to nothing, and upgrades again."""

import asyncio
import json
import os
import sys
import uuid
from typing import Any

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


async def test_the_inbox_keeps_each_items_message_when_an_events_message_is_stored_once(
    empty_database_url: str,
) -> None:
    """Migration 0007 of notification moves the message an event's items each carried into one row per event, and
    its downgrade gives every item its message back."""
    await upgrade("notification", empty_database_url, "0006")
    approved, paused = uuid.uuid4(), uuid.uuid4()
    message = {"zh": {"subject": "启动建设", "body": "<p>中心</p>"}, "en": {"subject": "Launched", "body": "<p>C</p>"}}
    notice = {"zh": {"subject": "订阅已暂停", "body": "…"}, "en": {"subject": "Paused", "body": "…"}}
    items = [
        (approved, "role:bureau_admin", message),
        (approved, "role:district_officer/district:yinzhou", message),
        (paused, "user:owner-1", notice),
    ]
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        for event_id, recipient, content in items:
            await _item_before_0007(conn, event_id, recipient, content)
        await upgrade("notification", empty_database_url)
        stored = {
            row["event_id"]: json.loads(row["content"])
            for row in await conn.fetch("SELECT event_id, content FROM notification.inbox_messages")
        }
        assert stored == {approved: message, paused: notice}
        read = await conn.fetch(
            "SELECT i.recipient, m.content FROM notification.inbox_items i"
            " JOIN notification.inbox_messages m USING (event_id)"
        )
        assert sorted((row["recipient"], json.loads(row["content"])) for row in read) == sorted(
            (recipient, content) for _, recipient, content in items
        )

        await downgrade("notification", empty_database_url, "0006")
        back = await conn.fetch("SELECT recipient, content FROM notification.inbox_items")
        assert sorted((row["recipient"], json.loads(row["content"])) for row in back) == sorted(
            (recipient, content) for _, recipient, content in items
        )
    finally:
        await conn.close()


async def test_the_inbox_migration_refuses_an_event_whose_items_say_different_things(empty_database_url: str) -> None:
    """One message per event would lose what the other items said: the migration stops and names the event."""
    await upgrade("notification", empty_database_url, "0006")
    event_id = uuid.uuid4()
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        for recipient, subject in (("role:bureau_admin", "甲"), ("role:center_user", "乙")):
            await _item_before_0007(conn, event_id, recipient, {"zh": {"subject": subject, "body": ""}})
        with pytest.raises(RuntimeError, match=str(event_id)):
            await upgrade("notification", empty_database_url)
        assert "inbox_messages" not in await _tables(empty_database_url, "notification")
    finally:
        await conn.close()


async def _item_before_0007(conn: asyncpg.Connection, event_id: uuid.UUID, recipient: str, content: Any) -> None:
    """An inbox item as notification wrote it before its message moved out (each item carrying its own)."""
    await conn.execute(
        "INSERT INTO notification.inbox_items (id, event_id, event_type, recipient, content)"
        " VALUES ($1, $2, 'tic.test', $3, $4::jsonb)",
        uuid.uuid4(),
        event_id,
        recipient,
        json.dumps(content),
    )
