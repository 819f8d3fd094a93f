"""Demo data for `tic dev`, loaded through the running services' own APIs, so it obeys every rule they enforce.

Each service that has demo data names a module here with `async def load_demo(api: DemoApi) -> str`, returning a
line saying what it loaded (`module:function` names another loader of the module). Loaders run in order once the
services are ready; each must notice that its data is already there (a second `tic dev` on the same data folder)
and load nothing then.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tic_shared.auth import mint_token
from tic_shared.settings import ServiceSettings, dev_signing_key

# Notification subscribes first, so the other demos' events reach its webhooks (and their attempts its log);
# funding pays before evaluation runs its past rounds, so the center those delist has money to claw back;
# notification's inbox is counted last, once their events have arrived.
LOADERS: tuple[str, ...] = (
    "notification.demo:subscribe",
    "registry.demo",
    "funding.demo",
    "evaluation.demo",
    "evaluation.plans.demo",
    "notification.demo",
)


class DemoApi:
    """Clients for the running services, with tokens signed by the development key."""

    def __init__(
        self,
        base_urls: dict[str, str],
        signing_key: str | None = None,
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.base_urls = base_urls
        self.transports = transports or {}
        self.signing_key = signing_key or dev_signing_key()
        settings = ServiceSettings()
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience

    def token(self, subject: str = "demo-loader", **claims: Any) -> str:
        claims.setdefault("roles", ["bureau_admin"])
        return mint_token(self.signing_key, subject=subject, issuer=self._issuer, audience=self._audience, **claims)

    @asynccontextmanager
    async def client(self, service: str, **claims: Any) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"Authorization": f"Bearer {self.token(**claims)}"}
        async with httpx.AsyncClient(
            base_url=self.base_urls[service], headers=headers, timeout=30, transport=self.transports.get(service)
        ) as client:
            yield client


async def load_demo(api: DemoApi) -> None:
    for entry in LOADERS:
        module_name, _, function = entry.partition(":")
        module = importlib.import_module(module_name)
        loader: Callable[[DemoApi], Awaitable[str]] = getattr(module, function or "load_demo")
        print(f"tic: demo: {await loader(api)}", flush=True)
