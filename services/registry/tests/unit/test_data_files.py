"""The registry's data files: every rule cites its clause, and the vocabularies are complete."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.domain.policy import (
    Field,
    LeadUnitType,
    Origin,
    Tier,
    plan_outline,
    program_targets,
    read_data,
    registry_policy,
    targets_for,
)
from tic_shared.jurisdictions import jurisdictions

RULE_FILES = ("registry-policy.toml", "program-targets.toml")


def _rule_tables(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every table holding a value (a rule or a vocabulary entry), with where it sits."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if path and any(not _is_container(v) for v in node.values()):
            found.append((path, node))
        for key, value in node.items():
            found.extend(_rule_tables(value, f"{path}.{key}" if path else key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_rule_tables(item, f"{path}[{i}]"))
    return found


def _is_container(value: Any) -> bool:
    """A sub-table or an array of tables: it holds rules, it is not one."""
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


@pytest.mark.parametrize("name", RULE_FILES)
def test_every_rule_has_a_clause(name: str) -> None:
    tables = _rule_tables(read_data(name))
    assert tables
    missing = [path for path, table in tables if not str(table.get("clause", "")).strip()]
    assert missing == []


def test_defaults_are_marked() -> None:
    raw = read_data("registry-policy.toml")
    assert raw["public_notice"]["default"] is True
    assert raw["legal_entity"]["warning"]["default"] is True
    # Names, code, notice length and construction period are the jurisdictions', not the registry's own.
    for moved in ("registry_code", "official_names", "construction_period", "districts"):
        assert moved not in raw
    assert "days" not in raw["public_notice"]


def test_plan_outline_cites_its_source() -> None:
    assert "001 attachment 2" in read_data("plan-outline.toml")["clause"]


def test_districts_of_002_attachment_4_present() -> None:
    districts = {d.code: d for d in registry_policy().districts.values() if d.jurisdiction == "ningbo"}
    names = {d.zh for d in districts.values()}
    assert names >= {
        "海曙区", "江北区", "镇海区", "鄞州区", "北仑区", "奉化区", "余姚市", "慈溪市", "宁海县", "象山县",
        "宁波国家高新区", "宁波杭州湾新区", "梅山保税港区", "大榭开发区",
    }  # fmt: skip
    for district in districts.values():
        assert "002 attachment" in district.clause
        if district.kind != "functional_zone":
            assert district.division_code and district.division_code.startswith("3302")
    assert districts["yinzhou"].division_code == "330212"


def test_every_jurisdictions_districts_are_the_registrys() -> None:
    districts = registry_policy().districts
    for jurisdiction in jurisdictions():
        for district in jurisdiction.districts:
            assert districts[district.code].jurisdiction == jurisdiction.code
    assert districts["huancui"].zh == "环翠区" and districts["taizhou_bay_etdz"].jurisdiction == "linhai"


def test_vocabularies_match_the_enums() -> None:
    policy = registry_policy()
    assert set(policy.fields) == set(Field)
    assert set(policy.tiers) == set(Tier)
    assert set(policy.origins) == set(Origin)
    assert set(policy.lead_unit_types) == set(LeadUnitType)
    assert policy.recommender_required == {Origin.RECOMMENDED}
    assert policy.tiers[Tier.MUNICIPAL_TIC].zh == "市级技术创新中心"
    assert policy.fields[Field.KEY_CORE_COMPONENTS].zh == "关键核心基础件"


def test_tier_changes_in_building_and_operating() -> None:
    assert registry_policy().tier_change_states == ("building", "operating")


def test_no_act_dated_before_the_policy_in_force() -> None:
    assert registry_policy().in_force_from == date(2022, 10, 26)
    assert registry_policy().in_force_name == "甬政办发〔2022〕51号"


def test_responsibility_letter_defaults_from_001_2() -> None:
    policy = registry_policy()
    assert policy.year_2.investment_fen == 100_000_000 * 100
    assert (policy.year_2.team, policy.year_2.high_level_teams) == (100, 2)
    assert policy.year_5.investment_fen == 200_000_000 * 100
    assert (policy.year_5.team, policy.year_5.high_level_teams) == (300, 5)
    end = policy.end_of_construction
    assert (end.transfer_bases, end.partner_enterprises, end.spinoffs, end.enterprises_served) == (
        1,
        20,
        5,
        100,
    )


def test_ningbo_2025_targets_from_000_1_2() -> None:
    targets = targets_for("ningbo", 2025)
    assert {tier: t.count for tier, t in targets.items()} == {
        Tier.NATIONAL_TIC: 1,
        Tier.PROVINCIAL_TIC: 5,
        Tier.MUNICIPAL_TIC: 20,
        Tier.KEY_ENTERPRISE_INSTITUTE: 200,
        Tier.ENTERPRISE_RD_CENTER: 3000,
    }
    assert targets[Tier.ENTERPRISE_RD_CENTER].measure == "total"
    assert targets[Tier.MUNICIPAL_TIC].measure == "new"
    assert all("000 §1(2)" in t.clause for t in targets.values())


def test_linhai_2027_targets_from_004() -> None:
    targets = targets_for("linhai", 2027)
    assert {tier: t.count for tier, t in targets.items()} == {Tier.PROVINCIAL_TIC: 1}
    assert targets_for("linhai", 2026) == {}
    assert all(t.clause.startswith(("000", "001", "004")) for t in program_targets())


def test_plan_outline_has_the_7_sections_of_001_attachment_2() -> None:
    outline = plan_outline()
    assert [s.zh for s in outline] == [
        "建设基础和重要意义", "总体思路", "建设布局", "建设任务", "管理运行机制", "保障措施", "进度安排",
    ]  # fmt: skip
    assert [s.number for s in outline] == list(range(1, 8))
    items = {s.code: [i.zh for i in s.items] for s in outline}
    assert items["overall_approach"] == ["指导思想", "战略定位", "建设原则", "发展目标"]
    assert items["management"] == ["组织架构", "运行机制"]
    assert all(s.en and all(i.en for i in s.items) for s in outline)
