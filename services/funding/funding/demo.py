"""Demo data for `tic dev`: grants, disbursements and expenditures for the registry's demo centers, one clawback.

Loaded through the funding API after the registry's and evaluation's loaders; the centers arrive as events.
"""

import asyncio
import hashlib
from typing import Any

import httpx

from tic_platform.demo import DemoApi

WAIT_S = 60.0
# Demo figures only (not policy): a verified investment per center between 2 and 12 million yuan, in fen.
_INVESTMENT_FEN = (200_000_000, 1_000_000_000)
_BUDGET_FEN = 10_000_000_000
_SPENDING = (("equipment", 0.40), ("talent", 0.20), ("sponsorship", 0.05))


async def _all(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        response.raise_for_status()
        page = response.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


async def _until(check: Any, timeout_s: float = WAIT_S) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(1.0)


def _investment(center_id: str) -> int:
    low, high = _INVESTMENT_FEN
    return low + int(hashlib.sha256(center_id.encode()).hexdigest(), 16) % (high - low) // 100 * 100


async def _post(client: httpx.AsyncClient, path: str, key: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(path, json=body or {}, headers={"Idempotency-Key": key})
    if response.status_code >= 400:
        raise RuntimeError(f"funding demo: POST {path} → {response.status_code} {response.text}")
    result: dict[str, Any] = response.json()
    return result


async def load_demo(api: DemoApi) -> str:
    async with api.client("funding", subject="demo-funding") as client:
        if await _all(client, "/api/v1/grants", status="disbursed"):
            return "funding: demo grants already there, nothing loaded"

        async def grants_open() -> list[dict[str, Any]]:
            return await _all(client, "/api/v1/grants", status="awaiting_investment")

        waiting = await _until(grants_open)
        if not waiting:
            return "funding: no demo center's year-1 grant arrived from the registry; nothing loaded"

        for year in sorted({g["budget_year"] for g in waiting}):
            await client.put(f"/api/v1/budgets/ningbo/{year}", json={"budget_fen": _BUDGET_FEN})
        paid = 0
        forbidden_recorded = False
        for grant in waiting:
            gid, center_id = grant["grant_id"], grant["center_id"]
            calculated = await _post(
                client,
                f"/api/v1/grants/{gid}/calculate",
                f"demo-calc-{gid}",
                {"verified_investment_fen": _investment(center_id)},
            )
            if not calculated["amount_fen"]:
                continue
            await _post(client, f"/api/v1/grants/{gid}/approve", f"demo-approve-{gid}")
            await _post(client, f"/api/v1/grants/{gid}/disburse", f"demo-disburse-{gid}")
            paid += 1
            for category, share in _SPENDING:
                if category == "sponsorship" and forbidden_recorded:
                    continue
                await _post(
                    client,
                    f"/api/v1/centers/{center_id}/expenditures",
                    f"demo-spend-{gid}-{category}",
                    {
                        "category": category,
                        "amount_fen": max(100, int(calculated["amount_fen"] * share) // 100 * 100),
                        "description": "演示数据 demo",
                    },
                )
                forbidden_recorded = forbidden_recorded or category == "sponsorship"

        async def clawbacks() -> list[dict[str, Any]]:
            return await _all(client, "/api/v1/clawbacks")

        ordered = await _until(clawbacks, timeout_s=WAIT_S / 2)
        clawback_note = (
            f"{len(ordered)} clawback(s) ordered on delisting/cancellation"
            if ordered
            else "no clawback yet (no demo center was delisted or cancelled)"
        )
        return f"funding: {paid} grants disbursed with expenditures (one forbidden, flagged); {clawback_note}"
