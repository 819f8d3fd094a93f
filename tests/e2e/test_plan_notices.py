"""A plan indicator that turns to behind reaches its lead department's inbox once, and no other department's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tic_platform.testing import bearer, eventually

URL = "/api/v1/plans/linhai-315-2023/indicators/high_tech_value_added_share"  # led by linhai.economy_information


def officer(token: Callable[..., str], department: str) -> dict[str, str]:
    return bearer(token(subject=f"officer-{department}", roles=["department_officer"], department=department))


async def test_target_at_risk_reaches_the_lead_department_once(
    run_service: Any, token: Callable[..., str], own_database_url: str, own_nats: Any
) -> None:
    # A NATS of its own: TargetAtRisk events other tests left on the shared server must not reach this inbox.
    db = {"database_url": own_database_url, "nats_url": own_nats.url}
    economy = officer(token, "linhai.economy_information")
    market = officer(token, "linhai.market_supervision")
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    async with (
        run_service("evaluation", **db) as (_, ev),
        run_service("notification", **db) as (_, note),
    ):
        for year, value in ((2023, "74.0"), (2024, "60.0"), (2025, "59.0")):
            sent = await ev.post(
                f"{URL}/reports", json={"year": year, "value": value, "source": "公报"}, headers=economy
            )
            assert sent.status_code == 201, sent.text
            accepted = await ev.post(f"/api/v1/plans/reports/{sent.json()['id']}/accept", headers=bureau)
            assert accepted.status_code == 200, accepted.text

        async def told(headers: dict[str, str]) -> list[dict[str, Any]]:
            items = (await note.get("/api/v1/inbox", headers=headers)).json()["items"]
            return [item for item in items if item["event_type"] == "tic.evaluation.TargetAtRisk.v1"]

        async def lead_told() -> list[dict[str, Any]] | None:
            return await told(economy) or None

        (item,) = await eventually(lead_told, timeout_s=20)
        assert "高新技术产业增加值" in str(item)
        assert await told(market) == []
        assert len(await told(bureau)) == 1
