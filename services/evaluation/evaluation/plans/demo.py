"""Demo figures for the plans (`tic dev`): for each plan, some of its reported indicators get figures for the
years so far, reported by their lead department through the API and accepted by the bureau. Most follow their
path, some fall behind (so a TargetAtRisk goes out), one is left waiting for the bureau and one is given back;
the rest stay unreported, so the overdue list has entries. Loads nothing when figures are already there.
The knobs and texts are in `data/demo/plans.json`."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from evaluation.plans.catalog import list_plans, load_plan
from evaluation.plans.model import Direction, IndicatorKind, Plan, PlanIndicator
from evaluation.plans.units import UNIT_LABELS
from tic_platform.demo import DemoApi
from tic_shared.dated_acts import today

DEMO_FILE = Path(__file__).resolve().parents[1] / "data" / "demo" / "plans.json"


@cache
def _demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return data


def _reportable(plan: Plan) -> list[PlanIndicator]:
    return [
        item
        for item in plan.all_indicators()
        if item.indicator.kind is IndicatorKind.REPORTED and item.indicator.direction is Direction.AT_LEAST
    ][: _demo()["per_plan"]]


def _figure(item: PlanIndicator, plan: Plan, year: int, pace: Decimal) -> Decimal:
    """A figure on the straight line from the baseline (or a share of the target at the plan's start) to the final
    target, times `pace`."""
    indicator = item.indicator
    target = indicator.final_target
    start_year, start = (
        (indicator.baseline.year, Decimal(indicator.baseline.value))
        if indicator.baseline
        else (plan.period_start - 1, Decimal(target.value) * Decimal(_demo()["start_without_baseline_share"]))
    )
    span = max(target.year - start_year, 1)
    on_path = start + (Decimal(target.value) - start) * Decimal(year - start_year) / Decimal(span)
    decimals = UNIT_LABELS[indicator.unit].decimals
    return (on_path * pace).quantize(Decimal(1).scaleb(-decimals))


async def load_demo(api: DemoApi) -> str:
    demo = _demo()
    bureau_headers = {"Authorization": f"Bearer {api.token(subject='demo-bureau', roles=['bureau_admin'])}"}
    reported = accepted = 0
    async with api.client("evaluation") as client:
        for code in list_plans():
            plan = load_plan(code)
            items = _reportable(plan)
            last_year = min(plan.period_end, today().year - 1)
            for n, item in enumerate(items):
                lead = item.responsible.lead
                officer = {
                    "Authorization": "Bearer "
                    + api.token(subject=f"demo-{lead}", roles=["department_officer"], department=lead)
                }
                url = f"/api/v1/plans/{plan.code}/indicators/{item.indicator.code}"
                existing = (await client.get(url, headers=bureau_headers)).raise_for_status().json()
                if existing["reports"]:
                    return "evaluation: plan figures already loaded"
                pace = Decimal(demo["behind_share"] if n == 1 else demo["on_path_pace"])
                for year in range(plan.period_start, last_year + 1):
                    body: dict[str, Any] = {
                        "year": year,
                        "value": str(_figure(item, plan, year, pace)),
                        "source": demo["source"].format(year=year),
                    }
                    sent = await client.post(
                        f"{url}/reports", json=body, headers={**officer, "Idempotency-Key": str(uuid.uuid4())}
                    )
                    sent.raise_for_status()
                    reported += 1
                    report = sent.json()
                    if n == 2 and year == last_year:
                        continue  # the latest figure of this one waits for the bureau
                    if n == 3 and year == last_year:
                        back = await client.post(
                            f"/api/v1/plans/reports/{report['id']}/return",
                            json={"reason": demo["return_reason"]},
                            headers=bureau_headers,
                        )
                        back.raise_for_status()
                        continue
                    done = await client.post(f"/api/v1/plans/reports/{report['id']}/accept", headers=bureau_headers)
                    done.raise_for_status()
                    accepted += 1
    return f"evaluation: plans: {reported} figures reported, {accepted} accepted, one waiting and one returned per plan"
