"""Real servers for the notification tests: the app with fast retries, a webhook receiver, an SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from notification.main import create_app
from notification.settings import NotificationSettings
from tic_platform.embedded import free_port
from tic_platform.testing import bearer, eventually, publish, running
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterApproved, Contact, LeadUnit
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Tier

FAST = {
    "delivery_retry_base_s": 0.05,
    "delivery_retry_max_s": 0.2,
    "delivery_max_attempts": 3,
    "delivery_poll_interval_s": 0.1,
    "webhook_timeout_s": 2.0,
}


@pytest.fixture
def notification(make_settings: Callable[..., Any]) -> Callable[..., Any]:
    """`async with notification(**settings) as (app, client)`: the app, consumers bound, worker running."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[FastAPI, Any]]:
        values = {**make_settings("notification").model_dump(), **FAST, **overrides}
        app = create_app(NotificationSettings(**values))
        async with running(app) as client:
            await eventually(lambda: _bound(app), timeout_s=20)
            yield app, client

    return start


async def _bound(app: FastAPI) -> bool:
    return all(consumer.bound.is_set() for consumer in app.state.consumers)


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(subject=f"admin-{uuid.uuid4().hex[:6]}", roles=["bureau_admin"]))


# ---- events ----


def center_approved(
    *,
    center_id: uuid.UUID | None = None,
    sequence: int = 5,
    district: str | None = None,
    email: str | None = None,
    name_zh: str = "宁波市先进高分子材料技术创新中心",
) -> CloudEvent:
    center_id = center_id or uuid.uuid4()
    data = CenterApproved(
        center_id=center_id,
        code="NB-TIC-2026-001",
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.BUILDING,
        district=district or f"d-{uuid.uuid4().hex[:8]}",
        sequence=sequence,
        name_zh=name_zh,
        name_en="Ningbo Municipal Innovation Center of Advanced Polymer Materials Technology",
        field=Field.NEW_MATERIALS,
        lead_unit=LeadUnit(name="宁波示例材料有限公司", credit_code="91330200MA2GQ3XK4C", type=LeadUnitType.ENTERPRISE),
        contacts=[Contact(name="王芳", email=email or f"wf-{uuid.uuid4().hex[:8]}@example.com", role="contact")],
        recommender="鄞州区科技局",
        document_no="甬政发〔2026〕12号",
        approved_on=dt.date(2026, 3, 1),
        construction_start=dt.date(2026, 3, 1),
        construction_end=dt.date(2031, 2, 28),
    )
    return CloudEvent.of(data, subject=str(center_id))


# ---- a webhook receiver: a real HTTP server on 127.0.0.1 ----


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes
    event_id: str
    peer: tuple[str, int] | None = None  # the sender's end of the connection it came on


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    status: int = 200
    delay_s: float = 0.0
    answer: bytes = b""  # the body of every answer
    hits: list[Hit] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def count(self, event_id: uuid.UUID) -> int:
        return sum(1 for hit in self.hits if hit.event_id == str(event_id))

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        event_id = request.headers.get("x-tic-event-id", "")
        self.started.append(event_id)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if 200 <= self.status < 300:
            peer = (request.client.host, request.client.port) if request.client else None
            self.hits.append(Hit(dict(request.headers), body, event_id, peer))
        return Response(self.answer, status_code=self.status)

    async def start(self) -> Receiver:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        await eventually(lambda: _started(self._server))
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self._server = None
        self._task = None


async def _started(server: uvicorn.Server | None) -> bool:
    return bool(server and server.started)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    try:
        yield server
    finally:
        await server.stop()


# ---- an SMTP server ----


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@dataclass
class Smtp:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp() -> Any:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


@asynccontextmanager
async def subscribed(client: Any, headers: dict[str, str], url: str, event_types: list[str]) -> AsyncIterator[Any]:
    """A subscription for the test's duration; deleted after, so later tests' events do not reach it."""
    response = await client.post(
        "/api/v1/subscriptions", json={"url": url, "event_types": event_types}, headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    try:
        yield body
    finally:
        await client.delete(f"/api/v1/subscriptions/{body['id']}", headers=headers)


class Kit:
    """The helpers above, for test modules (with --import-mode=importlib they cannot import this file)."""

    center_approved = staticmethod(center_approved)
    publish = staticmethod(publish)
    subscribed = staticmethod(subscribed)
    Receiver = Receiver


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
