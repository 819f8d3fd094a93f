"""Demo data for `tic dev`: two webhook subscriptions of "other government systems" and a populated inbox.

`subscribe` runs before the other services' demos, so their events reach the subscriptions; `load_demo` runs after
them and says what the inbox got (the events reach this service through its consumers). The subscriptions point at
the example receiver's address (services/notification/examples/webhook_receiver.py); with nothing listening there
their deliveries retry, dead-letter and pause, each attempt logged, which the dashboard shows.
"""

from __future__ import annotations

import asyncio

from tic_platform.demo import DemoApi

MARKER = "[demo]"
RECEIVER = "http://127.0.0.1:8199/webhook"
SUBSCRIPTIONS = (
    {
        "url": RECEIVER,
        "event_types": ["tic.funding.*", "tic.registry.CenterApproved.v1", "tic.registry.CenterDelisted.v1"],
        "description": f"{MARKER} 市财政局资金监管系统 (finance bureau)",
    },
    {
        "url": RECEIVER,
        "event_types": ["tic.registry.*", "tic.evaluation.*"],
        "description": f"{MARKER} 区县科技管理系统 (district systems)",
    },
)


async def subscribe(api: DemoApi) -> str:
    """The demo subscriptions, unless they are there already."""
    if await _subscribed(api):
        return f"notification: {len(SUBSCRIPTIONS)} webhook subscriptions (to {RECEIVER})"
    return "notification: demo subscriptions already there; nothing loaded"


async def load_demo(api: DemoApi, *, wait_s: float = 30.0) -> str:
    """The subscriptions if `subscribe` has not made them, then how many unread items the bureau's inbox got."""
    made = await _subscribed(api)
    unread = await _wait_for_inbox(api, wait_s)
    subscriptions = f"{len(SUBSCRIPTIONS)} webhook subscriptions (to {RECEIVER}); " if made else ""
    return f"notification: {subscriptions}bureau inbox has {unread} unread items"


async def _subscribed(api: DemoApi) -> bool:
    """Make the demo subscriptions; False when they were there already."""
    async with api.client("notification") as client:
        existing = await client.get("/api/v1/subscriptions", params={"limit": 500})
        existing.raise_for_status()
        if any((item.get("description") or "").startswith(MARKER) for item in existing.json()["items"]):
            return False
        for index, subscription in enumerate(SUBSCRIPTIONS):
            response = await client.post(
                "/api/v1/subscriptions", json=subscription, headers={"Idempotency-Key": f"demo-subscription-{index}"}
            )
            response.raise_for_status()
    return True


async def _wait_for_inbox(api: DemoApi, wait_s: float) -> int:
    """The registry demo's events arrive through the consumers; wait for them, but not forever."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    unread = 0
    async with api.client("notification", roles=["bureau_admin"]) as client:
        while loop.time() < deadline:
            response = await client.get("/api/v1/inbox/unread-count")
            unread = int(response.json()["unread"]) if response.status_code == 200 else 0
            if unread:
                await asyncio.sleep(2)  # let the rest of the burst land
                response = await client.get("/api/v1/inbox/unread-count")
                return int(response.json()["unread"])
            await asyncio.sleep(0.5)
    return unread
