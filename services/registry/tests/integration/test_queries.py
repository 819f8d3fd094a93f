"""Queries for the dashboard and other systems: filters, text search, cursor pages, counts, deadlines, targets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


async def test_filters_text_search_and_cursor_pages(registry: Any) -> None:
    chain = f"链-{registry.credit_code()}"
    made = [await registry.create(industrial_chain=chain, name_zh=f"宁波市测试{i}号技术创新中心") for i in range(5)]
    await registry.act(made[0]["id"], "submit")
    code = made[1]["lead_unit"]["credit_code"]

    by_code = await registry.client.get(
        "/api/v1/centers", params={"lead_unit_credit_code": code}, headers=registry.admin
    )
    assert [c["id"] for c in by_code.json()["items"]] == [made[1]["id"]]

    by_text = await registry.client.get("/api/v1/centers", params={"q": "测试3号"}, headers=registry.admin)
    assert made[3]["id"] in [c["id"] for c in by_text.json()["items"]]

    submitted = await registry.client.get(
        "/api/v1/centers", params={"status": "submitted", "q": "测试0号"}, headers=registry.admin
    )
    assert [c["id"] for c in submitted.json()["items"]] == [made[0]["id"]]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "q": "测试", "field": "new_materials"}
        if cursor:
            params["cursor"] = cursor
        page = (await registry.client.get("/api/v1/centers", params=params, headers=registry.admin)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert {c["id"] for c in made} <= set(seen)


async def test_text_search_finds_any_piece_of_any_name_in_any_case_and_only_those(registry: Any) -> None:
    tag = registry.credit_code()[-6:]
    made = await registry.create(name_zh=f"宁波市甬江{tag}技术创新中心", name_en=f"Yongjiang {tag} TIC")
    other = await registry.create(name_zh=f"宁波市江北{tag}技术创新中心", name_en=f"Jiangbei {tag} TIC")

    async def found(q: str) -> set[str]:
        page = await registry.client.get("/api/v1/centers", params={"q": q, "limit": 500}, headers=registry.admin)
        assert page.status_code == 200, page.text
        return {c["id"] for c in page.json()["items"]}

    # two characters or more go through the index of two-character pieces; the text itself decides
    assert made["id"] in await found(f"甬江{tag}") and other["id"] not in await found(f"甬江{tag}")
    assert {made["id"], other["id"]} <= await found(f"{tag}技术")
    assert made["id"] in await found(f"YONGJIANG {tag}")  # English names in any case
    assert not {made["id"], other["id"]} & await found(f"江北{tag}甬")  # a piece neither has
    assert made["id"] in await found(tag[-1])  # one character: no pieces to look up, the text alone
    assert made["id"] not in await found(f"{tag}_%")  # LIKE's wildcards are plain characters here


async def test_counts_by_status_and_filters(registry: Any) -> None:
    center = await registry.to("building", district="fenghua", recommender="奉化区人民政府")
    counts = (
        await registry.client.get(
            "/api/v1/centers/stats/counts",
            params={"by": "status", "lead_unit_credit_code": center["lead_unit"]["credit_code"]},
            headers=registry.admin,
        )
    ).json()
    assert counts == {"by": "status", "counts": {"building": 1}, "total": 1}
    by_district = (
        await registry.client.get("/api/v1/centers/stats/counts", params={"by": "district"}, headers=registry.admin)
    ).json()
    assert by_district["counts"]["fenghua"] >= 1


async def test_deadlines_flag_centers_not_yet_legal_persons(registry: Any) -> None:
    center = await registry.to("building", independent_legal_person=False)
    end = center["construction_end"]
    from datetime import date

    day = date.fromisoformat(end) - timedelta(days=30)
    found = (
        await registry.client.get(
            "/api/v1/centers/stats/deadlines", params={"within_days": 60, "today": str(day)}, headers=registry.admin
        )
    ).json()
    mine = [d for d in found if d["center"]["id"] == center["id"]]
    assert {d["kind"] for d in mine} == {"legal_entity", "construction_end"}
    assert all(d["days_left"] == 30 and d["status"] == "near" for d in mine)
    earlier = (
        await registry.client.get(
            "/api/v1/centers/stats/deadlines",
            params={"within_days": 10, "today": str(day)},
            headers=registry.admin,
        )
    ).json()
    assert center["id"] not in [d["center"]["id"] for d in earlier]


async def test_program_targets_against_live_counts(registry: Any) -> None:
    before = (await registry.client.get("/api/v1/program-targets", headers=registry.admin)).json()
    municipal = next(t for t in before["targets"] if t["tier"] == "municipal_tic")
    await registry.to("building")
    after = (await registry.client.get("/api/v1/program-targets", headers=registry.admin)).json()
    again = next(t for t in after["targets"] if t["tier"] == "municipal_tic")
    assert again["live_count"] == municipal["live_count"] + 1
    assert again["target"] == 20 and again["clause"].startswith("000")
    assert after["counted_in"] == "registry"


async def test_reference_data_lists_districts_and_outline(registry: Any) -> None:
    ref = (await registry.client.get("/api/v1/reference", headers=registry.admin)).json()
    assert len(ref["plan_outline"]) == 7
    districts = {d["code"]: d["jurisdiction"] for d in ref["districts"]}
    assert (districts["zhenhai"], districts["huancui"], districts["linhai_edz"]) == ("ningbo", "weihai", "linhai")
    by_code = {j["code"]: j for j in ref["jurisdictions"]}
    assert by_code["ningbo"]["public_notice_days"] == 7
    assert by_code["weihai"]["registry_code"]["format"] == "WH-TIC-{year}-{seq:03d}"
    assert by_code["weihai"]["registry_code"]["default"] is True
    assert by_code["ningbo"]["official_names"]["clause"] == "001 §3(3)"
    assert by_code["linhai"]["construction_years"]["max"] == 5
