"""The demo data loads through the real API, reaches every stage, and loads only once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from registry.demo import generate_demo_centers, load_demo
from tic_platform.demo import DemoApi


async def test_demo_centers_load_through_the_api_once(registry: Any, keys: Any) -> None:
    api = DemoApi(
        {"registry": "http://testserver"},
        signing_key=keys.private_pem,
        transports={"registry": httpx.ASGITransport(app=registry.app)},
    )
    said = await load_demo(api)
    assert said.startswith("registry: 41 centers")

    expected = generate_demo_centers()
    found: Counter[str] = Counter()
    for center in expected:
        response = await registry.client.get(
            "/api/v1/centers", params={"lead_unit_credit_code": center.lead_unit.credit_code}, headers=registry.admin
        )
        [item] = response.json()["items"]
        assert item["status"] == center.final_state, center.key
        assert item["tier"] == center.final_tier
        found[item["status"]] += 1
    assert len(found) == 13  # every state of the lifecycle is shown

    assert "nothing loaded" in await load_demo(api)
