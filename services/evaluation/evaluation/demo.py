"""Demo data for `tic dev`: past annual rounds (2024, 2025) for the registry's demo centers, through the real API.

One center is unqualified twice in a row, so the delisting path (EvaluationFailed ×2 → CenterDelisted) shows end to
end. Loads nothing when the rounds are already there.
"""

import asyncio
import random
from typing import Any

from tic_platform.demo import DemoApi

YEARS = (2024, 2025)
_WAIT_S = 60.0
_SEED = 20250301


def _report(rng: random.Random, strength: float) -> dict[str, Any]:
    def figure(base: int) -> int:
        return max(0, int(base * strength * rng.uniform(0.7, 1.3)))

    return {
        "investment": {
            "lead_unit_fen": figure(3_000_000_000),
            "co_builders_fen": figure(800_000_000),
            "municipal_fiscal_fen": figure(500_000_000),
            "district_fiscal_fen": figure(500_000_000),
            "national_funds_fen": figure(200_000_000),
            "social_capital_fen": figure(600_000_000),
        },
        "team": {
            "total": figure(150),
            "full_time_researchers": figure(90),
            "high_level_teams": figure(3),
            "top_talents": figure(5),
            "young_talents": figure(30),
            "non_rd_staff": figure(20),
        },
        "projects": {"national_major": figure(2), "provincial_major": figure(4), "municipal_major": figure(6)},
        "results": {
            "breakthroughs": figure(4),
            "import_substitution": figure(3),
            "standards": figure(3),
            "patents": figure(40),
        },
        "ecosystem": {
            "bases": figure(2),
            "close_partners": figure(25),
            "spin_offs": figure(2),
            "enterprises_served": figure(40),
        },
    }


async def _evaluable(client: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/centers", params=params)).raise_for_status().json()
        found.extend(center for center in page["items"] if center["evaluable"])
        cursor = page["next_cursor"]
        if not cursor:
            return found


async def load_demo(api: DemoApi) -> str:
    async with api.client("evaluation") as c:
        existing = (await c.get("/api/v1/rounds", params={"limit": 100})).raise_for_status().json()["items"]
        if any(item["year"] in YEARS for item in existing):
            return "evaluation: demo rounds already loaded"
        # The registry's loader has just approved its centers; wait (bounded) for their events to arrive here.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _WAIT_S
        centers: list[dict[str, Any]] = []
        previous = -1
        while loop.time() < deadline:
            centers = await _evaluable(c)
            if centers and len(centers) == previous:
                break
            previous = len(centers)
            await asyncio.sleep(2.0)
        # The annual evaluation is of municipal TICs, for the years after their approval (001 §5(1)).
        eligible = [
            center
            for center in centers
            if center["tier"] == "municipal_tic" and center["approved_on"] and center["approved_on"][:4] < "2024"
        ]
        if not eligible:
            return "evaluation: no evaluable demo centers arrived from the registry; no rounds loaded"
        rng = random.Random(_SEED)
        # A municipal TIC still building: funding has paid it, so its delisting shows a clawback with money in it.
        funded = [center for center in eligible if (center["tier"], center["status"]) == ("municipal_tic", "building")]
        failing = sorted(funded or eligible, key=lambda center: center["center_id"])[0]["center_id"]
        system = (await c.get("/api/v1/indicator-systems/ningbo-tic-2022")).raise_for_status().json()
        qualitative = [i["code"] for g in system["first_level"] for i in g["indicators"] if i["kind"] == "qualitative"]
        experts = [f"demo-expert-{n}" for n in range(1, 6)]
        finalized = 0
        for year in YEARS:
            opened = await c.post("/api/v1/rounds", json={"year": year}, headers={"Idempotency-Key": f"demo-{year}"})
            round_id = opened.raise_for_status().json()["id"]
            items = (
                (await c.get("/api/v1/evaluations", params={"round_id": round_id, "limit": 500}))
                .raise_for_status()
                .json()["items"]
            )
            for item in items:
                weak = item["center_id"] == failing
                strength = 0.15 if weak else rng.uniform(0.6, 1.6)
                url = f"/api/v1/evaluations/{item['id']}"
                await c.put(f"{url}/report", json=_report(rng, strength))
                for expert in experts:
                    await c.post(f"{url}/assignments", json={"expert": expert})
                for expert in experts:
                    async with api.client("evaluation", subject=expert, roles=["expert"]) as e:
                        base = 40 if weak else 60 + 35 * min(strength, 1.0)
                        scores = {code: round(min(100, max(0, rng.gauss(base, 6))), 1) for code in qualitative}
                        await e.put(f"{url}/scores", json={"scores": scores})
            # The bureau reads what finalizing decides, then confirms exactly that.
            preview = (await c.get(f"/api/v1/rounds/{round_id}/finalize-preview")).raise_for_status().json()
            done = await c.post(
                f"/api/v1/rounds/{round_id}/finalize",
                json={"confirm": preview["preview_id"]},
                headers={"Idempotency-Key": f"demo-fin-{year}"},
            )
            finalized += done.raise_for_status().json()["finalized_now"]
        return (
            f"evaluation: rounds {', '.join(map(str, YEARS))} with {finalized} finalized evaluations; "
            f"center {failing} unqualified twice in a row"
        )
