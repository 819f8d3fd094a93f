"""POLICY §4a through the API: every dated act fits the record, names, reversals, governance acts, the chain."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from tic_platform.cli import audit_chains


async def _get(registry: Any, center_id: str) -> dict[str, Any]:
    response = await registry.client.get(f"/api/v1/centers/{center_id}", headers=registry.admin)
    return dict(response.json())


def _refused_naming(problem: dict[str, Any], field: str, act: str, rule: str = "before") -> None:
    assert problem["type"] == "urn:tic:problem:act-date-refused", problem
    assert problem["errors"][0]["field"] == field
    assert problem["conflicts_with"]["act"] == act, problem
    assert problem["rule"] == rule, problem


async def test_an_act_is_never_in_the_future(registry: Any) -> None:
    center = await registry.to("decided")
    tomorrow = str(registry.today() + timedelta(days=1))
    refused = await registry.act(center["id"], "public-notice", {"starts_on": tomorrow}, expect=422)
    assert refused["type"] == "urn:tic:problem:act-date-refused"
    assert "in the future" in refused["detail"]
    assert (refused["rule"], refused["today"]) == ("in_future", str(registry.today()))
    assert (await _get(registry, center["id"]))["status"] == "decided"


async def test_an_act_is_never_before_the_act_it_follows(registry: Any) -> None:
    # The decision of 30 days ago; a notice said to start years before it, then an approval before that.
    center = await registry.to("decided")
    refused = await registry.act(center["id"], "public-notice", {"starts_on": "2023-01-01"}, expect=422)
    _refused_naming(refused, "body.starts_on", "decision")
    notice = await registry.act(center["id"], "public-notice", {"starts_on": registry.days_ago(20)})
    early = await registry.act(
        center["id"],
        "approve",
        {"document_no": "甬政发〔2026〕9号", "approved_on": registry.days_ago(25), **registry.domain()},
        expect=409,
    )
    assert early["type"] == "urn:tic:problem:notice-period-running"
    after = await _get(registry, center["id"])
    assert after["code"] is None and after["version"] == notice["version"]


async def test_no_act_is_dated_before_the_policy_in_force(registry: Any) -> None:
    center = await registry.create()
    refused = await registry.act(center["id"], "submit", {"on": "2021-03-01"}, expect=422)
    _refused_naming(refused, "body.on", "policy 甬政办发〔2022〕51号")
    assert "2022-10-26" in refused["detail"]


async def test_an_objection_is_raised_inside_the_public_notice(registry: Any) -> None:
    center = await registry.to("public_notice")  # the notice ran from 20 to 13 days ago
    outside = (
        (registry.days_ago(5), "end of the public notice", "not_before"),
        (registry.days_ago(22), "start of the public notice", "before"),
    )
    for raised_on, act, rule in outside:
        refused = await registry.client.post(
            f"/api/v1/centers/{center['id']}/objections",
            json={"summary": "质疑", "raised_by": "某人", "raised_on": raised_on},
            headers=registry.admin,
        )
        assert refused.status_code == 422, refused.text
        _refused_naming(refused.json(), "body.raised_on", act, rule)
    assert (await _get(registry, center["id"]))["status"] == "public_notice"
    inside = await registry.client.post(
        f"/api/v1/centers/{center['id']}/objections",
        json={"summary": "质疑", "raised_by": "某人", "raised_on": registry.days_ago(14)},
        headers=registry.admin,
    )
    assert inside.status_code == 201, inside.text


async def test_tier_change_dated_before_the_approval_is_refused(registry: Any) -> None:
    center = await registry.to("building", approved_on=registry.today() - timedelta(days=10))
    refused = await registry.act(
        center["id"],
        "tier",
        {"to_tier": "provincial_tic", "document_no": "浙科发〔2026〕8号", "changed_on": registry.days_ago(11)},
        expect=422,
    )
    _refused_naming(refused, "body.changed_on", "approval")


async def test_acceptance_only_once_construction_has_ended_and_inside_its_window(registry: Any) -> None:
    running = await registry.to("building")
    refused = await registry.act(
        running["id"], "acceptance", {"passed": True, "accepted_on": str(registry.today())}, expect=422
    )
    _refused_naming(refused, "body.accepted_on", "end of the construction period")
    assert (await _get(registry, running["id"]))["status"] == "building"

    approved_on = registry.today() - timedelta(days=400)
    ended = await registry.to("building", approved_on=approved_on, construction_years=1)
    end = date.fromisoformat(ended["construction_end"])
    before_end = await registry.act(
        ended["id"], "acceptance", {"passed": True, "accepted_on": str(end - timedelta(days=1))}, expect=422
    )
    _refused_naming(before_end, "body.accepted_on", "end of the construction period")
    accepted = await registry.act(ended["id"], "acceptance", {"passed": True, "accepted_on": str(end)})
    assert accepted["status"] == "operating"


async def test_an_official_name_is_held_by_one_live_center(registry: Any) -> None:
    domain = registry.domain()
    first = await registry.to("public_notice")
    second = await registry.to("public_notice")
    approve = {"document_no": "甬政发〔2026〕20号", "approved_on": str(registry.today()), **domain}
    held = await registry.act(first["id"], "approve", approve)
    taken = await registry.act(second["id"], "approve", approve, expect=409)
    assert taken["type"] == "urn:tic:problem:name-taken"
    assert taken["held_by"] == held["code"]
    assert (await _get(registry, second["id"]))["code"] is None
    # Once the holder is delisted the name is free again.
    end = {"reason": "弄虚作假", "document_no": "甬科发〔2026〕40号", "effective_on": str(registry.today())}
    await registry.act(first["id"], "delist", end)
    assert (await registry.act(second["id"], "approve", approve))["official_name_zh"] == held["official_name_zh"]


async def test_a_municipal_tic_is_named_after_its_own_domain(registry: Any) -> None:
    center = await registry.to("public_notice")
    refused = await registry.act(
        center["id"], "approve", {"document_no": "甬政发〔2026〕21号", "approved_on": str(registry.today())}, expect=422
    )
    assert refused["errors"][0]["field"] == "body.domain_zh"


async def test_the_bureau_reverses_a_delisting_and_the_history_keeps_both(registry: Any) -> None:
    center = await registry.to("building", approved_on=registry.today() - timedelta(days=30))
    end = {"reason": "连续两年不合格", "document_no": "甬科发〔2026〕41号", "effective_on": registry.days_ago(3)}
    await registry.act(center["id"], "delist", end)
    not_now = await registry.act(center["id"], "submit", {}, expect=409)
    assert not_now["allowed_actions"] == ["reinstate"]
    early = await registry.act(
        center["id"],
        "reinstate",
        {"document_no": "甬科发〔2026〕42号", "decided_on": registry.days_ago(4), "reason": "评价结果更正"},
        expect=422,
    )
    _refused_naming(early, "body.decided_on", "delisting")
    back = await registry.act(
        center["id"],
        "reinstate",
        {"document_no": "甬科发〔2026〕42号", "decided_on": registry.days_ago(1), "reason": "评价结果更正"},
    )
    assert back["status"] == "building" and back["ended_on"] is None
    events = await registry.events_of(center["id"])
    assert [e["type"].split(".")[2] for e in events[-2:]] == ["CenterDelisted", "CenterReinstated"]
    reinstated = events[-1]["data"]
    assert reinstated["reverses"] == "CenterDelisted" and reinstated["reverses_event_id"] == events[-2]["id"]
    assert reinstated["document_no"] == "甬科发〔2026〕42号" and reinstated["status"] == "building"
    history = (await registry.client.get(f"/api/v1/centers/{center['id']}/history", headers=registry.admin)).json()
    assert [h["action"] for h in history[-2:]] == ["delist", "reinstate:building"]
    assert [h["on"] for h in history[-2:]] == [registry.days_ago(3), registry.days_ago(1)]


async def test_governance_changes_after_the_application_are_dated_acts(registry: Any) -> None:
    center = await registry.to("building", approved_on=registry.today() - timedelta(days=30))
    patched = await registry.client.patch(
        f"/api/v1/centers/{center['id']}", json={"independent_legal_person": True}, headers=registry.admin
    )
    assert patched.status_code == 409  # the application itself is not edited after submission
    director = {
        "kind": "director",
        "members": [{"name": "陈立", "role": "主任"}],
        "term_start": registry.days_ago(2),
        "term_end": str(registry.today() + timedelta(days=3 * 365)),
    }
    changed = await registry.act(
        center["id"],
        "governance",
        {
            "governance": [director],
            "independent_legal_person": True,
            "effective_on": registry.days_ago(2),
            "document_no": "理事会〔2026〕1号",
            "reason": "理事会换届，聘任新主任；登记为独立法人",
        },
    )
    assert changed["status"] == "building"
    assert changed["governance"][0]["members"][0]["name"] == "陈立"
    assert changed["independent_legal_person"] is True and changed["legal_entity_status"] == "ok"
    history = (await registry.client.get(f"/api/v1/centers/{center['id']}/history", headers=registry.admin)).json()
    last = history[-1]
    assert last["action"] == "change_governance" and last["on"] == registry.days_ago(2)
    assert last["details"]["changed"] == ["governance", "independent_legal_person"]
    assert last["details"]["governance"][0]["members"][0]["name"] == "陈立"
    earlier = await registry.act(
        center["id"],
        "governance",
        {"independent_legal_person": False, "effective_on": registry.days_ago(3), "reason": "更正"},
        expect=422,
    )
    _refused_naming(earlier, "body.effective_on", "governance change")


async def test_the_history_is_a_hash_chain_that_names_an_edited_row(registry: Any, database_url: str) -> None:
    center = await registry.to("building")
    assert all("BROKEN" not in line for line in await audit_chains(["registry"], database_url))
    async with registry.app.state.db.transaction() as session:
        await session.execute(
            text("UPDATE registry.center_history SET reason = 'edited' WHERE center_id = :c AND action = 'submit'"),
            {"c": center["id"]},
        )
    report = await audit_chains(["registry"], database_url)
    assert any("BROKEN in 1 chain(s)" in line for line in report), report
    assert any(center["id"] in line and "was edited" in line for line in report), report
    async with registry.app.state.db.transaction() as session:
        await session.execute(
            text("DELETE FROM registry.center_history WHERE center_id = :c AND action = 'submit'"),
            {"c": center["id"]},
        )
    report = await audit_chains(["registry"], database_url)
    assert any(center["id"] in line and "removed, added or reordered" in line for line in report), report
    async with registry.app.state.db.transaction() as session:
        # Leave the shared database's chains intact for the tests that come after.
        await session.execute(text("DELETE FROM registry.center_history WHERE center_id = :c"), {"c": center["id"]})
