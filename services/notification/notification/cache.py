"""Short-lived in-process copies of what every event's fan-out reads: subscriptions and templates.

Each change made through this process's API clears them at once; another replica's change shows here within
`ttl_s`.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification.store import subscriptions as subscriptions_store
from notification.store import templates as templates_store
from notification.store.records import Candidate


class FanOutCache:
    def __init__(self, ttl_s: float = 2.0) -> None:
        self.ttl_s = ttl_s
        self._subscriptions: tuple[float, list[Candidate]] | None = None
        self._templates: dict[str, tuple[float, dict[str, Any]]] = {}

    def clear(self) -> None:
        self._subscriptions = None
        self._templates.clear()

    async def subscriptions(self, session: AsyncSession) -> list[Candidate]:
        now = time.monotonic()
        if self._subscriptions is None or now - self._subscriptions[0] > self.ttl_s:
            self._subscriptions = (now, await subscriptions_store.matching_candidates(session))
        return self._subscriptions[1]

    async def templates(self, session: AsyncSession, name: str) -> dict[str, Any]:
        now = time.monotonic()
        cached = self._templates.get(name)
        if cached is None or now - cached[0] > self.ttl_s:
            cached = (now, await templates_store.for_event(session, name))
            self._templates[name] = cached
        return cached[1]
