"""A center's district decides its jurisdiction, and with it its official names, code, notice and construction.

The registry serves Ningbo, Weihai and Linhai from one deployment; each jurisdiction's points are data
(tic_shared/data/jurisdictions/*.toml), so these tests read the expected values from the same files.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from tic_shared.jurisdictions import jurisdictions


def _base(district: str, address: str) -> list[dict[str, str]]:
    return [{"kind": "core", "name": "核心区", "district": district, "address": address, "host_unit": "示例单位"}]


def _code_pattern(jurisdiction: str, year: int) -> re.Pattern[str]:
    prefix = jurisdictions()[jurisdiction].registry_code.prefix
    return re.compile(rf"^{re.escape(prefix)}{year}-(\d{{3}})$")


async def test_a_weihai_center_is_named_and_coded_as_weihais(registry: Any) -> None:
    weihai = jurisdictions()["weihai"]
    center = await registry.to(
        "building",
        name_zh="威海市海洋生物医药技术创新中心",
        district="huancui",
        recommender="环翠区人民政府",
        bases=_base("huancui", "环翠区文化西路1号"),
    )
    approved_on = date.fromisoformat(center["approved_on"])
    assert center["district"] == "huancui"
    assert re.fullmatch(r"威海市先进高分子材料[0-9A-F]{6}技术创新中心", center["official_name_zh"])
    assert center["official_name_en"].startswith("Weihai Municipal Innovation Center of Advanced Polymer Materials")
    assert _code_pattern("weihai", approved_on.year).match(center["code"]), center["code"]
    # Weihai's construction period (a marked default in its file) and notice length are the ones applied.
    start = date.fromisoformat(center["construction_start"])
    assert center["construction_end"] == str(start.replace(year=start.year + weihai.construction_period.normal_years))
    notice_start = date.fromisoformat(center["notice_starts_on"])
    assert center["notice_ends_on"] == str(notice_start + timedelta(days=weihai.public_notice.days))

    events = await registry.events_of(center["id"])
    assert events and {e["data"]["jurisdiction"] for e in events} == {"weihai"}
    approved = next(e for e in events if e["type"] == "tic.registry.CenterApproved.v1")
    assert approved["data"]["district"] == "huancui"
    assert approved["data"]["name_zh"] == center["official_name_zh"]


async def test_a_linhai_center_is_named_and_coded_as_linhais(registry: Any) -> None:
    center = await registry.to(
        "building",
        name_zh="临海市智能制造技术创新中心",
        district="taizhou_bay_etdz",
        recommender="台州湾经济技术开发区管理委员会",
        bases=_base("taizhou_bay_etdz", "台州湾经济技术开发区海虹大道1号"),
    )
    approved_on = date.fromisoformat(center["approved_on"])
    assert center["official_name_zh"].startswith("临海市") and center["official_name_zh"].endswith("技术创新中心")
    assert center["official_name_en"].startswith("Linhai Municipal Innovation Center of ")
    assert _code_pattern("linhai", approved_on.year).match(center["code"]), center["code"]
    events = await registry.events_of(center["id"])
    assert {e["data"]["jurisdiction"] for e in events} == {"linhai"}


async def test_each_jurisdiction_numbers_its_own_centers_per_year(registry: Any) -> None:
    year = registry.today().year

    def seq(center: dict[str, Any], jurisdiction: str) -> int:
        found = _code_pattern(jurisdiction, year).match(center["code"])
        assert found, center["code"]
        return int(found.group(1))

    first = await registry.to("building", district="rongcheng", bases=_base("rongcheng", "荣成市成山大道1号"))
    ningbo = await registry.to("building")
    second = await registry.to("building", district="wendeng", bases=_base("wendeng", "文登区米山路1号"))
    # A Ningbo approval in between does not advance Weihai's numbering, and the Ningbo center stays NB-.
    assert seq(second, "weihai") == seq(first, "weihai") + 1
    assert seq(ningbo, "ningbo") >= 1
    assert ningbo["official_name_zh"].startswith("宁波市")


async def test_a_weihai_name_cannot_double_the_city(registry: Any) -> None:
    center = await registry.to("public_notice", district="huancui", bases=_base("huancui", "环翠区文化西路2号"))
    refused = await registry.act(
        center["id"],
        "approve",
        {
            "document_no": "威政发〔2026〕1号",
            "approved_on": str(registry.today()),
            "domain_zh": "威海海洋装备",
            "domain_en": "Marine Equipment",
        },
        expect=422,
    )
    assert "威海市" in str(refused) and "domain_zh" in str(refused)


async def test_districts_of_every_jurisdiction_are_accepted_and_others_refused(registry: Any) -> None:
    for jurisdiction in jurisdictions():
        district = jurisdiction.districts[-1].code
        created = await registry.create(district=district, bases=_base(district, "示例路1号"))
        assert created["district"] == district
    refused = await registry.client.post(
        "/api/v1/centers", json=registry.application(district="atlantis"), headers=registry.admin
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "district" in refused.text and "unknown district" in refused.text
