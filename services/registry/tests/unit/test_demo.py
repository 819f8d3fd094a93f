"""The demo centers: about 40, valid codes, legal action sequences, every stage, deterministic."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from registry.demo import DemoCenter, demo_data, generate_demo_centers, lifecycle_steps
from registry.domain.credit_code import is_valid_credit_code
from registry.domain.lifecycle import Action, State, replay
from registry.domain.naming import construction_end
from registry.domain.policy import Field, Origin, Tier, plan_outline, registry_policy
from tic_shared.jurisdictions import jurisdictions

AS_OF = demo_data().as_of
DEMO_DISTRICTS = demo_data().districts


@pytest.fixture(scope="module")
def centers() -> list[DemoCenter]:
    return generate_demo_centers()


def test_about_40_centers(centers: list[DemoCenter]) -> None:
    assert 35 <= len(centers) <= 45
    assert len({c.id for c in centers}) == len(centers)
    assert len({c.name_zh for c in centers}) == len(centers)


def test_deterministic() -> None:
    assert generate_demo_centers() == generate_demo_centers()
    assert generate_demo_centers(7) == generate_demo_centers(7)
    assert generate_demo_centers(7) != generate_demo_centers()


def test_every_credit_code_valid(centers: list[DemoCenter]) -> None:
    codes = [u.credit_code for c in centers for u in (c.lead_unit, *c.co_builders)]
    assert all(is_valid_credit_code(code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_every_action_sequence_is_legal(centers: list[DemoCenter]) -> None:
    for center in centers:
        taken = replay(lifecycle_steps(center))
        reached = taken[-1].to_state if taken else State.DRAFT
        assert reached == center.final_state, center.key


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sequences_legal_for_other_seeds(seed: int) -> None:
    for center in generate_demo_centers(seed):
        taken = replay(lifecycle_steps(center))
        assert (taken[-1].to_state if taken else State.DRAFT) == center.final_state


def test_all_stages_tiers_fields_districts_present(centers: list[DemoCenter]) -> None:
    assert {c.final_state for c in centers} == set(State)
    assert {c.final_tier for c in centers} == set(Tier)
    assert {c.field for c in centers} == set(Field)
    assert {c.district for c in centers} == set(DEMO_DISTRICTS)
    assert {registry_policy().districts[c.district].jurisdiction for c in centers} == {"ningbo"}
    stages = Counter(c.final_state for c in centers)
    assert stages[State.CANCELLED] >= 1 and stages[State.DELISTED] >= 1


def test_dates_ordered_within_2023_to_2026(centers: list[DemoCenter]) -> None:
    for center in centers:
        dates = [center.created_on, *(s.on for s in center.steps)]
        assert dates == sorted(dates), center.key
        assert date(2023, 1, 1) <= dates[0] and dates[-1] <= AS_OF, center.key


def test_an_objection_is_open_and_one_was_dismissed(centers: list[DemoCenter]) -> None:
    in_review = [c for c in centers if c.final_state == State.OBJECTION_REVIEW]
    assert in_review and all(c.steps[-1].objection for c in in_review)
    assert any(s.action == Action.RESOLVE_OBJECTION and s.outcome == "dismissed" for c in centers for s in c.steps)


def test_steps_carry_their_records(centers: list[DemoCenter]) -> None:
    max_years = jurisdictions()["ningbo"].construction_period.max_years
    for center in centers:
        for step in center.steps:
            assert step.actor.role and step.actor.name
            if step.action == Action.REVIEW:
                assert step.review and step.review.experts and step.review.passed == (step.outcome == "passed")
            if step.action == Action.DECIDE:
                assert step.meeting_ref and "常务会议" in step.meeting_ref
            if step.action == Action.APPROVE:
                assert step.document_no and step.document_no.startswith("甬政发〔")
                assert step.construction_years and step.construction_years <= max_years
            if step.action == Action.CHANGE_TIER:
                assert step.document_no and step.from_tier and step.to_tier
            if step.action in (Action.DELIST, Action.COMPLETE_ACCEPTANCE):
                assert step.evidence and step.reason
    documents = [s.document_no for c in centers for s in c.steps if s.action == Action.APPROVE]
    assert len(set(documents)) == len(documents)


def test_acceptance_only_after_construction_end(centers: list[DemoCenter]) -> None:
    for center in centers:
        approvals = [s for s in center.steps if s.action == Action.APPROVE]
        for step in center.steps:
            if step.action == Action.COMPLETE_ACCEPTANCE:
                approval = approvals[0]
                assert approval.construction_years is not None
                assert step.on >= construction_end(jurisdictions()["ningbo"], approval.on, approval.construction_years)


def test_center_content_is_complete(centers: list[DemoCenter]) -> None:
    sections = [s.code for s in plan_outline()]
    for center in centers:
        assert center.name_zh.startswith("宁波市")
        assert (center.recommender is not None) == (center.origin == Origin.RECOMMENDED), center.key
        assert center.contacts and all("@" in p.email and len(p.phone) == 11 for p in center.contacts)
        assert [s.code for s in center.plan] == sections
        assert {g.kind for g in center.governance} == {
            "council",
            "director",
            "chief_scientist",
            "expert_committee",
        }
        assert all(g.members and g.term_start < g.term_end for g in center.governance)
        kinds = [b.kind for b in center.bases]
        assert kinds[:1] == ["core"] and kinds.count("core") == 1
        assert center.targets.year_5.investment_fen >= center.targets.year_2.investment_fen > 0
        assert center.targets.year_2.investment_fen % 100 == 0
        if center.tier == Tier.MUNICIPAL_TIC:
            assert center.name_zh.endswith("技术创新中心")
            assert center.name_en.startswith("Ningbo Municipal Innovation Center of ")


def test_a_malformed_demo_file_is_named_with_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.demo import data

    real = data._read

    def without_scenario(name: str) -> dict[str, object]:
        raw = real(name)
        if name == "centers.toml":
            raw["centers"][0][7] = "no_such_scenario"
        return raw

    monkeypatch.setattr(data, "_read", without_scenario)
    data.demo_data.cache_clear()
    try:
        with pytest.raises(data.DemoDataError, match=r"data/demo/centers.toml: centers\[0\]: no scenario"):
            data.demo_data()
    finally:
        data.demo_data.cache_clear()
