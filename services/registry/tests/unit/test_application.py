"""What an application and its review, decision, governance and bases must contain (POLICY §1, §2), no database."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from registry.api.schemas import CenterCreate, DecisionIn, GovernanceBody, ReviewIn
from registry.domain.credit_code import check_character
from registry.domain.policy import plan_outline, registry_policy
from tic_shared.vocabulary import Field, LeadUnitType, Origin, Tier

BODY = "91330200MA2H4R5T0"
CODE = BODY + check_character(BODY)


def _application(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name_zh": "宁波市先进高分子材料技术创新中心",
        "origin": "recommended",
        "recommender": "镇海区人民政府",
        "field": "new_materials",
        "industrial_chain": "绿色石化",
        "district": "zhenhai",
        "lead_unit": {"name": "宁波示例高分子材料有限公司", "credit_code": CODE, "type": "enterprise"},
    }
    body.update(overrides)
    return body


def _refused_fields(body: dict[str, Any]) -> list[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as refused:
        CenterCreate.model_validate(body)
    return [error["loc"] for error in refused.value.errors()]


def _base(kind: str) -> dict[str, str]:
    return {
        "kind": kind,
        "name": "基地",
        "district": "zhenhai",
        "address": "镇海区庄市大道1号",
        "host_unit": "示例公司",
    }


# --- §1 Tiers --------------------------------------------------------------------------------------------------


def test_the_five_tiers_of_000_2_with_their_chinese_names() -> None:
    assert {tier.value: registry_policy().tiers[tier].zh for tier in Tier} == {
        "national_tic": "国家技术创新中心",
        "provincial_tic": "省级技术创新中心",
        "municipal_tic": "市级技术创新中心",
        "key_enterprise_institute": "市级重点企业研究院",
        "enterprise_rd_center": "市级企业技术研发中心",
    }
    assert all(named.clause.startswith("000 §2") for named in registry_policy().tiers.values())
    for tier in Tier:
        assert CenterCreate.model_validate(_application(tier=tier.value)).tier == tier


# --- §2 Origin and application content -------------------------------------------------------------------------


def test_a_recommended_application_names_its_recommender() -> None:
    assert {o.value for o in Origin} == {"municipal_initiative", "recommended"}
    assert CenterCreate.model_validate(_application()).recommender == "镇海区人民政府"
    with pytest.raises(ValidationError, match="recommender is required"):
        CenterCreate.model_validate(_application(recommender=None))
    initiative = CenterCreate.model_validate(_application(origin="municipal_initiative", recommender=None))
    assert initiative.origin == Origin.MUNICIPAL_INITIATIVE and initiative.recommender is None


def test_the_construction_plan_follows_the_outline_of_001_attachment_2() -> None:
    outline = plan_outline()
    full = [{"code": s.code, "text": s.zh, "items": [{"code": i.code, "text": i.zh} for i in s.items]} for s in outline]
    assert len(full) == 7
    assert len(CenterCreate.model_validate(_application(plan=full)).plan or []) == 7
    assert ("plan",) in _refused_fields(_application(plan=[{"code": "chapter_99", "text": "x"}]))
    assert ("plan",) in _refused_fields(_application(plan=[full[0], copy.deepcopy(full[0])]))
    stray_item = [{"code": outline[1].code, "text": "x", "items": [{"code": "not_in_outline", "text": "x"}]}]
    assert ("plan",) in _refused_fields(_application(plan=stray_item))
    assert ("plan",) in _refused_fields(_application(plan=[*full, {"code": outline[0].code, "text": "x"}]))


def test_the_lead_unit_has_a_name_a_valid_credit_code_and_a_known_type() -> None:
    assert {t.value for t in LeadUnitType} == {"enterprise", "university", "research_institute", "other"}
    for kind in LeadUnitType:
        lead = {"name": "单位", "credit_code": CODE, "type": kind.value}
        assert CenterCreate.model_validate(_application(lead_unit=lead)).lead_unit.type == kind
    wrong_check = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    for bad in ({"credit_code": wrong_check}, {"credit_code": CODE[:17]}, {"type": "foundation"}, {"name": ""}):
        lead = {"name": "单位", "credit_code": CODE, "type": "enterprise", **bad}
        assert any(loc[0] == "lead_unit" for loc in _refused_fields(_application(lead_unit=lead)))


def test_the_field_is_one_of_the_three_highlands_with_a_free_industrial_chain_label() -> None:
    assert {f.value for f in Field} == {"new_materials", "industrial_internet", "key_core_components"}
    chosen = CenterCreate.model_validate(_application(field="key_core_components", industrial_chain="任意产业链"))
    assert (chosen.field, chosen.industrial_chain) == (Field.KEY_CORE_COMPONENTS, "任意产业链")
    assert ("field",) in _refused_fields(_application(field="biotech"))
    without_chain = _application()
    del without_chain["industrial_chain"]
    assert ("industrial_chain",) in _refused_fields(without_chain)


def test_the_application_carries_its_responsibility_letter_targets() -> None:
    policy = registry_policy()
    targets = {
        "year_2": {"investment_fen": policy.year_2.investment_fen, "team": 100, "high_level_teams": 2},
        "year_5": {"investment_fen": policy.year_5.investment_fen, "team": 300, "high_level_teams": 5},
        "end_of_construction": {
            "transfer_bases": 1,
            "partner_enterprises": 20,
            "spinoffs": 5,
            "enterprises_served": 100,
        },
    }
    parsed = CenterCreate.model_validate(_application(targets=targets)).targets
    assert parsed is not None and parsed.year_2 is not None and parsed.year_2.investment_fen == 10_000_000_000
    assert ("targets", "year_5", "team") in _refused_fields(
        _application(targets={**targets, "year_5": {**targets["year_5"], "team": -1}})
    )


# --- §2 Review and decision ------------------------------------------------------------------------------------


def test_a_review_records_its_result_score_opinion_and_experts() -> None:
    review = ReviewIn.model_validate({"passed": True, "score": "86.5", "opinion": "同意", "experts": ["张三", "李四"]})
    assert (review.passed, str(review.score), review.opinion) == (True, "86.5", "同意")
    assert review.experts == ["张三", "李四"]
    bad: dict[str, Any]
    for bad in ({"experts": []}, {"score": 101}, {"score": -1}, {"opinion": ""}, {"passed": None}):
        with pytest.raises(ValidationError):
            ReviewIn.model_validate({"passed": True, "score": 80, "opinion": "同意", "experts": ["张三"], **bad})


def test_a_decision_records_the_executive_meeting_reference() -> None:
    decision = DecisionIn.model_validate(
        {"approved": True, "meeting_ref": "市政府第12次常务会议", "decided_on": "2026-03-01"}
    )
    assert decision.meeting_ref == "市政府第12次常务会议" and decision.decided_on == date(2026, 3, 1)
    with pytest.raises(ValidationError, match="meeting_ref"):
        DecisionIn.model_validate({"approved": True, "decided_on": "2026-03-01"})


# --- §2 Governance and bases -----------------------------------------------------------------------------------


def test_governance_bodies_have_their_members_and_terms() -> None:
    member = {"name": "王敏", "role": "主任"}
    for kind in ("council", "board", "director", "chief_scientist", "expert_committee"):
        body = GovernanceBody.model_validate(
            {"kind": kind, "members": [member], "term_start": "2026-01-01", "term_end": "2030-12-31"}
        )
        assert body.members[0].name == "王敏" and body.term_start < body.term_end
    bad: dict[str, Any]
    for bad in ({"members": []}, {"term_end": "2025-12-31"}, {"kind": "shareholders"}):
        with pytest.raises(ValidationError):
            GovernanceBody.model_validate(
                {"kind": "council", "members": [member], "term_start": "2026-01-01", "term_end": "2030-12-31", **bad}
            )


def test_a_center_has_one_core_and_any_number_of_bases() -> None:
    many = [_base("core")] + [_base("base") for _ in range(5)]
    parsed = CenterCreate.model_validate(_application(bases=many)).bases or []
    assert [b.kind for b in parsed].count("core") == 1 and len(parsed) == 6
    assert parsed[0].host_unit == "示例公司" and parsed[0].address
    assert ("bases",) in _refused_fields(_application(bases=[_base("core"), _base("core")]))
