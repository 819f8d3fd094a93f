"""The management API: rules, templates (checked before they are saved), subscriptions; access and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from notification.store.tables import subscriptions, templates
from tic_platform.testing import bearer, eventually
from tic_shared.events.catalog import CATALOG

PROBLEM = "application/problem+json"


async def test_rules_are_data_with_a_version(notification: Any, admin: dict[str, str]) -> None:
    async with notification() as (_, client):
        response = await client.get("/api/v1/rules", headers=admin)
        assert response.status_code == 200
        body = response.json()
        assert body["version"] >= 1 and len(body["rules"]) == len(CATALOG)
        approved = (await client.get("/api/v1/rules/CenterApproved", headers=admin)).json()
        assert {"who": "lead_unit_contacts", "channels": ["email"]} in approved["notify"]
        assert {"who": "district_officers", "channels": ["inbox"]} in approved["notify"]
        missing = await client.get("/api/v1/rules/NoSuchEvent", headers=admin)
        assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM


async def test_templates_preview_and_a_broken_template_is_refused(notification: Any, admin: dict[str, str]) -> None:
    async with notification() as (app, client):
        shown = await client.get("/api/v1/templates/CenterDelisted/zh", headers=admin)
        assert shown.status_code == 200 and shown.headers["etag"]
        original = shown.json()

        preview = await client.post("/api/v1/templates/CenterApproved/zh/preview", headers=admin)
        assert preview.status_code == 200, preview.text
        assert preview.json()["subject"] == "【创新中心】宁波市先进高分子材料技术创新中心 启动建设"
        english = await client.post("/api/v1/templates/CenterApproved/en/preview", headers=admin, json={})
        assert english.json()["subject"].startswith("[TIC] Construction launched: Ningbo Municipal")
        draft = await client.post(
            "/api/v1/templates/CenterDelisted/zh/preview",
            headers=admin,
            json={"subject": "摘牌：{{ center_name }}", "body": "<p>{{ data.reason }}</p>"},
        )
        assert draft.json()["subject"] == "摘牌：宁波市先进高分子材料技术创新中心"
        assert draft.json()["body"] == "<p>连续两年评价不合格</p>"
        bad_data = await client.post(
            "/api/v1/templates/CenterDelisted/zh/preview", headers=admin, json={"data": {"center_id": "x"}}
        )
        assert bad_data.status_code == 422 and bad_data.headers["content-type"] == PROBLEM

        broken = {
            "syntax": {"subject": "{{ center_name ", "body": "<p>x</p>"},
            "unknown field": {"subject": "摘牌", "body": "<p>{{ data.no_such_field }}</p>"},
            "bad filter use": {"subject": "摘牌", "body": "<p>{{ data.reason | yuan }}</p>"},
            "sandbox": {"subject": "摘牌", "body": "{{ data.__class__.__mro__ }}"},
        }
        for case, template in broken.items():
            refused = await client.put(
                "/api/v1/templates/CenterDelisted/zh",
                json=template,
                headers={**admin, "If-Match": shown.headers["etag"]},
            )
            assert refused.status_code == 422, (case, refused.text)
            assert refused.headers["content-type"] == PROBLEM
            assert refused.json()["type"] == "urn:tic:problem:template-invalid", case
        async with app.state.db.transaction() as session:
            row = (
                await session.execute(
                    select(templates).where(templates.c.event_name == "CenterDelisted", templates.c.locale == "zh")
                )
            ).one()
        assert row.body == original["body"] and row.version == original["version"]  # nothing written

        good = {"subject": original["subject"], "body": original["body"] + "<p>{{ data.effective_on }}</p>"}
        stale = await client.put(
            "/api/v1/templates/CenterDelisted/zh", json=good, headers={**admin, "If-Match": 'W/"x"'}
        )
        assert stale.status_code == 412
        saved = await client.put(
            "/api/v1/templates/CenterDelisted/zh", json=good, headers={**admin, "If-Match": shown.headers["etag"]}
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == original["version"] + 1 and saved.json()["source"] == "api"
        assert saved.headers["etag"] != shown.headers["etag"]
        restored = await client.put(
            "/api/v1/templates/CenterDelisted/zh",
            json={"subject": original["subject"], "body": original["body"]},
            headers={**admin, "If-Match": saved.headers["etag"]},
        )
        assert restored.status_code == 200

        listed = await client.get("/api/v1/templates", headers=admin, params={"locale": "en", "limit": 5})
        assert len(listed.json()["items"]) == 5 and listed.json()["next_cursor"]
        more = await client.get(
            "/api/v1/templates", headers=admin, params={"locale": "en", "cursor": listed.json()["next_cursor"]}
        )
        assert {i["event_name"] for i in more.json()["items"]}.isdisjoint(
            {i["event_name"] for i in listed.json()["items"]}
        )


async def test_subscription_management_needs_its_scope_and_hides_the_secret(
    notification: Any, token: Callable[..., str], admin: dict[str, str]
) -> None:
    async with notification() as (_, client):
        reader = bearer(token(subject="reader", roles=["bureau_reviewer"]))
        officer = bearer(token(subject="officer", roles=["district_officer"], district="yinzhou"))
        body = {"url": "https://finance.example.gov.cn/hook", "event_types": ["tic.funding.*"]}
        for headers in (reader, officer):
            for method, path in (
                ("POST", "/api/v1/subscriptions"),
                ("GET", "/api/v1/subscriptions"),
                ("GET", "/api/v1/rules"),
                ("GET", "/api/v1/templates"),
                ("POST", f"/api/v1/deliveries/{uuid.uuid4()}/replay"),
            ):
                response = await client.request(method, path, json=body, headers=headers)
                assert response.status_code == 403, (method, path, response.text)
                assert response.headers["content-type"] == PROBLEM
        # The delivery log names people's addresses: bureau and systems only.
        assert (await client.get("/api/v1/deliveries", headers=reader)).status_code == 200
        assert (await client.get("/api/v1/deliveries", headers=officer)).status_code == 403

        system = bearer(token(subject=f"finance-{uuid.uuid4().hex[:6]}", scopes=["notification:manage"]))
        key = uuid.uuid4().hex
        first = await client.post("/api/v1/subscriptions", json=body, headers={**system, "Idempotency-Key": key})
        assert first.status_code == 201 and first.json()["secret"].startswith("whsec_")
        retry = await client.post("/api/v1/subscriptions", json=body, headers={**system, "Idempotency-Key": key})
        assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["id"] == first.json()["id"] and retry.json()["secret"] is None
        secret = first.json()["secret"]
        shown = await client.get(f"/api/v1/subscriptions/{first.json()['id']}", headers=system)
        patched = await client.patch(
            f"/api/v1/subscriptions/{first.json()['id']}",
            json={"description": "财政局"},
            headers={**system, "If-Match": shown.headers["etag"]},
        )
        assert patched.status_code == 200 and patched.json()["description"] == "财政局"
        for response in (retry, shown, patched):
            assert secret not in response.text
        stale_delete = await client.delete(
            f"/api/v1/subscriptions/{first.json()['id']}", headers={**system, "If-Match": shown.headers["etag"]}
        )
        assert stale_delete.status_code == 412
        deleted = await client.delete(f"/api/v1/subscriptions/{first.json()['id']}", headers=system)
        assert deleted.status_code == 204
        assert (await client.get(f"/api/v1/subscriptions/{first.json()['id']}", headers=system)).status_code == 404


async def test_bad_input_on_every_endpoint_is_a_problem_and_writes_nothing(
    notification: Any, admin: dict[str, str]
) -> None:
    marker = f"bad-input-{uuid.uuid4().hex[:8]}"
    cases: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None, int]] = [
        ("POST", "/api/v1/subscriptions", {"url": "not a url", "event_types": ["*"], "description": marker}, None, 422),
        (
            "POST",
            "/api/v1/subscriptions",
            {"url": "ftp://x.example/h", "event_types": ["*"], "description": marker},
            None,
            422,
        ),
        (
            "POST",
            "/api/v1/subscriptions",
            {"url": "https://x.example/h", "event_types": [], "description": marker},
            None,
            422,
        ),
        (
            "POST",
            "/api/v1/subscriptions",
            {"url": "https://x.example/h", "event_types": ["tic.nope.*"], "description": marker},
            None,
            422,
        ),
        (
            "POST",
            "/api/v1/subscriptions",
            {"url": "https://x.example/h", "event_types": ["tic.registry.Nope.v1"], "description": marker},
            None,
            422,
        ),
        (
            "POST",
            "/api/v1/subscriptions",
            {"url": "https://x.example/h", "event_types": ["*"], "description": "x" * 501},
            None,
            422,
        ),
        ("POST", "/api/v1/subscriptions", None, None, 422),
        ("GET", "/api/v1/subscriptions", None, {"limit": 0}, 422),
        ("GET", "/api/v1/subscriptions", None, {"cursor": "%%%"}, 400),
        ("GET", "/api/v1/subscriptions", None, {"status": "weird"}, 422),
        ("GET", "/api/v1/subscriptions/not-a-uuid", None, None, 422),
        ("GET", f"/api/v1/subscriptions/{uuid.uuid4()}", None, None, 404),
        ("PATCH", f"/api/v1/subscriptions/{uuid.uuid4()}", {"status": "active"}, None, 404),
        ("PATCH", f"/api/v1/subscriptions/{uuid.uuid4()}", {"status": "deleted"}, None, 422),
        ("DELETE", "/api/v1/subscriptions/not-a-uuid", None, None, 422),
        ("GET", "/api/v1/deliveries", None, {"status": "lost"}, 422),
        ("GET", "/api/v1/deliveries", None, {"event_id": "nope"}, 422),
        ("GET", "/api/v1/deliveries", None, {"cursor": "abc"}, 400),
        ("GET", f"/api/v1/deliveries/{uuid.uuid4()}", None, None, 404),
        ("POST", f"/api/v1/deliveries/{uuid.uuid4()}/replay", None, None, 404),
        ("POST", "/api/v1/deliveries/x/replay", None, None, 422),
        ("GET", "/api/v1/inbox", None, {"limit": 1000}, 422),
        ("GET", "/api/v1/inbox", None, {"locale": "fr"}, 422),
        ("GET", "/api/v1/inbox", None, {"cursor": "@@"}, 400),
        ("GET", f"/api/v1/inbox/{uuid.uuid4()}", None, None, 404),
        ("POST", f"/api/v1/inbox/{uuid.uuid4()}/read", None, None, 404),
        ("POST", "/api/v1/inbox/read", {"item_ids": ["x"]}, None, 422),
        ("GET", "/api/v1/templates", None, {"locale": "fr"}, 422),
        ("GET", "/api/v1/templates", None, {"cursor": "abc"}, 400),
        ("GET", "/api/v1/templates/NoSuchEvent/zh", None, None, 404),
        ("GET", "/api/v1/templates/CenterApproved/fr", None, None, 422),
        ("PUT", "/api/v1/templates/CenterApproved/zh", {"subject": "", "body": "x"}, None, 422),
        ("PUT", "/api/v1/templates/NoSuchEvent/zh", {"subject": "s", "body": "b"}, None, 404),
        ("POST", "/api/v1/templates/CenterApproved/zh/preview", {"subject": "{% if %}"}, None, 422),
        ("GET", "/api/v1/rules/NoSuchEvent", None, None, 404),
        ("GET", "/api/v1/received-events", None, {"limit": -1}, 422),
    ]
    async with notification() as (app, client):
        for method, path, body, params, status in cases:
            response = await client.request(method, path, json=body, params=params, headers=admin)
            assert response.status_code == status, (method, path, body, params, response.text)
            assert response.headers["content-type"] == PROBLEM, (method, path)
            problem = response.json()
            assert problem["type"].startswith("urn:tic:problem:") and problem["detail"], (method, path)
        async with app.state.db.transaction() as session:
            written = await session.execute(
                select(func.count()).select_from(subscriptions).where(subscriptions.c.description == marker)
            )
            assert written.scalar_one() == 0


async def test_received_events_slice_lists_what_arrived(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    async with notification() as (_, client):
        event = kit.center_approved()
        await kit.publish(nats_url, event)

        async def listed() -> Any:
            response = await client.get(
                "/api/v1/received-events", params={"subject": str(event.data["center_id"])}, headers=admin
            )
            return response.json()["items"]

        [item] = await eventually(listed)
        assert item["event_id"] == str(event.id) and item["payload"]["data"]["name_zh"] == event.data["name_zh"]


async def test_received_events_page_through_a_batch_received_at_one_instant_without_losing_any(
    notification: Any, admin: dict[str, str]
) -> None:
    """A fetched batch is applied in one transaction, so its events share `received_at`: pages must still
    walk every one of them exactly once."""
    from notification.store.tables import received_events

    subject = str(uuid.uuid4())
    async with notification() as (app, client):
        async with app.state.db.transaction() as session:
            await session.execute(
                received_events.insert(),
                [
                    {"event_id": uuid.uuid4(), "event_type": "tic.bench.Batch.v1", "subject": subject, "payload": {}}
                    for _ in range(5)
                ],
            )
        seen: list[str] = []
        cursor = None
        while True:
            params = {"subject": subject, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/received-events", params=params, headers=admin)).json()
            seen += [item["event_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 5 and len(set(seen)) == 5


async def test_a_webhook_pointing_inside_is_refused_where_private_addresses_are_not_allowed(
    notification: Any, admin: dict[str, str]
) -> None:
    async with notification(webhook_allow_private_addresses=False, webhook_allow_http=True) as (_, client):
        for url in (
            "http://127.0.0.1:8199/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
        ):
            response = await client.post(
                "/api/v1/subscriptions", json={"url": url, "event_types": ["tic.registry.*"]}, headers=admin
            )
            assert response.status_code == 422, url
            assert response.json()["errors"][0]["field"] == "body.url"
        listed = (await client.get("/api/v1/subscriptions", headers=admin)).json()["items"]
        assert not [s for s in listed if "169.254" in s["url"] or "10.1.2.3" in s["url"]]
        outside = await client.post(
            "/api/v1/subscriptions",
            json={"url": "https://finance.example.gov.cn/tic/events", "event_types": ["tic.registry.*"]},
            headers=admin,
        )
        assert outside.status_code == 201, outside.text
        await client.delete(f"/api/v1/subscriptions/{outside.json()['id']}", headers=admin)
