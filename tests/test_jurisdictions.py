"""Jurisdictions as data (tic_shared.jurisdictions): every district in exactly one, each point cited or a default.

Also that the services' own data agree with it: funding's policies and districts, the registry's districts and
program targets, evaluation's plans.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from evaluation.plans.catalog import list_plans, load_plan
from evaluation.plans.model import DerivedMeasure
from funding.domain.jurisdictions import packaged_jurisdictions
from registry.domain.policy import registry_policy
from tic_shared.jurisdictions import JurisdictionDataError, jurisdiction_of, jurisdictions, load_jurisdictions
from tic_shared.vocabulary import Tier

SHIPPED = resources.files("tic_shared").joinpath("data", "jurisdictions")


def _copy_shipped(folder: Path) -> Path:
    for entry in SHIPPED.iterdir():
        if entry.name.endswith(".toml"):
            (folder / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def _package_toml(package: str, *path: str) -> dict[str, Any]:
    return tomllib.loads(resources.files(package).joinpath(*path).read_text(encoding="utf-8"))


def test_every_district_maps_to_exactly_one_jurisdiction() -> None:
    shipped = jurisdictions()
    assert sorted(j.code for j in shipped) == ["linhai", "ningbo", "weihai"]
    listed = [(district.code, j.code) for j in shipped for district in j.districts]
    assert len({code for code, _ in listed}) == len(listed)
    for code, owner in listed:
        found = jurisdiction_of(code)
        assert found is not None and found.code == owner
    assert jurisdiction_of("atlantis") is None
    assert [d.code for d in shipped["weihai"].districts] == [
        "huancui", "wendeng", "rongcheng", "rushan", "weihai_torch_hi_tech_zone", "weihai_economic_zone",
        "weihai_lingang_zone", "weihai_comprehensive_bonded_zone", "nanhai_new_area",
    ]  # fmt: skip
    assert [d.code for d in shipped["linhai"].districts] == ["linhai", "taizhou_bay_etdz", "linhai_edz"]
    assert len(shipped["ningbo"].districts) == 15


def test_a_district_claimed_by_two_jurisdictions_is_refused(tmp_path: Path) -> None:
    folder = _copy_shipped(tmp_path)
    text = (folder / "linhai.toml").read_text(encoding="utf-8")
    (folder / "linhai.toml").write_text(text.replace('code = "linhai_edz"', 'code = "huancui"'), encoding="utf-8")
    with pytest.raises(JurisdictionDataError, match="'huancui' is in both"):
        load_jurisdictions(folder)


def test_the_registry_and_funding_districts_belong_to_the_same_jurisdictions() -> None:
    # The registry keeps no district list of its own: it accepts exactly the jurisdictions' districts.
    assert "districts" not in _package_toml("registry", "data", "registry-policy.toml")
    registry = registry_policy().districts
    assert {code: d.jurisdiction for code, d in registry.items()} == {
        d.code: j.code for j in jurisdictions() for d in j.districts
    }
    # Funding reads the same map (no file of its own), so a district names one jurisdiction in both services.
    assert not resources.files("funding").joinpath("data", "jurisdictions.toml").is_file()
    funding = packaged_jurisdictions()
    for jurisdiction in jurisdictions():
        for district in jurisdiction.districts:
            assert funding.of_district(district.code) == jurisdiction.code


def test_every_jurisdiction_names_its_policies_and_plans() -> None:
    shipped = jurisdictions()
    assert shipped["ningbo"].subsidy.policies == ("ningbo-tic-2022",)
    assert shipped["weihai"].subsidy.policies == ("weihai-2018",)
    assert shipped["linhai"].subsidy.policies == ()
    assert shipped["linhai"].subsidy.default and "004" in shipped["linhai"].subsidy.clause
    assert shipped["ningbo"].plans.codes == ("ningbo-tech-transfer-2017", "ningbo-tic-system-2022")
    assert shipped["weihai"].plans.codes == ("weihai-platforms-2018",)
    assert shipped["linhai"].plans.codes == ("linhai-315-2023",)
    # Each policy is funding's, of the same jurisdiction; each plan is evaluation's, of the same jurisdiction.
    for jurisdiction in shipped:
        for code in jurisdiction.subsidy.policies:
            policy = _package_toml("funding", "policies", f"{code}.toml")
            assert policy["jurisdiction"] == jurisdiction.code
        for code in jurisdiction.plans.codes:
            assert load_plan(code).jurisdiction == jurisdiction.code
    assert sorted(code for j in shipped for code in j.plans.codes) == list_plans()


def test_weihai_other_awards_carry_the_figures_of_003() -> None:
    awards = {a.code: (a.amount_fen, a.match_ratio, a.up_to) for a in jurisdictions()["weihai"].subsidy.other_awards}
    assert awards == {
        "new_rd_institution": (200_000_000, None, True),  # 最高200万元
        "clinical_research_center_first_evaluation": (100_000_000, None, False),
        "clinical_research_center_upgraded": (200_000_000, None, False),
        "national_incubator": (200_000_000, None, False),
        "national_specialised_maker_space": (200_000_000, None, False),
        "star_innovation_space": (100_000_000, None, True),  # 择优
        "provincial_brand_incubator": (None, 1, False),  # 省拨资金1:1配套
        "advanced_technology_service_enterprise": (20_000_000, None, False),
        "national_tech_transfer_demonstration_agency": (200_000_000, None, False),
        "provincial_tech_transfer_demonstration_agency": (100_000_000, None, False),
        "national_technology_market_award": (20_000_000, None, False),
        "provincial_technology_market_award": (10_000_000, None, False),
    }


def test_lifecycle_evaluation_and_delisting_follow_each_jurisdictions_text() -> None:
    ningbo, weihai, linhai = (jurisdictions()[code] for code in ("ningbo", "weihai", "linhai"))
    assert ningbo.official_names.of(domain_zh="新材料", domain_en="New Materials") == (
        "宁波市新材料技术创新中心",
        "Ningbo Municipal Innovation Center of New Materials Technology",
    )
    assert ningbo.official_names.clause == "001 §3(3)" and not ningbo.official_names.default
    assert [j.registry_code.of(year=2026, seq=7) for j in (ningbo, weihai, linhai)] == [
        "NB-TIC-2026-007",
        "WH-TIC-2026-007",
        "LH-TIC-2026-007",
    ]
    assert (ningbo.construction_period.normal_years, ningbo.construction_period.max_years) == (5, 5)
    assert ningbo.public_notice.days == 7
    # 000 §4(4): two consecutive unqualified evaluations delist a Ningbo municipal TIC — and only that.
    assert ningbo.delists_after(Tier.MUNICIPAL_TIC) == 2
    assert ningbo.delists_after(Tier.PROVINCIAL_TIC) is None
    assert ningbo.delisting.clause.startswith("000 §4(4)")
    assert weihai.delists_after(Tier.MUNICIPAL_TIC) is None and linhai.delists_after(Tier.MUNICIPAL_TIC) is None
    assert ningbo.evaluates(Tier.MUNICIPAL_TIC) and weihai.evaluates(Tier.MUNICIPAL_TIC)
    assert not linhai.evaluates(Tier.MUNICIPAL_TIC) and not ningbo.evaluates(Tier.ENTERPRISE_RD_CENTER)


DEFAULTS = {
    "ningbo": {"registry_code", "public_notice"},
    "weihai": {
        "official_names",
        "registry_code",
        "public_notice",
        "construction_period",
        "delisting",
        "annual_evaluation.indicator_system",
    },
    "linhai": {
        "districts.linhai",
        "official_names",
        "registry_code",
        "public_notice",
        "construction_period",
        "annual_evaluation",
        "delisting",
        "subsidy",
    },
}


def test_defaults_are_marked_with_a_note_and_everything_else_cites_the_jurisdictions_text() -> None:
    for jurisdiction in jurisdictions():
        defaults = {name for name, point in jurisdiction.points() if point.default}
        assert defaults == DEFAULTS[jurisdiction.code], jurisdiction.code
        for name, point in jurisdiction.points():
            if point.default:
                assert point.note, (jurisdiction.code, name)
            else:
                assert any(document in point.clause for document in jurisdiction.documents), (jurisdiction.code, name)


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        (
            'clause = "001 §3(1): 建设期一般为5年; 001 §3(4): 建设期内（最长不超过5年）"',
            'clause = "the guide"',
            "construction_period cites none",
        ),
        ('note = "the texts require a notice', 'comment = "the texts require a notice', "comment"),
        ("days = 7\nday_kind", "days = 0\nday_kind", "public_notice.days"),
        ('format = "NB-TIC-{year}-{seq:03d}"', 'format = "NB-TIC-{seq:03d}"', "show the year"),
        ('format = "NB-TIC-{year}-{seq:03d}"', 'format = "WH-TIC-{year}-{seq:03d}"', "share the registry code prefix"),
        ("consecutive_unqualified = 2\ntiers", "consecutive_unqualified = 0\ntiers", "names the tiers"),
        ('division_code = "330203"', 'division_code = "3302"', "division_code"),
    ],
)
def test_a_jurisdiction_file_that_breaks_its_rules_is_refused(
    tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    folder = _copy_shipped(tmp_path)
    text = (folder / "ningbo.toml").read_text(encoding="utf-8")
    assert old in text
    (folder / "ningbo.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(JurisdictionDataError, match=complaint):
        load_jurisdictions(folder)


def test_derived_plan_indicators_cover_the_registry_program_targets() -> None:
    """The plans' derived counts per tier replace registry/data/program-targets.toml: every target is among them."""
    derived = {
        (plan.jurisdiction, item.indicator.final_target.year, spec.tier.value): (
            int(item.indicator.final_target.value),
            "new" if spec.measure is DerivedMeasure.CENTERS_CREATED else "total",
            spec.counted_from,
        )
        for plan in map(load_plan, list_plans())
        for item in plan.all_indicators()
        if (spec := item.indicator.derived) is not None
    }
    targets = _package_toml("registry", "data", "program-targets.toml")["targets"]
    assert targets
    for target in targets:
        key = (target["jurisdiction"], target["year"], target["tier"])
        assert derived.get(key) == (target["count"], target["measure"], target.get("counted_from")), key
    assert len(derived) == len(targets)
