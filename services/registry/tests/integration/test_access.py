"""Who may see and do what: district officers within their district, center users on their own center."""

from __future__ import annotations

from typing import Any

from tic_platform.testing import bearer


async def test_a_district_officer_cannot_read_list_count_or_act_on_another_districts_center(registry: Any) -> None:
    theirs = await registry.to("submitted", district="yinzhou", recommender="鄞州区人民政府")
    mine = await registry.to("submitted", district="zhenhai")
    officer = bearer(registry.token(subject="officer-zh", roles=["district_officer"], district="zhenhai"))
    client = registry.client

    assert (await client.get(f"/api/v1/centers/{theirs['id']}", headers=officer)).status_code == 404
    assert (await client.get(f"/api/v1/centers/{theirs['id']}/history", headers=officer)).status_code == 404
    assert (await client.get(f"/api/v1/centers/{mine['id']}", headers=officer)).status_code == 200

    listed = (await client.get("/api/v1/centers", params={"limit": 500}, headers=officer)).json()["items"]
    assert {c["district"] for c in listed} == {"zhenhai"}
    filtered = (await client.get("/api/v1/centers", params={"district": "yinzhou"}, headers=officer)).json()
    assert filtered["items"] == []
    by_credit = await client.get(
        "/api/v1/centers", params={"lead_unit_credit_code": theirs["lead_unit"]["credit_code"]}, headers=officer
    )
    assert by_credit.json()["items"] == []

    counts = (await client.get("/api/v1/centers/stats/counts", params={"by": "district"}, headers=officer)).json()
    assert set(counts["counts"]) == {"zhenhai"}
    yinzhou = await client.get("/api/v1/centers/stats/counts", params={"district": "yinzhou"}, headers=officer)
    assert yinzhou.json()["total"] == 0

    withdraw = await client.post(f"/api/v1/centers/{theirs['id']}/withdraw", json={}, headers=officer)
    assert withdraw.status_code == 404
    elsewhere = await client.post("/api/v1/centers", json=registry.application(district="yinzhou"), headers=officer)
    assert elsewhere.status_code == 403
    assert (await client.post("/api/v1/centers", json=registry.application(), headers=officer)).status_code == 201


async def test_a_district_officer_cannot_take_the_bureaus_decisions(registry: Any) -> None:
    center = await registry.to("submitted")
    officer = bearer(registry.token(roles=["district_officer"], district="zhenhai"))
    response = await registry.client.post(f"/api/v1/centers/{center['id']}/start-review", json={}, headers=officer)
    assert response.status_code == 403
    assert "registry:review" in response.json()["detail"]


async def test_a_center_user_sees_and_edits_only_its_own_center(registry: Any) -> None:
    own = await registry.create()
    other = await registry.create()
    user = bearer(registry.token(subject="center-user", roles=["center_user"], center_id=own["id"]))
    client = registry.client
    assert (await client.get(f"/api/v1/centers/{own['id']}", headers=user)).status_code == 200
    assert (await client.get(f"/api/v1/centers/{other['id']}", headers=user)).status_code == 404
    listed = (await client.get("/api/v1/centers", headers=user)).json()["items"]
    assert [c["id"] for c in listed] == [own["id"]]
    patched = await client.patch(f"/api/v1/centers/{own['id']}", json={"industrial_chain": "新材料"}, headers=user)
    assert patched.status_code == 200 and patched.json()["industrial_chain"] == "新材料"
    assert (await client.patch(f"/api/v1/centers/{other['id']}", json={}, headers=user)).status_code == 404
    assert (await client.post("/api/v1/centers", json=registry.application(), headers=user)).status_code == 403
    submitted = await client.post(f"/api/v1/centers/{own['id']}/submit", json={}, headers=user)
    assert submitted.json()["status"] == "submitted"


async def test_an_expert_has_no_registry_access(registry: Any) -> None:
    expert = bearer(registry.token(roles=["expert"]))
    assert (await registry.client.get("/api/v1/centers", headers=expert)).status_code == 403


async def test_a_retry_with_the_same_idempotency_key_creates_one_center(registry: Any) -> None:
    body = registry.application()
    headers = {**registry.admin, "Idempotency-Key": "create-once-" + body["lead_unit"]["credit_code"]}
    first = await registry.client.post("/api/v1/centers", json=body, headers=headers)
    second = await registry.client.post("/api/v1/centers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    found = await registry.client.get(
        "/api/v1/centers", params={"lead_unit_credit_code": body["lead_unit"]["credit_code"]}, headers=registry.admin
    )
    assert len(found.json()["items"]) == 1


async def test_a_retried_transition_with_the_same_key_acts_once(registry: Any) -> None:
    center = await registry.create()
    headers = {**registry.admin, "Idempotency-Key": f"submit-{center['id']}"}
    first = await registry.client.post(f"/api/v1/centers/{center['id']}/submit", json={}, headers=headers)
    second = await registry.client.post(f"/api/v1/centers/{center['id']}/submit", json={}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert len(await registry.events_of(center["id"])) == 1


async def test_if_match_with_a_stale_etag_is_refused_and_changes_nothing(registry: Any) -> None:
    center = await registry.create()
    read = await registry.client.get(f"/api/v1/centers/{center['id']}", headers=registry.admin)
    etag = read.headers["etag"]
    ok = await registry.client.patch(
        f"/api/v1/centers/{center['id']}", json={"industrial_chain": "A"}, headers={**registry.admin, "If-Match": etag}
    )
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = await registry.client.post(
        f"/api/v1/centers/{center['id']}/submit", json={}, headers={**registry.admin, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == ok.headers["etag"]
    after = (await registry.client.get(f"/api/v1/centers/{center['id']}", headers=registry.admin)).json()
    assert after["status"] == "draft"
    fresh = await registry.client.post(
        f"/api/v1/centers/{center['id']}/submit", json={}, headers={**registry.admin, "If-Match": ok.headers["etag"]}
    )
    assert fresh.status_code == 200
