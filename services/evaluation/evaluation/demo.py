"""Demo data for `tic dev`: past annual rounds for the registry's demo centers, through the real API.

One center is unqualified twice in a row, so the delisting path (EvaluationFailed ×2 → CenterDelisted) shows end to
end. Loads nothing when the rounds are already there. The figures are in `data/demo/rounds.json`.
"""

import asyncio
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

from tic_platform.demo import DemoApi

WAIT_S = 60.0
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo" / "rounds.json"


@cache
def _demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return data


# A center reports money as its accounts do, in 万元 to two places: whole hundreds of yuan, in fen.
_REPORTED_FEN = 10_000


def _report(rng: random.Random, strength: float) -> dict[str, Any]:
    """A plausible annual report: each of the demo's base figures times `strength`, spread at random (money to the
    hundred yuan, as a report gives it)."""
    spread = _demo()["figure_spread"]

    def figure(name: str, base: int) -> int:
        value = max(0, int(base * strength * rng.uniform(spread["low"], spread["high"])))
        return round(value / _REPORTED_FEN) * _REPORTED_FEN if name.endswith("_fen") else value

    return {
        section: {name: figure(name, base) for name, base in figures.items()}
        for section, figures in _demo()["report"].items()
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


async def _arrived(client: Any) -> list[dict[str, Any]]:
    """The registry's loader has just approved its centers: wait (bounded) until their events stop arriving."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    centers: list[dict[str, Any]] = []
    previous = -1
    while loop.time() < deadline:
        centers = await _evaluable(client)
        if centers and len(centers) == previous:
            break
        previous = len(centers)
        await asyncio.sleep(2.0)
    return centers


async def load_demo(api: DemoApi) -> str:
    demo = _demo()
    years = demo["years"]
    async with api.client("evaluation") as c:
        existing = (await c.get("/api/v1/rounds", params={"limit": 100})).raise_for_status().json()["items"]
        if any(item["year"] in years for item in existing):
            return "evaluation: demo rounds already loaded"
        # The annual evaluation is of municipal TICs, for the years after their approval (001 §5(1)).
        wanted = demo["eligible"]
        eligible = [
            center
            for center in await _arrived(c)
            if center["tier"] == wanted["tier"]
            and center["approved_on"]
            and int(center["approved_on"][:4]) < wanted["approved_before_year"]
        ]
        if not eligible:
            return "evaluation: no evaluable demo centers arrived from the registry; no rounds loaded"
        rng = random.Random(demo["seed"])
        # A center still building: funding has paid it, so its delisting shows a clawback with money in it.
        funded = [center for center in eligible if center["status"] == wanted["failing_status"]]
        failing = sorted(funded or eligible, key=lambda center: center["center_id"])[0]["center_id"]
        system = (await c.get(f"/api/v1/indicator-systems/{demo['indicator_system']}")).raise_for_status().json()
        qualitative = [i["code"] for g in system["first_level"] for i in g["indicators"] if i["kind"] == "qualitative"]
        strength, scores = demo["strength"], demo["scores"]
        finalized = 0
        for year in years:
            opened = await c.post("/api/v1/rounds", json={"year": year}, headers={"Idempotency-Key": f"demo-{year}"})
            round_id = opened.raise_for_status().json()["id"]
            items = (
                (await c.get("/api/v1/evaluations", params={"round_id": round_id, "limit": 500}))
                .raise_for_status()
                .json()["items"]
            )
            for item in items:
                weak = item["center_id"] == failing
                power = strength["weak"] if weak else rng.uniform(strength["low"], strength["high"])
                url = f"/api/v1/evaluations/{item['id']}"
                await c.put(f"{url}/report", json=_report(rng, power))
                for expert in demo["experts"]:
                    await c.post(f"{url}/assignments", json={"expert": expert})
                for expert in demo["experts"]:
                    async with api.client("evaluation", subject=expert, roles=["expert"]) as e:
                        base = scores["weak"] if weak else scores["base"] + scores["span"] * min(power, 1.0)
                        given = {
                            code: round(min(100, max(0, rng.gauss(base, scores["deviation"]))), 1)
                            for code in qualitative
                        }
                        await e.put(f"{url}/scores", json={"scores": given})
            # The bureau reads what finalizing decides, then confirms exactly that.
            preview = (await c.get(f"/api/v1/rounds/{round_id}/finalize-preview")).raise_for_status().json()
            done = await c.post(
                f"/api/v1/rounds/{round_id}/finalize",
                json={"confirm": preview["preview_id"]},
                headers={"Idempotency-Key": f"demo-fin-{year}"},
            )
            finalized += done.raise_for_status().json()["finalized_now"]
        return (
            f"evaluation: rounds {', '.join(map(str, years))} with {finalized} finalized evaluations; "
            f"center {failing} unqualified twice in a row"
        )
