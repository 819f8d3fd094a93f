"""Fixtures of the cross-service tests: one world, built once per run, on a database and a NATS of its own."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.world import World, world_of_own
from tic_platform.embedded import NatsServer, NatsUsers, create_database, drop_database


@pytest.fixture(scope="session")
async def world(
    pg_server_url: str,
    template_database: str,
    make_settings: Callable[..., Any],
    token: Callable[..., str],
    nats_users: NatsUsers,
) -> AsyncIterator[World]:
    """Read-only for its users (the access matrix, the bad-input suite): what they send must change nothing."""
    name = f"tic_world_{uuid.uuid4().hex[:10]}"
    url = await create_database(pg_server_url, name, template=template_database)
    root = Path(tempfile.mkdtemp(prefix="tic-nats-world-", dir="/tmp"))
    nats = NatsServer(root, users=nats_users).start()
    try:
        async with world_of_own(make_settings, url, nats.admin_url, token) as built:
            yield built
    finally:
        nats.stop()
        shutil.rmtree(root, ignore_errors=True)
        await drop_database(pg_server_url, name)
