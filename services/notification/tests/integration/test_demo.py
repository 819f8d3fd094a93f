"""The demo loader: subscriptions through the API, once; loading after subscribing loads nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from notification.demo import MARKER, load_demo, subscribe
from tic_platform.demo import DemoApi


class InProcessDemoApi(DemoApi):
    def __init__(self, app: Any, signing_key: str) -> None:
        super().__init__({"notification": "http://testserver"}, signing_key)
        self.app = app

    @asynccontextmanager
    async def client(self, service: str, **claims: Any) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"Authorization": f"Bearer {self.token(**claims)}"}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
            yield client


async def test_demo_loads_subscriptions_once(notification: Any, keys: Any, admin: dict[str, str]) -> None:
    async with notification() as (app, client):
        api = InProcessDemoApi(app, keys.private_pem)
        first = await subscribe(api)
        second = await load_demo(api, wait_s=0.5)
        again = await subscribe(api)
        assert first == "notification: 2 webhook subscriptions (to http://127.0.0.1:8199/webhook)"
        assert second.startswith("notification: bureau inbox has ") and second.endswith(" unread items"), second
        assert again == "notification: demo subscriptions already there; nothing loaded"
        listed = (await client.get("/api/v1/subscriptions", headers=admin, params={"limit": 500})).json()["items"]
        demo = [item for item in listed if (item["description"] or "").startswith(MARKER)]
        assert len(demo) == 2
        for item in demo:  # leave nothing behind for the other tests' events
            await client.delete(f"/api/v1/subscriptions/{item['id']}", headers=admin)
