"""The whole platform on loopback for one fault scenario, every part a real one that can be killed.

Its own embedded PostgreSQL and NATS JetStream, the four services as `uvicorn` processes (as `tic dev` runs
them: `tic_platform.processes`, the notification service as two, its API and consumers and its delivery worker),
an SMTP sink (aiosmtpd) and a webhook receiver that count what reaches them, all in one folder that is
deleted afterwards. The scenario kills and restarts any of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tic_platform.embedded import EmbeddedPostgres, NatsServer, free_port
from tic_platform.processes import PROCESSES, SERVICES, Process, of_service

WEBHOOK_EVENT_TYPES = ["tic.registry.*", "tic.funding.*"]


@dataclass(frozen=True)
class Mail:
    """What the mailbox held at one moment."""

    received: Counter[tuple[str, str]]
    message_ids: Counter[str]
    deliveries: dict[tuple[str, str], set[str]]  # the Message-IDs each (event, recipient) came under


class Mailbox:
    """The SMTP sink: what each recipient got, by the event id the message carries. The SMTP server runs in a thread
    of its own: what it counts is read through `held()`, a copy taken under the same lock (a late retry arriving
    while the checks read the counts failed a scenario with "dictionary changed size during iteration")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: Counter[tuple[str, str]] = Counter()
        self._message_ids: Counter[str] = Counter()
        self._deliveries: dict[tuple[str, str], set[str]] = {}
        self.last_at = 0.0  # time.monotonic() of the last message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        event_id = str(message.get("X-TIC-Event-Id", ""))
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self._received[(event_id, rcpt.lower())] += 1
                self._deliveries.setdefault((event_id, rcpt.lower()), set()).add(str(message.get("Message-ID", "")))
            self._message_ids[str(message.get("Message-ID", ""))] += 1
            self.last_at = time.monotonic()
        return "250 OK"

    def held(self) -> Mail:
        with self._lock:
            return Mail(
                Counter(self._received),
                Counter(self._message_ids),
                {key: set(ids) for key, ids in self._deliveries.items()},
            )


@dataclass
class WebhookReceiver:
    """A subscriber's endpoint that answers 2xx and counts each event id; it can be taken down and back."""

    port: int = field(default_factory=free_port)
    received: Counter[str] = field(default_factory=Counter)
    deliveries: dict[str, set[str]] = field(default_factory=dict)  # the X-TIC-Delivery ids each event came under
    last_at: float = 0.0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        try:
            await request.body()
        except ClientDisconnect:  # the sender was killed mid-request: nothing arrived
            return Response(status_code=400)
        event_id = request.headers.get("x-tic-event-id", "")
        self.received[event_id] += 1
        self.deliveries.setdefault(event_id, set()).add(request.headers.get("x-tic-delivery", ""))
        self.last_at = time.monotonic()
        return Response(status_code=204)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=10)
        self._server = None
        self._task = None


class Platform:
    """One scenario's platform. `async with Platform(folder) as p:` starts it all; leaving stops it all."""

    def __init__(self, folder: Path, *, service_env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.service_env = service_env or {}
        self.pg = EmbeddedPostgres(folder / "pg", keep=True)
        self.nats = NatsServer(folder / "nats")
        self.mailbox = Mailbox()
        self.smtp: Controller | None = None
        self.smtp_port = free_port()
        self.receiver = WebhookReceiver()
        self.ports = {process.name: free_port() for process in PROCESSES}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.subscription_id = ""

    def url(self, process: str) -> str:
        """Where a process listens; a service's name is its API's process."""
        return f"http://127.0.0.1:{self.ports[process]}"

    async def __aenter__(self) -> Platform:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.pg.start()
        self.nats.start()
        from tic_shared.migrations import upgrade

        for service in SERVICES:
            await upgrade(service, self.pg.url, "head")
        self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()
        await self.receiver.start()
        for service in SERVICES:
            self.start_service(service)
        await self.wait_ready(SERVICES)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        await self.receiver.stop()
        if self.smtp is not None:
            self.smtp.stop()
        self.nats.stop()
        self.pg.keep = False
        with contextlib.suppress(Exception):
            import pgserver

            pgserver.get_server(str(self.pg.data_dir), cleanup_mode="delete").cleanup()

    # ---- the services ----

    def _env(self, process: Process) -> dict[str, str]:
        env = {
            **os.environ,
            "TIC_ENVIRONMENT": "development",
            "TIC_DATABASE_URL": self.pg.url,
            **self.nats.env_for(process.service),  # each service connects to NATS as itself
            "TIC_LOG_JSON": "false",
            "TIC_LOG_LEVEL": "WARNING",
            **process.env,
            **self.service_env,
        }
        if process.service == "notification":
            env.update(TIC_SMTP_HOST="127.0.0.1", TIC_SMTP_PORT=str(self.smtp_port))
        return env

    def start_service(self, service: str) -> None:
        """Every process of the service."""
        for process in of_service(service):
            log = open(self.folder / f"{process.name}.log", "ab")  # noqa: SIM115 - kept open for the child
            self.processes[process.name] = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "--factory", process.factory),
                    *("--host", "127.0.0.1", "--port", str(self.ports[process.name]), "--log-level", "warning"),
                ],
                env=self._env(process),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_service(self, service: str) -> None:
        """kill -9 of every process of the service at once: no shutdown hook runs, nothing in flight is finished."""
        killed = [self.processes[process.name] for process in of_service(service)]
        for process in killed:
            process.send_signal(signal.SIGKILL)
        for process in killed:
            process.wait(10)

    async def wait_ready(self, services: tuple[str, ...] | list[str], timeout_s: float = 90.0) -> None:
        """Until every process of each service answers /readyz."""
        deadline = time.monotonic() + timeout_s
        pending = {process.name for service in services for process in of_service(service)}
        async with httpx.AsyncClient(timeout=2) as client:
            while pending:
                for name in list(pending):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{self.url(name)}/readyz")).status_code == 200:
                            pending.discard(name)
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout_s}s: {sorted(pending)}")
                await asyncio.sleep(0.2)

    # ---- the servers ----

    def kill_nats(self) -> None:
        assert self.nats.process is not None
        self.nats.process.send_signal(signal.SIGKILL)
        self.nats.process.wait(10)

    def start_nats(self) -> None:
        self.nats.start()

    def stop_postgres(self) -> None:
        """A fast shutdown (pg_ctl -m fast): every connection is cut."""
        self.pg.stop()

    def start_postgres(self) -> None:
        self.pg.start()
