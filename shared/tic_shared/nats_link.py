"""The service's one NATS connection: connects in the background, reconnects forever, counts reconnects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from tic_shared.nats_access import connect_options
from tic_shared.settings import Environment, ServiceSettings

log = logging.getLogger(__name__)


class NatsLink:
    """A broker outage must not stop the service: the API keeps answering and the outbox keeps filling."""

    def __init__(
        self, url: str, *, name: str, connect_timeout_s: float = 2.0, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.name = name
        self.connect_timeout_s = connect_timeout_s
        self.options = options or {}
        self.nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self.ready = asyncio.Event()
        # Bumped on every reconnect (for logs and tests). The consumers keep their pull subscriptions across
        # it: the client subscribes their inboxes again, and re-binding would drop what is already on its way.
        self.generation = 0
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def for_service(cls, settings: ServiceSettings) -> NatsLink:
        """The service's link, authenticated as the service (its NATS user may publish only its subjects)."""
        if settings.environment is Environment.PRODUCTION and not settings.nats_user:
            raise ValueError("TIC_NATS_USER and TIC_NATS_PASSWORD are required in production: NATS is not open")
        return cls(
            settings.nats_url,
            name=f"tic-{settings.service}",
            connect_timeout_s=settings.nats_connect_timeout_s,
            options=connect_options(settings),
        )

    def on_connected(self, listener: Callable[[], None]) -> None:
        """Call `listener` after the first connect and after every reconnect."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise ConnectionError("NATS is not connected yet")
        return self._js

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_until_done(), name=f"nats-connect-{self.name}")

    async def _connect_until_done(self) -> None:
        delay = 0.2
        while True:
            try:
                nc = await nats.connect(
                    servers=[self.url],
                    name=self.name,
                    connect_timeout=self.connect_timeout_s,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    error_cb=self._on_error,
                    **self.options,
                )
            except Exception as exc:
                log.warning("NATS at %s not reachable yet (%s); retrying in %.1fs", self.url, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.nc = nc
            self._js = nc.jetstream()
            self.ready.set()
            self._notify()
            log.info("connected to NATS at %s", self.url)
            return

    async def _on_disconnected(self) -> None:
        log.warning("disconnected from NATS")

    async def _on_reconnected(self) -> None:
        self.generation += 1
        log.info("reconnected to NATS (generation %d)", self.generation)
        self._notify()

    async def _on_error(self, exc: Exception) -> None:
        # A permissions violation means the deployment gave this service the wrong rights: say so loudly.
        if "permissions violation" in str(exc).lower() or "authorization" in str(exc).lower():
            log.error("NATS refused %s: %s", self.name, exc)
        else:
            log.debug("NATS error: %s", exc)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.drain(), timeout=5)
            with contextlib.suppress(Exception):
                await self.nc.close()
