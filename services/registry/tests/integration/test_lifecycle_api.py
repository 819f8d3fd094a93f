"""The lifecycle through the API: each transition allowed and refused, POLICY §2's rules, history and events."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tic_shared.events.catalog import BY_TYPE


async def test_the_whole_path_from_draft_to_building_emits_events_in_sequence(registry: Any) -> None:
    center = await registry.to("building")
    assert center["status"] == "building"
    assert center["code"].startswith(f"NB-TIC-{registry.today().year}-")
    assert re.fullmatch(r"宁波市先进高分子材料[0-9A-F]{6}技术创新中心", center["official_name_zh"])
    assert re.fullmatch(
        r"Ningbo Municipal Innovation Center of Advanced Polymer Materials [0-9A-F]{6} Technology",
        center["official_name_en"],
    )
    assert center["construction_end"] == str(registry.today().replace(year=registry.today().year + 5))

    events = await registry.events_of(center["id"])
    assert [e["type"].split(".")[2] for e in events] == [
        "CenterSubmitted",
        "CenterReviewCompleted",
        "CenterPublicNoticeStarted",
        "CenterApproved",
    ]
    assert [e["data"]["sequence"] for e in events] == [1, 2, 3, 4]
    for event in events:
        BY_TYPE[event["type"]].model_validate(event["data"])  # each payload keeps the contract
    approved = events[-1]["data"]
    assert approved["document_no"] == "甬政发〔2026〕12号"
    assert approved["targets"]["year_2"]["team"] == 100
    assert approved["contacts"][0]["email"] == "wangmin@example.cn"

    history = (await registry.client.get(f"/api/v1/centers/{center['id']}/history", headers=registry.admin)).json()
    assert [h["action"] for h in history] == [
        "create",
        "submit",
        "start_review",
        "review:passed",
        "decide:approved",
        "start_public_notice",
        "approve",
    ]
    assert history[-1]["event_ids"] == [events[-1]["id"]]
    assert all(h["actor"] == "admin-1" for h in history)


REFUSED = [
    ("draft", "approve", {"document_no": "x", "approved_on": "2026-01-01"}),
    ("draft", "start-review", {}),
    ("submitted", "submit", {}),
    ("submitted", "review", {"passed": True, "score": 80, "opinion": "ok", "experts": ["a"]}),
    ("under_review", "public-notice", {"starts_on": "2026-01-01"}),
    ("reviewed", "approve", {"document_no": "x", "approved_on": "2026-01-01"}),
    ("decided", "withdraw", {}),
    ("public_notice", "submit", {}),
    ("building", "withdraw", {}),
    ("building", "review", {"passed": True, "score": 80, "opinion": "ok", "experts": ["a"]}),
]


@pytest.mark.parametrize(("state", "action", "body"), REFUSED)
async def test_a_transition_not_in_the_diagram_is_refused_naming_state_and_allowed_actions(
    registry: Any, state: str, action: str, body: dict[str, Any]
) -> None:
    center = await registry.to(state)
    before = await registry.events_of(center["id"])
    refused = await registry.act(center["id"], action, body, expect=409)
    assert refused["type"] == "urn:tic:problem:illegal-transition"
    assert refused["current_state"] == state
    assert refused["allowed_actions"] == center["allowed_actions"]
    assert state in refused["detail"]
    after = (await registry.client.get(f"/api/v1/centers/{center['id']}", headers=registry.admin)).json()
    assert after["status"] == state and after["version"] == center["version"]
    assert await registry.events_of(center["id"]) == before


@pytest.mark.parametrize("state", ["draft", "submitted", "under_review", "reviewed"])
async def test_withdraw_is_allowed_before_the_decision(registry: Any, state: str) -> None:
    center = await registry.to(state)
    withdrawn = await registry.act(center["id"], "withdraw", {"reason": "主要依托单位调整"})
    assert withdrawn["status"] == "withdrawn"
    events = await registry.events_of(center["id"])
    assert events[-1]["type"] == "tic.registry.CenterWithdrawn.v1"
    assert events[-1]["data"]["reason"] == "主要依托单位调整"


async def test_a_failed_review_rejects(registry: Any) -> None:
    center = await registry.to("under_review")
    body = {"passed": False, "score": 52, "opinion": "建设方案不成熟", "experts": ["张三"]}
    rejected = await registry.act(center["id"], "review", body)
    assert rejected["status"] == "rejected"
    types = [e["type"].split(".")[2] for e in await registry.events_of(center["id"])]
    assert types[-2:] == ["CenterReviewCompleted", "CenterRejected"]


async def test_a_decision_not_to_approve_rejects_and_needs_a_reason(registry: Any) -> None:
    center = await registry.to("reviewed")
    missing = await registry.act(
        center["id"],
        "decision",
        {"approved": False, "meeting_ref": "m", "decided_on": str(registry.today())},
        expect=422,
    )
    assert missing["type"] == "urn:tic:problem:validation-error"
    body = {"approved": False, "meeting_ref": "m", "decided_on": str(registry.today()), "reason": "布局重复"}
    assert (await registry.act(center["id"], "decision", body))["status"] == "rejected"


async def test_approval_refused_while_public_notice_runs(registry: Any) -> None:
    center = await registry.to("decided")
    notice = await registry.act(center["id"], "public-notice", {"starts_on": str(registry.today() - timedelta(days=2))})
    assert notice["notice_ends_on"] == str(registry.today() + timedelta(days=5))
    refused = await registry.act(
        center["id"], "approve", {"document_no": "甬政发〔2026〕1号", "approved_on": str(registry.today())}, expect=409
    )
    assert refused["type"] == "urn:tic:problem:notice-period-running"
    assert refused["current_state"] == "public_notice"
    after = (await registry.client.get(f"/api/v1/centers/{center['id']}", headers=registry.admin)).json()
    assert after["code"] is None and after["status"] == "public_notice"


async def test_approval_refused_with_open_objection(registry: Any) -> None:
    center = await registry.to("public_notice")
    objection = await registry.client.post(
        f"/api/v1/centers/{center['id']}/objections",
        json={"summary": "依托单位存在失信记录", "raised_by": "匿名", "raised_on": registry.days_ago(18)},
        headers=registry.admin,
    )
    assert objection.status_code == 201, objection.text
    refused = await registry.act(
        center["id"], "approve", {"document_no": "甬政发〔2026〕1号", "approved_on": str(registry.today())}, expect=409
    )
    assert refused["type"] == "urn:tic:problem:objection-open"
    assert refused["current_state"] == "objection_review"


async def test_upheld_objection_rejects(registry: Any) -> None:
    center = await registry.to("public_notice")
    objection = (
        await registry.client.post(
            f"/api/v1/centers/{center['id']}/objections",
            json={"summary": "材料造假", "raised_by": "某公司", "raised_on": registry.days_ago(18)},
            headers=registry.admin,
        )
    ).json()
    resolved = await registry.act(
        center["id"],
        f"objections/{objection['id']}/resolution",
        {"upheld": True, "note": "经核实属实", "resolved_on": registry.days_ago(16)},
    )
    assert resolved["status"] == "rejected"
    assert (await registry.events_of(center["id"]))[-1]["type"] == "tic.registry.CenterRejected.v1"


async def test_dismissed_objection_returns_to_notice_and_approval_then_succeeds(registry: Any) -> None:
    center = await registry.to("public_notice")
    objection = (
        await registry.client.post(
            f"/api/v1/centers/{center['id']}/objections",
            json={"summary": "质疑", "raised_by": "某人", "raised_on": registry.days_ago(18)},
            headers=registry.admin,
        )
    ).json()
    resolved = await registry.act(
        center["id"],
        f"objections/{objection['id']}/resolution",
        {"upheld": False, "note": "经核实不属实", "resolved_on": registry.days_ago(16)},
    )
    assert resolved["status"] == "public_notice"
    again = await registry.act(
        center["id"],
        f"objections/{objection['id']}/resolution",
        {"upheld": True, "note": "x", "resolved_on": registry.days_ago(16)},
        expect=409,
    )
    assert again["type"] == "urn:tic:problem:objection-resolved"
    approved = await registry.act(
        center["id"],
        "approve",
        {"document_no": "甬政发〔2026〕2号", "approved_on": str(registry.today()), **registry.domain()},
    )
    assert approved["status"] == "building"


async def test_approval_records_names_code_and_construction_period_of_at_most_5_years(registry: Any) -> None:
    center = await registry.to("public_notice")
    domain = registry.domain()
    too_long = await registry.act(
        center["id"],
        "approve",
        {"document_no": "甬政发〔2026〕3号", "approved_on": str(registry.today()), "construction_years": 6},
        expect=422,
    )
    assert "at most 5 years" in too_long["detail"]
    future = await registry.act(
        center["id"],
        "approve",
        {"document_no": "甬政发〔2026〕3号", "approved_on": str(registry.today() + timedelta(days=1))},
        expect=422,
    )
    assert future["errors"][0]["field"] == "body.approved_on"
    approved = await registry.act(
        center["id"],
        "approve",
        {
            "document_no": "甬政发〔2026〕3号",
            "approved_on": str(registry.today()),
            **domain,
            "construction_years": 4,
        },
    )
    assert approved["official_name_zh"] == f"宁波市{domain['domain_zh']}技术创新中心"
    assert approved["official_name_en"] == f"Ningbo Municipal Innovation Center of {domain['domain_en']} Technology"
    assert approved["construction_end"] == str(registry.today().replace(year=registry.today().year + 4))
    other = await registry.to("building")
    seq = [int(c["code"].rsplit("-", 1)[1]) for c in (approved, other)]
    assert seq[1] > seq[0]


async def test_tier_change_keeps_state_and_emits_tier_changed(registry: Any) -> None:
    center = await registry.to("building")
    same = await registry.act(
        center["id"],
        "tier",
        {"to_tier": "municipal_tic", "document_no": "x", "changed_on": str(registry.today())},
        expect=422,
    )
    assert same["errors"][0]["field"] == "body.to_tier"
    changed = await registry.act(
        center["id"],
        "tier",
        {"to_tier": "provincial_tic", "document_no": "浙科发〔2026〕8号", "changed_on": str(registry.today())},
    )
    assert changed["tier"] == "provincial_tic" and changed["status"] == "building"
    event = (await registry.events_of(center["id"]))[-1]
    assert event["type"] == "tic.registry.CenterTierChanged.v1"
    assert (event["data"]["from_tier"], event["data"]["to_tier"]) == ("municipal_tic", "provincial_tic")


@pytest.mark.parametrize(
    ("action", "state", "event"), [("cancel", "cancelled", "CenterCancelled"), ("delist", "delisted", "CenterDelisted")]
)
async def test_cancel_and_delist_by_the_bureau_carry_reason_and_evidence(
    registry: Any, action: str, state: str, event: str
) -> None:
    center = await registry.to("building")
    body = {
        "reason": "建设任务未完成",
        "document_no": "甬科发〔2026〕31号",
        "evidence": ["甬科函〔2026〕5号"],
        "effective_on": str(registry.today()),
    }
    ended = await registry.act(center["id"], action, body)
    assert ended["status"] == state and ended["end_reason"] == "建设任务未完成"
    data = (await registry.events_of(center["id"]))[-1]
    assert data["type"] == f"tic.registry.{event}.v1"
    assert data["data"]["evidence"] == ["甬科函〔2026〕5号"]
    assert data["data"]["effective_on"] == str(registry.today())
    assert data["data"]["document_no"] == "甬科发〔2026〕31号"
    assert (await registry.act(center["id"], action, body, expect=409))["current_state"] == state


async def test_every_transition_is_kept_in_an_append_only_history(registry: Any) -> None:
    center = await registry.to("public_notice")
    url = f"/api/v1/centers/{center['id']}/history"
    before = (await registry.client.get(url, headers=registry.admin)).json()
    objection = (
        await registry.client.post(
            f"/api/v1/centers/{center['id']}/objections",
            json={"summary": "材料造假", "raised_by": "某公司", "raised_on": registry.days_ago(18)},
            headers=registry.admin,
        )
    ).json()
    await registry.act(
        center["id"],
        f"objections/{objection['id']}/resolution",
        {"upheld": True, "note": "经核实属实", "resolved_on": registry.days_ago(16)},
    )
    after = (await registry.client.get(url, headers=registry.admin)).json()

    # Appended, never rewritten: what was there is still there, unchanged, and in order.
    assert after[: len(before)] == before
    raised, upheld = after[len(before) :]
    assert [h["id"] for h in after] == sorted(h["id"] for h in after)
    assert (raised["from_state"], raised["to_state"], raised["reason"]) == (
        "public_notice",
        "objection_review",
        "材料造假",
    )
    assert (upheld["action"], upheld["from_state"], upheld["to_state"]) == (
        "resolve_objection:upheld",
        "objection_review",
        "rejected",
    )
    assert upheld["reason"] == "objection upheld: 经核实属实"
    assert all(h["actor"] == "admin-1" and h["at"] for h in (raised, upheld))
    events = await registry.events_of(center["id"])
    assert raised["event_ids"] == [events[-2]["id"]] and upheld["event_ids"] == [events[-1]["id"]]
    assert [e["type"].split(".")[2] for e in events[-2:]] == ["CenterObjectionRaised", "CenterRejected"]
