"""Every page of the console, as the people who use it see it: rendered, accessible, without a browser error,
and showing each person only what their role and scope allow."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dashboard.web import center_name
from tic_shared.dated_acts import today
from tic_shared.vocabulary import NAMES

from .conftest import Console, SignIn, Watched

SERIOUS = ("serious", "critical")


async def _ids(console: Console) -> dict[str, str]:
    """One of each record the pages show, taken from the services' APIs."""
    admin = console.bearer()
    centers = await console.centers(status="operating")
    grants = (await console.services["funding"].get("/api/v1/grants", params={"limit": 50}, headers=admin)).json()
    evaluations = (await console.services["evaluation"].get("/api/v1/evaluations", headers=admin)).json()
    finalized = (
        await console.services["evaluation"].get("/api/v1/evaluations", params={"status": "finalized"}, headers=admin)
    ).json()
    return {
        "center": centers[0]["id"],
        "grant": grants["items"][0]["grant_id"],
        "evaluation": evaluations["items"][0]["id"],
        "finalized": finalized["items"][0]["id"],
        "round": (await console.round_of(today().year))["id"],
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


def _pages(ids: dict[str, str]) -> dict[str, str]:
    """Every page the bureau works in, by the name its screenshot is saved under."""
    return {
        "overview": "/",
        "centers": "/centers",
        "center": f"/centers/{ids['center']}",
        "application": "/applications/new",
        "evaluation": "/evaluation",
        "evaluation-detail": f"/evaluation/{ids['evaluation']}",
        "evaluation-result": f"/evaluation/{ids['finalized']}",
        "round-finalize": f"/evaluation/rounds/{ids['round']}/finalize",
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


async def _open_settled(page: Any, path: str) -> None:
    response = await page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    await page.wait_for_load_state("networkidle")
    assert await page.locator("main h1").count() >= 1, f"{path} has no heading"
    # Charts animate in: the picture is taken once every chart has settled, not halfway through.
    await page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.settled === 'true')"
    )


async def test_every_page_renders_for_the_bureau_accessibly_and_without_errors(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    pages = _pages(await _ids(console))
    watched = await sign_in("bureau_admin")
    page = watched.page
    violations: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages.items():
        await _open_settled(page, path)
        await page.screenshot(path=screenshots(f"bureau-{name}"), full_page=True)
        found = await _axe(watched)
        if found:
            violations[path] = found
    watched.assert_clean()
    assert not violations, f"axe-core found serious or critical violations: {violations}"


async def test_a_delisted_or_cancelled_centers_cap_says_its_grants_stopped_not_the_room_left(
    console: Console, sign_in: SignIn
) -> None:
    """A center whose grants stopped has no room left to be granted, whatever its policy's cap would leave."""
    caps = (
        await console.services["funding"].get("/api/v1/caps", params={"limit": 50}, headers=console.bearer())
    ).json()
    ended = [c for c in caps["items"] if c["grants_stopped"]]
    live = [c for c in caps["items"] if not c["grants_stopped"]]
    assert ended and live, "the demo has centers whose grants stopped and centers still funded"
    watched = await sign_in("bureau_admin")
    await _open_settled(watched.page, "/funding")
    table = watched.page.locator("section[aria-labelledby='caps-h'] table")

    async def room_left(cap: dict[str, Any]) -> str:
        row = table.locator("tr", has=watched.page.locator(f"a[href='/funding/ledgers/{cap['center_id']}']"))
        return (await row.first.locator("td").last.inner_text()).strip()

    assert await room_left(ended[0]) == "资助已停止"
    assert "资助已停止" not in await room_left(live[0])


async def test_an_evaluation_that_cannot_be_finalized_says_why_in_the_readers_language(
    console: Console, sign_in: SignIn
) -> None:
    """An evaluation with no report and no scores stays open; its page says why in Chinese to a Chinese reader and
    in English to an English one (the evaluation service gives the reason in both)."""
    admin = console.bearer()
    evaluation = console.services["evaluation"]
    opened = await console.round_of(today().year)
    waiting = (
        await evaluation.get(
            "/api/v1/evaluations", params={"round_id": opened["id"], "status": "awaiting_report"}, headers=admin
        )
    ).json()["items"]
    # The last one: another test of the package may have filed the first one's report.
    url = f"/api/v1/evaluations/{waiting[-1]['id']}/finalize-preview"
    blocked = (await evaluation.get(url, headers=admin)).json()["blocked"][0]
    center = (await console.services["registry"].get(f"/api/v1/centers/{blocked['center_id']}", headers=admin)).json()
    for lang, why in (("zh_CN", blocked["reason_zh"]), ("en", blocked["reason"])):
        watched = await sign_in("bureau_admin", lang=lang)
        await _open_settled(watched.page, f"/evaluation/{blocked['evaluation_id']}")
        notice = (await watched.page.locator("p.notice.warn").inner_text()).strip()
        assert notice.endswith(why), (lang, notice)
        # The round's finalize page lists it among those that stay open, by the center's name and with the reason.
        await _open_settled(watched.page, f"/evaluation/rounds/{opened['id']}/finalize")
        entry = watched.page.locator(
            "li", has=watched.page.locator(f"a[href='/evaluation/{blocked['evaluation_id']}']")
        )
        said = (await entry.inner_text()).strip()
        name = center_name(center, lang)
        assert name and said == f"{name} — {why}", (lang, said)
        watched.assert_clean()
    assert "未提交" in blocked["reason_zh"] and "not submitted" in blocked["reason"]


async def test_the_overview_lists_as_due_only_the_rounds_with_an_evaluation_not_finalized(
    console: Console, sign_in: SignIn
) -> None:
    rounds = (
        await console.services["evaluation"].get("/api/v1/rounds", params={"limit": 3}, headers=console.bearer())
    ).json()["items"]
    assert rounds, "the demo has evaluation rounds"
    watched = await sign_in("bureau_admin")
    await _open_settled(watched.page, "/")
    panel = await watched.page.locator("section[aria-labelledby='rounds-h']").inner_text()
    for r in rounds:
        due = r["progress"]["finalized"] < r["progress"]["total"]
        assert (f"{r['year']} 年度批次" in panel) == due, (r, panel)
    if not any(r["progress"]["finalized"] < r["progress"]["total"] for r in rounds):
        assert "最近各批次的评价均已定稿" in panel, panel


# The console's own words: navigation, headings, column heads, labels, buttons, captions. What they hold of the
# record (a center's Chinese name in a heading) is data, marked `lang="zh"` where it is shown (`data-zh`).
_CHROME = "nav a, main h1, main h2, main h3, main th, main label, main button, main legend, main caption, main dt"
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


async def test_every_page_reads_in_english_for_a_reader_who_chose_it(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    pages = _pages(await _ids(console))
    watched = await sign_in("bureau_admin", lang="en")
    page = watched.page
    untranslated: dict[str, list[str]] = {}
    for name, path in pages.items():
        await _open_settled(page, path)
        assert await page.locator("html").get_attribute("lang") == "en", path
        await page.screenshot(path=screenshots(f"bureau-en-{name}"), full_page=True)
        words = await page.eval_on_selector_all(
            _CHROME,
            """els => els.map(e => {
                if (e.closest('[lang^="zh"]')) return '';
                const copy = e.cloneNode(true);
                copy.querySelectorAll('[lang^="zh"]').forEach(d => d.remove());
                return copy.innerText.trim();
            })""",
        )
        chinese = sorted({w for w in words if _CJK.search(w)})
        if chinese:
            untranslated[path] = chinese[:8]
    watched.assert_clean()
    assert not untranslated, f"Chinese where an English reader should read English: {untranslated}"


# The vocabulary's codes a reader should never meet in a table: the ones that are not English words already.
_CODES = sorted({word.value for word in NAMES if "_" in word.value})


async def test_the_bureau_reads_who_was_told_and_how_a_grant_was_worked_out_in_words_not_codes(
    console: Console, sign_in: SignIn
) -> None:
    ids = await _ids(console)
    for lang in ("zh_CN", "en"):
        watched = await sign_in("bureau_admin", lang=lang)
        page = watched.page
        await _open_settled(page, "/operations")
        audiences = page.locator('main td[title^="role:"]')
        assert await audiences.count() >= 1, "the delivery log shows no inbox delivery to a role"
        for text in await audiences.all_inner_texts():
            assert "role:" not in text and "/" not in text, text
        # An inbox delivery sends nothing: its attempts read as a dash, not as none.
        counts = await page.locator('main tr:has(td[title^="role:"]) td.num').all_inner_texts()
        assert counts and set(counts) == {"—"}, counts
        for path in ("/operations", f"/funding/grants/{ids['grant']}"):
            await _open_settled(page, path)
            cells = await page.eval_on_selector_all("main td, main li", "els => els.map(e => e.innerText)")
            codes = sorted({code for text in cells for code in _CODES if code in text})
            assert not codes, f"{path} ({lang}) shows codes instead of words: {codes}"
        watched.assert_clean()
