"""Pytest plugin: the real PostgreSQL and NATS JetStream the tests run against, apps, tokens and helpers.

PostgreSQL and NATS are started for the run (embedded, in a temporary folder) unless `TIC_DATABASE_URL` /
`TIC_NATS_URL` name servers to use instead. Either way the tests get a database of their own, built by the
services' real Alembic migrations.

The embedded NATS servers of a run share one set of users (`nats_users`): each service connects as itself and
may publish only its own subjects, as in production. The `nats_url` a test gets carries the admin user's
credentials (a test plays producers and inspects streams); `make_settings` takes them out again and gives the
service its own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi import FastAPI

from tic_platform.embedded import (
    EmbeddedPostgres,
    NatsServer,
    NatsUsers,
    create_database,
    drop_database,
    service_credentials,
)

SERVICES = ("registry", "evaluation", "funding", "notification")


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _short_tmp(prefix: str) -> Path:
    # Unix-socket paths are limited to ~107 bytes, so stay out of pytest's deep tmp folders.
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server: `TIC_DATABASE_URL` when set, else an embedded one for this run."""
    external = os.environ.get("TIC_DATABASE_URL")
    if external:
        yield external
        return
    root = _short_tmp("tic-pg-")
    server = EmbeddedPostgres(root / "pg", keep=False).start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
async def database_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh database for this run, migrated to head by every service's Alembic migrations."""
    from tic_shared.migrations import upgrade

    name = f"tic_test_{uuid.uuid4().hex[:10]}"
    url = await create_database(pg_server_url, name)
    for service in SERVICES:
        await upgrade(service, url)
    try:
        yield url
    finally:
        await drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
async def template_database(pg_server_url: str) -> AsyncIterator[str]:
    """A database migrated to head once and never opened again: the template `own_database_url` copies."""
    from tic_shared.migrations import upgrade

    name = f"tic_template_{uuid.uuid4().hex[:10]}"
    url = await create_database(pg_server_url, name)
    for service in SERVICES:
        await upgrade(service, url)
    try:
        yield name
    finally:
        await drop_database(pg_server_url, name)


@pytest.fixture
async def own_database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A migrated database of this test's own, copied from the template, dropped after the test.

    For tests whose facts are one per database by nature (the annual round of a real year, the budget of a
    jurisdiction's year): with a database of its own, a test uses the real calendar and leaves no trace.
    """
    name = f"tic_own_{uuid.uuid4().hex[:10]}"
    url = await create_database(pg_server_url, name, template=template_database)
    try:
        yield url
    finally:
        await drop_database(pg_server_url, name)


@pytest.fixture
async def empty_database_url(pg_server_url: str) -> AsyncIterator[str]:
    """A database with nothing in it, dropped after the test."""
    name = f"tic_empty_{uuid.uuid4().hex[:10]}"
    url = await create_database(pg_server_url, name)
    try:
        yield url
    finally:
        await drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def nats_users() -> NatsUsers:
    """The users (and random passwords) of every embedded NATS of this run (any `NatsServer` it starts)."""
    return NatsUsers.of_this_process()


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@pytest.fixture(scope="session")
def nats_url(nats_users: NatsUsers) -> Iterator[str]:
    """A NATS JetStream server: `TIC_NATS_URL` when set, else one started for this run (as its admin user)."""
    external = os.environ.get("TIC_NATS_URL")
    if external:
        yield external
        return
    root = _short_tmp("tic-nats-")
    server = NatsServer(root, users=nats_users).start()
    try:
        yield server.admin_url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def own_nats(nats_users: NatsUsers) -> Iterator[NatsServer]:
    """A NATS server this test alone controls: it may stop and restart it. Its `admin_url` is for the test."""
    root = _short_tmp("tic-nats-own-")
    server = NatsServer(root, users=nats_users).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def keys() -> KeyPair:
    """A signing key pair of this run; the services trust its public half."""
    private = ed25519.Ed25519PrivateKey.generate()
    return KeyPair(
        private_pem=private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        public_pem=private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


@pytest.fixture(scope="session")
def make_settings(database_url: str, nats_url: str, keys: KeyPair, nats_users: NatsUsers) -> Callable[..., Any]:
    """Settings for a service in the test environment; keyword arguments override. The service connects to
    NATS as itself (the credentials of a `nats_url` override are replaced by the service's own)."""
    from tic_shared.settings import Environment, ServiceSettings

    def build(service: str, nats_as: str | None = None, **overrides: Any) -> ServiceSettings:
        """`nats_as` connects as another NATS user: a test's own consumer (not a real service) as the admin."""
        values: dict[str, Any] = {
            "service": service,
            "environment": Environment.TEST,
            "database_url": database_url,
            "nats_url": nats_url,
            "jwt_public_key": keys.public_pem,
            "log_json": False,
            "relay_poll_interval_s": 0.5,
            "consumer_retry_delays_s": [0.05, 0.1, 0.2],
            "consumer_max_attempts": 3,
            "consumer_ack_wait_s": 5.0,
        }
        values.update(overrides)
        user = nats_as or service
        if not os.environ.get("TIC_NATS_URL") and user in nats_users.passwords:
            values["nats_url"] = without_credentials(values["nats_url"])
            # A test may override them (to connect as no one, or with a wrong password).
            for key, value in service_credentials(nats_users, user).items():
                if key not in overrides:
                    values[key] = value
        return settings_class(service)(**values)

    return build


def settings_class(service: str) -> type[Any]:
    """The service's own settings class (e.g. `notification.settings.NotificationSettings`), else the shared one."""
    import importlib

    from tic_shared.settings import ServiceSettings

    try:
        module = importlib.import_module(f"{service}.settings")
    except ModuleNotFoundError:
        return ServiceSettings
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings:
            return value
    return ServiceSettings


@pytest.fixture(scope="session")
def token(keys: KeyPair) -> Callable[..., str]:
    """Mint a bearer token: `token(roles=[...])`, `token(scopes=[...])`, `token(district=...)`."""
    from tic_shared.auth import mint_token

    def mint(subject: str = "test-user", **claims: Any) -> str:
        return mint_token(keys.private_pem, subject=subject, **claims)

    return mint


def create_app(service: str, settings: Any) -> FastAPI:
    module = __import__(f"{service}.main", fromlist=["create_app"])
    app: FastAPI = module.create_app(settings)
    return app


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (relay, consumers) and a client speaking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
def run_service(make_settings: Callable[..., Any]) -> Callable[..., Any]:
    """`async with run_service("registry", **settings) as (app, client): ...`"""

    @asynccontextmanager
    async def start(service: str, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        app = create_app(service, make_settings(service, **overrides))
        async with running(app) as client:
            yield app, client

    return start


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout_s: float = 10.0, interval_s: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; the last value, or fail naming the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s (last value: {value!r})")
        await asyncio.sleep(interval_s)


async def publish(url: str, event: Any, msg_id: str | None = None, settings: Any = None) -> Any:
    """Publish a CloudEvent as its producer's relay would; `msg_id` other than the event id stores a second copy
    (a redelivery, as the consumer sees it). With `settings`, the producer's stream is declared first."""
    import nats

    from tic_shared.streams import ensure_stream

    nc = await nats.connect(url)
    try:
        if settings is not None:
            await ensure_stream(nc.jetstream(), event.type.split(".")[1], settings)
        await nc.jetstream().publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": msg_id or str(event.id)}
        )
    finally:
        await nc.close()
    return event


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def take_to_approval(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    center_id: str,
    *,
    approved_on: date,
    document_no: str,
    domain_zh: str,
    domain_en: str,
    score: int = 88,
) -> dict[str, Any]:
    """Take a draft through the registry's lifecycle to approval on `approved_on`, each act dated after the one
    before it (submitted 40 days before, notice started 20 days before), and return the approved center."""

    def before(days: int) -> str:
        return str(approved_on - timedelta(days=days))

    steps: list[tuple[str, dict[str, Any]]] = [
        ("submit", {"on": before(40)}),
        ("start-review", {"on": before(39)}),
        (
            "review",
            {"passed": True, "score": score, "opinion": "同意", "experts": ["专家甲"], "reviewed_on": before(35)},
        ),
        ("decision", {"approved": True, "meeting_ref": "常务会议", "decided_on": before(30)}),
        ("public-notice", {"starts_on": before(20)}),
        (
            "approve",
            {
                "document_no": document_no,
                "approved_on": str(approved_on),
                "domain_zh": domain_zh,
                "domain_en": domain_en,
            },
        ),
    ]
    response: httpx.Response | None = None
    for action, body in steps:
        response = await client.post(f"/api/v1/centers/{center_id}/{action}", json=body, headers=headers)
        assert response.status_code == 200, f"{action}: {response.text}"
    assert response is not None
    return dict(response.json())
