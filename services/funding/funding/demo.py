"""Demo data for `tic dev`: grants, disbursements and expenditures for the registry's demo centers, one clawback.

Loaded through the funding API after the registry's and evaluation's loaders; the centers arrive as events.
"""

import asyncio
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from tic_platform.demo import DemoApi

WAIT_S = 60.0
# Demo figures only (not policy): the jurisdiction's yearly budget, a verified investment per center between its
# low and high in fen, and the share of each grant spent per category (a category marked once, such as the
# forbidden one to be flagged, is spent by the first paid center only).
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo" / "funding.json"


@cache
def _demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return data


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
    low, high = _demo()["investment_fen"]["low"], _demo()["investment_fen"]["high"]
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

        demo = _demo()
        for year in sorted({g["budget_year"] for g in waiting}):
            await client.put(f"/api/v1/budgets/{demo['jurisdiction']}/{year}", json={"budget_fen": demo["budget_fen"]})
        paid = 0
        done_once: set[str] = set()
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
            for spent in demo["spending"]:
                category, share = spent["category"], spent["share"]
                if category in done_once:
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
                if spent.get("once"):
                    done_once.add(category)

        async def clawbacks() -> list[dict[str, Any]]:
            return await _all(client, "/api/v1/clawbacks")

        ordered = await _until(clawbacks, timeout_s=WAIT_S / 2)
        clawback_note = (
            f"{len(ordered)} clawback(s) ordered on delisting/cancellation"
            if ordered
            else "no clawback yet (no demo center was delisted or cancelled)"
        )
        return f"funding: {paid} grants disbursed with expenditures (one forbidden, flagged); {clawback_note}"
