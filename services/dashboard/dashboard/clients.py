"""The console is a client of the four services: it calls their REST APIs with the signed-in person's token, so
every scope and row rule of the APIs applies to it unchanged, and a page's calls run in parallel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from dashboard.settings import SERVICES, DashboardSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One API call's outcome: the JSON on success, else the problem (RFC 9457) the service gave, or one made up
    when the service could not be reached at all."""

    service: str
    status: int
    data: Any = None
    problem: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def unavailable(self) -> bool:
        return self.status in (502, 503, 504)

    @property
    def detail(self) -> str:
        if self.problem is None:
            return ""
        return str(self.problem.get("detail") or self.problem.get("title") or "")


class Api:
    """The four services as one person sees them (their bearer token on every call)."""

    def __init__(self, clients: Mapping[str, httpx.AsyncClient], token: str | None) -> None:
        self._clients = clients
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        client = self._clients[service]
        try:
            response = await client.request(
                method, path, params=params, json=json, headers={**self._headers, **(headers or {})}
            )
        except httpx.HTTPError as error:
            log.warning("%s %s %s: %s", service, method, path, error)
            return Answer(
                service,
                503,
                problem={"title": "unreachable", "detail": f"{service} could not be reached", "status": 503},
            )
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.is_success:
            return Answer(service, response.status_code, data=body, headers=dict(response.headers))
        problem = body if isinstance(body, dict) else {"title": response.reason_phrase, "status": response.status_code}
        return Answer(service, response.status_code, problem=problem, headers=dict(response.headers))

    async def get(self, service: str, path: str, **params: Any) -> Answer:
        return await self.call(service, "GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, service: str, path: str, json: Any = None, **headers: str) -> Answer:
        return await self.call(service, "POST", path, json=json, headers=headers)

    async def put(self, service: str, path: str, json: Any = None, **headers: str) -> Answer:
        return await self.call(service, "PUT", path, json=json, headers=headers)


async def gather(**calls: Awaitable[Answer]) -> dict[str, Answer]:
    """Run a page's calls at once; each answer under its name. One call failing never fails the others."""
    names = list(calls)
    answers = await asyncio.gather(*(calls[name] for name in names))
    return dict(zip(names, answers, strict=True))


def make_clients(
    settings: DashboardSettings, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None
) -> dict[str, httpx.AsyncClient]:
    """One pooled client per service, for the app's life."""
    transports = transports or {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    return {
        service: httpx.AsyncClient(
            base_url=settings.service_url(service),
            timeout=settings.api_timeout_s,
            limits=limits,
            transport=transports.get(service),
        )
        for service in SERVICES
    }
