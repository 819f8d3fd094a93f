"""What people do in the console, clicked through in the browser and checked against the services' records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dashboard.pages.imports import COLUMNS
from evaluation import consumers as evaluation_consumers
from registry.domain.credit_code import check_character
from tests.e2e.test_flows import _approved_center
from tic_platform.testing import eventually
from tic_shared.dated_acts import today
from tic_shared.events.catalog import CenterApproved

from .conftest import Console, SignIn, submit


def credit_code() -> str:
    body = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


def days_ago(days: int) -> str:
    return str(today() - timedelta(days=days))


async def test_an_application_is_clicked_from_draft_to_approved(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    watched = await sign_in("bureau_admin")
    page = watched.page
    await page.goto("/applications/new")
    await page.fill("#a-name_zh", "宁波市浏览器测试技术创新中心")
    await page.fill("#a-name_en", "Ningbo Browser Test Center")
    await page.select_option("#a-field", "industrial_internet")
    await page.fill("#a-industrial_chain", "工业互联网")
    await page.select_option("#a-district", "yinzhou")
    await page.select_option("#a-origin", "municipal_initiative")
    await page.fill("#a-lead_name", "宁波浏览器测试科技有限公司")
    code = credit_code()
    await page.fill("#a-lead_credit_code", code[:-1] + ("0" if code[-1] != "0" else "1"))
    await page.locator("#credit-code-verdict.error-text").wait_for()  # a wrong check character, said as typed
    await page.fill("#a-lead_credit_code", code)
    await page.locator("#credit-code-verdict:not(.error-text)").wait_for()
    await page.fill("#a-contact_name", "陈静")
    await page.fill("#a-contact_email", "chenjing@example.cn")
    await page.screenshot(path=screenshots("flow-application-form"), full_page=True)
    await submit(page, "form[action='/applications/new'] button[type=submit]", "*/centers/*?done=create")
    center_id = page.url.split("/centers/")[1].split("?")[0]

    steps: list[tuple[str, dict[str, str]]] = [
        ("submit", {"#f-on": days_ago(40)}),
        ("start_review", {"#f-on": days_ago(39)}),
        (
            "review",
            {"#f-score": "88", "#f-opinion": "同意", "#f-experts": "专家甲\n专家乙", "#f-reviewed_on": days_ago(35)},
        ),
        ("decide", {"#f-meeting_ref": "局长办公会", "#f-decided_on": days_ago(30)}),
        ("start_public_notice", {"#f-starts_on": days_ago(20)}),
        (
            "approve",
            {
                "#f-document_no": f"甬科〔{today().year}〕9号",
                "#f-approved_on": str(today()),
                "#f-domain_zh": f"浏览器测试{uuid.uuid4().hex[:4].upper()}",
                "#f-domain_en": "Browser Testing",
            },
        ),
    ]
    for action, fields in steps:
        await page.click(f"a[href='/centers/{center_id}/act/{action}']")
        await page.wait_for_url(f"**/act/{action}")
        for selector, value in fields.items():
            await page.fill(selector, value)
        if action in ("review", "decide"):
            await page.select_option("#f-passed" if action == "review" else "#f-approved", "yes")
        await submit(page, "form.panel button[type=submit]", f"*/centers/{center_id}?done={action}")
        assert await page.locator("p.notice.ok").count() == 1
    await page.screenshot(path=screenshots("flow-application-approved"), full_page=True)

    record = (await console.services["registry"].get(f"/api/v1/centers/{center_id}", headers=console.bearer())).json()
    assert record["status"] == "building"
    assert record["code"] and record["official_name_zh"].startswith("宁波市浏览器测试")
    acts = [entry["action"] for entry in record.get("history", [])] or None
    if acts is not None:
        assert acts[-1] == "approve"
    watched.assert_clean()


async def test_a_refused_act_shows_the_api_reason_in_words_and_changes_nothing(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    watched = await sign_in("bureau_admin")
    page = watched.page
    center = next(c for c in await console.centers() if c["status"] == "building")
    before = (
        await console.services["registry"].get(f"/api/v1/centers/{center['id']}", headers=console.bearer())
    ).json()
    # Suspending in the future is refused by the registry: a date is never in the future.
    await page.goto(f"/centers/{center['id']}")
    actions = await page.locator("a[href*='/act/']").evaluate_all("links => links.map(l => l.getAttribute('href'))")
    dated = next(href for href in actions if href.rsplit("/", 1)[1] in ("suspend", "cancel", "delist", "change_tier"))
    await page.goto(dated)
    for field in await page.locator("input[type=date]").all():
        await field.fill(str(today() + timedelta(days=30)))
    for field in await page.locator("form.panel input[type=text], form.panel textarea").all():
        await field.fill("浏览器测试")
    for select in await page.locator("form.panel select").all():
        options = await select.locator("option").evaluate_all("os => os.map(o => o.value)")
        await select.select_option(options[-1])
    await page.click("form.panel button[type=submit]")
    await page.locator(".notice.error, .refused, [role=alert]").first.wait_for()
    text = await page.locator("main").inner_text()
    # Said in the officer's language from the refusal's facts, not in the registry's English.
    assert "日期不能晚于今天" in text, text[:600]
    assert "in the future" not in text, text[:600]
    await page.screenshot(path=screenshots("flow-act-refused"), full_page=True)
    after = (await console.services["registry"].get(f"/api/v1/centers/{center['id']}", headers=console.bearer())).json()
    assert after["status"] == before["status"] and after.get("version") == before.get("version")


async def test_a_refused_application_names_each_field_by_its_label_in_the_officers_language(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    """The registry's refusal of a form reads as the form does: the field by its label, the rule in Chinese, no
    `body.` path nor the registry's English; the form keeps what was typed, and nothing is written."""
    watched = await sign_in("bureau_admin")
    page = watched.page
    code = credit_code()
    await page.goto("/applications/new")
    await page.fill("#a-name_zh", "宁波市拒收测试技术创新中心")
    await page.select_option("#a-field", "industrial_internet")
    await page.fill("#a-industrial_chain", "工业互联网")
    await page.select_option("#a-district", "yinzhou")
    await page.select_option("#a-origin", "recommended")  # and no recommending unit: refused over the whole body
    await page.fill("#a-lead_name", "宁波拒收测试科技有限公司")
    await page.fill("#a-lead_credit_code", code[:-1] + ("0" if code[-1] != "0" else "1"))
    await page.click("form[action='/applications/new'] button[type=submit]")
    await page.locator(".notice.error, .refused, [role=alert]").first.wait_for()
    text = await page.locator("main").inner_text()
    assert "统一社会信用代码不正确：位数、字符或校验位有误" in text, text[:800]
    assert "body." not in text and "not a valid" not in text, text[:800]
    await page.screenshot(path=screenshots("flow-application-refused"), full_page=True)

    await page.fill("#a-lead_credit_code", code)
    await page.click("form[action='/applications/new'] button[type=submit]")
    await page.locator(".notice.error, .refused, [role=alert]").first.wait_for()
    text = await page.locator("main").inner_text()
    assert "推荐单位在推荐申报时必须填写" in text, text[:800]
    assert "recommender is required" not in text, text[:800]
    found = await console.services["registry"].get(
        "/api/v1/centers", params={"lead_unit_credit_code": code}, headers=console.bearer()
    )
    assert found.json()["items"] == []


async def test_an_expert_scores_the_indicators_assigned_to_them(console: Console, sign_in: SignIn) -> None:
    from evaluation.demo import _report  # the demo's plausible annual report

    evaluation = console.services["evaluation"]
    admin = console.bearer()
    opened = await console.round_of(today().year)
    items = (
        await evaluation.get(
            "/api/v1/evaluations", params={"round_id": opened["id"], "status": "awaiting_report"}, headers=admin
        )
    ).json()["items"]
    target = items[0]
    url = f"/api/v1/evaluations/{target['id']}"
    filed = await evaluation.put(f"{url}/report", json=_report(random.Random(7), 1.0), headers=admin)
    assert filed.status_code == 200, filed.text
    assigned = await evaluation.post(
        f"{url}/assignments", json={"expert": "dev-expert"}, headers={**admin, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert assigned.status_code in (200, 201), assigned.text

    watched = await sign_in("expert")
    page = watched.page
    await page.goto(f"/evaluation/{target['id']}")
    inputs = page.locator("input[name^='score.']")
    assert await inputs.count() > 0
    for field in await inputs.all():
        await field.fill("82.5")
    await submit(page, "form[action$='/scores'] button[type=submit]", "*?done=scores")
    scored = (await evaluation.get(url, headers=admin)).json()["scores"]
    mine = [s for s in scored if s["expert"] == "dev-expert"]
    assert mine and all(float(s["score"]) == 82.5 for s in mine)
    watched.assert_clean()


async def _year_one_grant(console: Console) -> tuple[str, dict[str, Any]]:
    """A center approved by the API in a year the demo budgeted, and the year-1 grant funding opens for it."""
    center_id = await _approved_by_api(console, approved_on=date(2025, 6, 2))

    async def opened() -> dict[str, Any] | None:
        found = await console.services["funding"].get(
            "/api/v1/grants", params={"center_id": center_id}, headers=console.bearer()
        )
        return next(iter(found.json()["items"]), None)

    return center_id, await eventually(opened, timeout_s=20)


async def test_a_grant_is_calculated_approved_and_disbursed(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    center_id, grant = await _year_one_grant(console)
    funding = console.services["funding"]
    assert grant["status"] == "awaiting_investment"
    watched = await sign_in("bureau_admin")
    page = watched.page
    await page.goto(f"/funding/grants/{grant['grant_id']}")
    center = (await console.services["registry"].get(f"/api/v1/centers/{center_id}", headers=console.bearer())).json()
    # Whose grant it is, by name (the breadcrumb said only "center"); the same on the center's ledger.
    assert (await page.locator(f"main a[href='/centers/{center_id}']").inner_text()) == center["official_name_zh"]
    await page.fill("#inv", "1000")  # 1,000 万元 of verified investment
    await submit(page, "form[action$='/calculate'] button[type=submit]", "*?done=*")
    for step in ("approve", "disburse"):
        await submit(page, f"form[action$='/{step}'] button[type=submit]", "*?done=*")
    await page.screenshot(path=screenshots("flow-grant-disbursed"), full_page=True)
    after = (await funding.get(f"/api/v1/grants/{grant['grant_id']}", headers=console.bearer())).json()
    assert after["status"] == "disbursed"
    assert after["amount_fen"] == 300_000_000  # 30 % of 10 M yuan (000 §3(1)), under the first-year cap
    await page.goto(f"/funding/ledgers/{center_id}")
    assert (await page.locator(f"main a[href='/centers/{center_id}']").inner_text()) == center["official_name_zh"]
    assert await page.title() == f"{center['official_name_zh']}专账 · 技术创新中心管理平台"
    watched.assert_clean()


async def test_a_grant_of_nothing_says_so_on_its_buttons_and_closes_paying_nothing(
    console: Console, sign_in: SignIn
) -> None:
    """A verified investment of nothing earns nothing: the officer is not asked to "approve ¥0.00" but told that
    nothing is due, and the grant closes without a payment."""
    _, grant = await _year_one_grant(console)
    funding = console.services["funding"]
    watched = await sign_in("bureau_admin")
    page = watched.page
    await page.goto(f"/funding/grants/{grant['grant_id']}")
    await page.fill("#inv", "0")
    await submit(page, "form[action$='/calculate'] button[type=submit]", "*?done=*")
    approve = page.locator("form[action$='/approve'] button[type=submit]")
    assert (await approve.inner_text()).strip() == "批准（本笔无应付金额）"
    await submit(page, "form[action$='/approve'] button[type=submit]", "*?done=*")
    disburse = page.locator("form[action$='/disburse'] button[type=submit]")
    assert (await disburse.inner_text()).strip() == "办结（无需拨付）"
    await submit(page, "form[action$='/disburse'] button[type=submit]", "*?done=*")
    after = (await funding.get(f"/api/v1/grants/{grant['grant_id']}", headers=console.bearer())).json()
    assert (after["status"], after["amount_fen"]) == ("disbursed", 0)
    watched.assert_clean()


async def test_a_dead_letter_is_replayed_from_the_operations_page(
    console: Console, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evaluation's reaction to an approval fails (injected) until it dead-letters; once it would succeed, the
    operator replays it from the console and the center is tracked."""
    handlers = evaluation_consumers.handlers
    kind = CenterApproved.ce_type()
    working = handlers.handler_for(kind)
    assert working is not None

    async def broken(*_: Any) -> None:
        raise RuntimeError("injected: the evaluation database refused the write")

    monkeypatch.setitem(handlers._by_type, kind, broken)
    center_id = await _approved_by_api(console)
    evaluation = console.services["evaluation"]

    async def dead_letter() -> dict[str, Any] | None:
        listed = (
            await evaluation.get("/api/v1/dead-letters", params={"state": "open"}, headers=console.bearer())
        ).json()["items"]
        return next((d for d in listed if "injected" in (d.get("error") or "")), None)

    letter = await eventually(dead_letter, timeout_s=20)
    monkeypatch.setitem(handlers._by_type, kind, working)

    watched = await sign_in("bureau_admin")
    page = watched.page
    await page.goto("/operations")
    replay = f"form[action='/operations/dead-letters/evaluation/{letter['id']}/replay']"
    await submit(page, f"{replay} button", "*/operations?done=*")
    assert await page.locator(replay).count() == 0
    tracked = await evaluation.get(f"/api/v1/centers/{center_id}", headers=console.bearer())
    assert tracked.status_code == 200, tracked.text
    watched.assert_clean()


async def _approved_by_api(console: Console, approved_on: date | None = None) -> str:
    """A municipal TIC taken through the registry's API to approval (the e2e tests' own path)."""
    approved = await _approved_center(console.services["registry"], console.bearer(), approved_on=approved_on)
    return str(approved["id"])


async def test_the_language_switch_turns_the_console_into_english_and_back(console: Console, sign_in: SignIn) -> None:
    watched = await sign_in("bureau_admin")
    page = watched.page
    await page.goto("/funding")
    assert await page.locator("main h1").inner_text() == "资金"
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    await page.click("a[href^='/lang/en']")
    await page.wait_for_load_state()
    assert await page.locator("main h1").inner_text() == "Funding"
    assert await page.locator("html").get_attribute("lang") == "en"
    assert "CNY" in await page.locator("main").inner_text() or "¥" in await page.locator("main").inner_text()
    await page.click("a[href^='/lang/zh_CN']")
    await page.wait_for_load_state()
    assert await page.locator("main h1").inner_text() == "资金"
    watched.assert_clean()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
async def test_the_centers_export_downloads_a_file_that_reads_back(
    console: Console, sign_in: SignIn, kind: str, tmp_path: Path
) -> None:
    watched = await sign_in("district_officer", district="zhenhai")
    page = watched.page
    await page.goto("/centers")
    async with page.expect_download() as started:
        await page.click(f"a[href^='/centers/export.{kind}']")
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    expected = {c["id"] for c in await console.centers(district="zhenhai")}
    if kind == "xlsx":
        sheet = openpyxl.load_workbook(saved, read_only=True).active
        assert sheet is not None
        rows = [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]
    else:
        import csv

        rows = [tuple(row) for row in csv.reader(saved.read_text(encoding="utf-8-sig").splitlines())]
    header, body = rows[0], rows[1:]
    id_column = header.index("记录编号")
    assert {str(row[id_column]) for row in body} == expected  # the whole district, and only it
    watched.assert_clean()


def _workbook(path: Path, rows: list[list[Any]], header: list[str]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def test_an_import_with_one_bad_row_shows_the_report_and_writes_nothing(
    console: Console, sign_in: SignIn, tmp_path: Path, screenshots: Callable[[str], Path]
) -> None:
    watched = await sign_in("bureau_admin")
    page = watched.page
    async with page.expect_download() as started:
        await page.goto("/import")
        await page.click("a[href='/import/template.xlsx']")
    template = tmp_path / "template.xlsx"
    await (await started.value).save_as(template)
    header = [str(cell.value) for cell in next(openpyxl.load_workbook(template).active.iter_rows(max_row=1))]  # type: ignore[union-attr]
    good = {
        "name_zh": "宁波市导入测试技术创新中心",
        "tier": "municipal_tic",
        "field": "new_materials",
        "industrial_chain": "新材料",
        "district": "haishu",
        "origin": "municipal_initiative",
        "lead_unit_name": "宁波导入测试有限公司",
        "lead_unit_credit_code": credit_code(),
        "lead_unit_type": "enterprise",
    }
    bad = {
        **good,
        "name_zh": "宁波市导入错误技术创新中心",
        "district": "atlantis",
        "lead_unit_credit_code": credit_code(),
    }
    key_of = {zh: key for key, zh, _ in COLUMNS}
    rows = [[row.get(key_of.get(column, column), "") for column in header] for row in (good, bad)]
    upload = _workbook(tmp_path / "register.xlsx", rows, header)
    before = len(await console.centers())

    await page.set_input_files("input[type=file]", str(upload))
    await page.click("form[action='/import/check'] button[type=submit]")
    await page.wait_for_load_state()
    report = await page.locator("main").inner_text()
    assert "“atlantis” 不是本市的区县（市）" in report  # the refusal in the reader's language, naming the value
    await page.screenshot(path=screenshots("flow-import-report"), full_page=True)
    assert len(await console.centers()) == before  # checking wrote nothing
    watched.assert_clean()


async def test_a_center_user_sees_only_their_center_and_its_money(console: Console, sign_in: SignIn) -> None:
    funded = (
        await console.services["funding"].get(
            "/api/v1/grants", params={"status": "disbursed"}, headers=console.bearer()
        )
    ).json()["items"]
    mine = funded[0]["center_id"]
    watched = await sign_in("center_user", center_id=mine)
    page = watched.page
    await page.goto("/centers")
    links = set(
        await page.locator("main a[href^='/centers/']").evaluate_all(
            "as => as.map(a => a.getAttribute('href')).filter(h => /^\\/centers\\/[0-9a-f-]{36}$/.test(h))"
        )
    )
    assert links == {f"/centers/{mine}"}
    await page.goto("/funding")
    grant_centers = set(
        await page.locator("main a[href^='/centers/']").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    )
    assert grant_centers <= {f"/centers/{mine}"}
    other = next(c["id"] for c in await console.centers() if c["id"] != mine)
    response = await page.goto(f"/centers/{other}")
    assert response is not None and response.status == 404
    watched.errors.clear()  # the 404 above is the point
    watched.assert_clean()


async def test_a_district_officer_sees_only_their_district(console: Console, sign_in: SignIn) -> None:
    watched = await sign_in("district_officer", district="zhenhai")
    page = watched.page
    await page.goto("/centers")
    shown = set(
        await page.locator("main a[href^='/centers/']").evaluate_all(
            "as => as.map(a => a.getAttribute('href')).filter(h => /^\\/centers\\/[0-9a-f-]{36}$/.test(h))"
        )
    )
    expected = {f"/centers/{c['id']}" for c in await console.centers(district="zhenhai")}
    assert shown == expected and shown
    elsewhere = next(c["id"] for c in await console.centers() if c["district"] != "zhenhai")
    response = await page.goto(f"/centers/{elsewhere}")
    assert response is not None and response.status == 404
    # Operations and import are the bureau's: not in the navigation, refused when typed in.
    assert await page.locator("nav a[href='/operations']").count() == 0
    response = await page.goto("/operations")
    assert response is not None and response.status == 403
    watched.errors.clear()
    watched.assert_clean()


async def test_a_department_reports_a_figure_and_the_bureau_accepts_it_in_the_console(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    url = "/plans/linhai-315-2023/indicators/rd_personnel_per_10k_employed"  # led by linhai.science_technology
    officer = await sign_in("department_officer", department="linhai.science_technology")
    page = officer.page
    await page.goto("/plans")
    await page.click("a[href='/plans/departments/linhai.science_technology']")
    assert await page.locator("main h1").count() == 1
    await page.goto(url)
    await page.fill("#r-year", str(today().year - 1))
    await page.fill("#r-value", "168.5")
    await page.fill("#r-source", "临海市统计公报")
    await submit(page, "form[action$='/report'] button[type=submit]", "*?done=reported")
    await page.screenshot(path=screenshots("flow-plan-reported"), full_page=True)
    # Another department's indicator (neither led nor shared by it) is not theirs to see.
    response = await page.goto("/plans/linhai-315-2023/indicators/high_value_invention_patents_per_10k_people")
    assert response is not None and response.status == 404
    officer.errors.clear()

    bureau = await sign_in("bureau_admin")
    page = bureau.page
    await page.goto(url)
    await submit(page, "form[action$='/accept'] button[type=submit]", "*?done=accept")
    await page.screenshot(path=screenshots("flow-plan-accepted"), full_page=True)
    evaluation = console.services["evaluation"]
    detail = (await evaluation.get(f"/api/v1{url}", headers=console.bearer())).json()
    latest = detail["reports"][-1]
    assert (latest["status"], latest["value"], latest["department"]) == (
        "accepted",
        "168.5",
        "linhai.science_technology",
    )
    bureau.assert_clean()


async def test_a_department_reports_money_in_wan_yuan_and_the_plan_keeps_it_in_fen(
    console: Console, sign_in: SignIn, screenshots: Callable[[str], Path]
) -> None:
    url = "/plans/linhai-315-2023/indicators/fiscal_st_spending"  # money, led by linhai.finance
    officer = await sign_in("department_officer", department="linhai.finance")
    page = officer.page
    await page.goto(url)
    assert "万元" in await page.locator("label[for='r-value']").inner_text()
    await page.fill("#r-year", str(today().year - 1))
    await page.fill("#r-value", "12345.67")
    await page.fill("#r-source", "临海市财政决算")
    await submit(page, "form[action$='/report'] button[type=submit]", "*?done=reported")
    await page.screenshot(path=screenshots("flow-plan-money-reported"), full_page=True)
    detail = (await console.services["evaluation"].get(f"/api/v1{url}", headers=console.bearer())).json()
    assert detail["reports"][-1]["value"] == "12345670000"
    figures = await page.locator("main td.num").all_inner_texts()
    assert "12,345.67 万元" in figures, figures
    # A tenth of a fen is refused by the API, and said in the officer's words; nothing more is kept.
    await page.fill("#r-year", str(today().year - 1))
    await page.fill("#r-value", "0.0000001")
    await page.fill("#r-source", "临海市财政决算")
    await page.click("form[action$='/report'] button[type=submit]")
    refusal = page.locator(".notice.error")
    await refusal.wait_for()
    assert "金额最小到分" in await refusal.inner_text()
    detail = (await console.services["evaluation"].get(f"/api/v1{url}", headers=console.bearer())).json()
    assert [r["value"] for r in detail["reports"]] == ["12345670000"]
    # The browser logs the refused page's 422 as an error: that one, and nothing else, is expected.
    assert officer.errors and all("422" in e and e.endswith("/report)") for e in officer.errors), officer.errors
    officer.errors.clear()
    officer.assert_clean()
