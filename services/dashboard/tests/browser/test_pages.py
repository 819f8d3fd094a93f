"""Every page of the console, as the people who use it see it: rendered, accessible, without a browser error,
and showing each person only what their role and scope allow."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import Console, SignIn, Watched

SERIOUS = ("serious", "critical")


async def _ids(console: Console) -> dict[str, str]:
    """One of each record the pages show, taken from the services' APIs."""
    admin = console.bearer()
    centers = await console.centers(status="operating")
    grants = (await console.services["funding"].get("/api/v1/grants", params={"limit": 50}, headers=admin)).json()
    evaluations = (await console.services["evaluation"].get("/api/v1/evaluations", headers=admin)).json()
    return {
        "center": centers[0]["id"],
        "grant": grants["items"][0]["grant_id"],
        "evaluation": evaluations["items"][0]["id"],
    }


async def _axe(watched: Watched) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (the console serves axe itself, no CDN)."""
    page = watched.page
    await page.add_script_tag(url="/assets/vendor/axe.min.js")
    result = await page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in json.loads(result)
        if v["impact"] in SERIOUS
    ]


async def test_every_page_renders_for_the_bureau_accessibly_and_without_errors(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    ids = await _ids(console)
    pages = {
        "overview": "/",
        "centers": "/centers",
        "center": f"/centers/{ids['center']}",
        "application": "/applications/new",
        "evaluation": "/evaluation",
        "evaluation-detail": f"/evaluation/{ids['evaluation']}",
        "funding": "/funding",
        "grant": f"/funding/grants/{ids['grant']}",
        "ledger": f"/funding/ledgers/{ids['center']}",
        "calculator": "/funding/calculator",
        "operations": "/operations",
        "import": "/import",
        "plans": "/plans",
        "plan": "/plans/linhai-315-2023",
        "plan-indicator": "/plans/linhai-315-2023/indicators/high_tech_value_added_share",
        "plan-department": "/plans/departments/linhai.economy_information",
    }
    watched = await sign_in("bureau_admin")
    page = watched.page
    violations: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages.items():
        response = await page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        await page.wait_for_load_state("networkidle")
        assert await page.locator("main h1").count() >= 1, f"{path} has no heading"
        # Charts animate in: the picture is taken once every chart has settled, not halfway through.
        await page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.settled === 'true')"
        )
        await page.screenshot(path=screenshots(f"bureau-{name}"), full_page=True)
        found = await _axe(watched)
        if found:
            violations[path] = found
    watched.assert_clean()
    assert not violations, f"axe-core found serious or critical violations: {violations}"
