"""An approved center reaches its lead unit by email (in Chinese), subscribers by signed webhook, and the
inboxes of the center's users, its district's officers and the bureau."""

from __future__ import annotations

import email
import email.policy
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from notification.channels import webhook_body
from notification.domain.signing import verify
from notification.store.tables import centers
from tic_platform.testing import bearer, eventually


async def test_center_approved_sends_the_rendered_chinese_email(
    notification: Any, smtp: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    async with notification(smtp_host=smtp.host, smtp_port=smtp.port) as (_, client):
        address = f"wang-{uuid.uuid4().hex[:8]}@example.com"
        event = kit.center_approved(email=address, name_zh="宁波市<智能>传感技术创新中心")
        await kit.publish(nats_url, event)

        async def mail() -> Any:
            return next((m for m in smtp.mailbox.messages if address in m.rcpt_tos), None)

        envelope = await eventually(mail)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["Subject"] == "【创新中心】宁波市<智能>传感技术创新中心 启动建设"
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert "甬政发〔2026〕12号" in html and "建设期为 2026-03-01 至 2031-02-28" in html
        assert "宁波市&lt;智能&gt;传感技术创新中心" in html  # autoescaped in HTML …
        assert "宁波市<智能>传感技术创新中心" in text  # … and plain in the text part

        async def delivered() -> Any:
            response = await client.get(
                "/api/v1/deliveries", params={"event_id": str(event.id), "channel": "email"}, headers=admin
            )
            items = response.json()["items"]
            return items if items and items[0]["status"] == "delivered" else None

        [row] = await eventually(delivered)
        assert row["recipient"] == address
        detail = (await client.get(f"/api/v1/deliveries/{row['id']}", headers=admin)).json()
        [attempt] = detail["attempt_log"]
        assert attempt["ok"] is True and attempt["latency_ms"] >= 0
        # The same Message-ID on every attempt of a delivery, so a mail system can drop a repeat (issue 13).
        assert message["Message-ID"] == f"<{row['id']}@tic.notification>"
        assert message["X-TIC-Event-Id"] == str(event.id)


async def test_email_is_skipped_not_retried_without_smtp(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    async with notification() as (_, client):
        event = kit.center_approved()
        await kit.publish(nats_url, event)

        async def logged() -> Any:
            response = await client.get(
                "/api/v1/deliveries", params={"event_id": str(event.id), "channel": "email"}, headers=admin
            )
            return response.json()["items"]

        [row] = await eventually(logged)
        assert row["status"] == "skipped"
        assert "TIC_SMTP_HOST" in row["last_error"]


async def test_subscriber_gets_the_signed_cloudevent_and_the_signature_verifies(
    notification: Any, receiver: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    async with (
        notification() as (_, client),
        kit.subscribed(client, admin, receiver.url, ["tic.registry.CenterApproved.v1"]) as subscription,
    ):
        secret = subscription["secret"]
        assert secret.startswith("whsec_")
        event = kit.center_approved()
        await kit.publish(nats_url, event)
        await eventually(lambda: _count(receiver, event.id))
        [hit] = [h for h in receiver.hits if h.event_id == str(event.id)]
        assert hit.headers["content-type"].startswith("application/cloudevents+json")
        assert hit.headers["x-tic-signature"].startswith("sha256=")
        assert verify(secret, hit.headers["x-tic-timestamp"], hit.body, hit.headers["x-tic-signature"], now=time.time())
        assert not verify(
            "whsec_wrong", hit.headers["x-tic-timestamp"], hit.body, hit.headers["x-tic-signature"], now=time.time()
        )
        tampered = hit.body.replace(b"NB-TIC", b"XX-TIC")
        assert not verify(
            secret, hit.headers["x-tic-timestamp"], tampered, hit.headers["x-tic-signature"], now=time.time()
        )
        import json

        body = json.loads(hit.body)
        assert body["id"] == str(event.id) and body["type"] == "tic.registry.CenterApproved.v1"
        # The body is the event's JSON text as the received log keeps it: compact, UTF-8, as the event was written.
        assert hit.body == webhook_body(event.model_dump(mode="json", exclude_none=True))
        assert "宁波".encode() in hit.body and b"\\u" not in hit.body
        assert body["specversion"] == "1.0" and body["data"]["center_id"] == str(event.data["center_id"])

        # The secret is shown once: never again, in any response.
        shown = await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)
        listed = await client.get("/api/v1/subscriptions", headers=admin, params={"limit": 500})
        log = await client.get("/api/v1/deliveries", params={"event_id": str(event.id)}, headers=admin)
        for response in (shown, listed, log):
            assert response.status_code == 200
            assert secret not in response.text and "secret" not in response.text


async def _count(receiver: Any, event_id: uuid.UUID) -> int:
    return receiver.count(event_id)


async def test_inbox_reaches_center_district_and_bureau_and_each_sees_only_their_own(
    notification: Any, nats_url: str, token: Callable[..., str], kit: Any
) -> None:
    async with notification() as (app, client):
        district = f"d-{uuid.uuid4().hex[:8]}"
        event = kit.center_approved(district=district)
        center_id = event.data["center_id"]
        await kit.publish(nats_url, event)

        officer = bearer(
            token(subject=f"officer-{uuid.uuid4().hex[:6]}", roles=["district_officer"], district=district)
        )
        colleague = bearer(
            token(subject=f"officer-{uuid.uuid4().hex[:6]}", roles=["district_officer"], district=district)
        )
        elsewhere = bearer(token(subject="officer-x", roles=["district_officer"], district="another-district"))
        center_user = bearer(token(subject=f"cu-{uuid.uuid4().hex[:6]}", roles=["center_user"], center_id=center_id))
        other_center = bearer(token(subject="cu-x", roles=["center_user"], center_id=str(uuid.uuid4())))
        system = bearer(token(subject="finance-system", scopes=["notification:read"]))

        async def items(headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
            response = await client.get("/api/v1/inbox", headers=headers, params={"limit": 200, **params})
            assert response.status_code == 200, response.text
            return [item for item in response.json()["items"] if item["event_id"] == str(event.id)]

        [item] = await eventually(lambda: items(officer))
        assert item["subject"] == "【创新中心】宁波市先进高分子材料技术创新中心 启动建设"
        [english] = await items(officer, locale="en")
        assert english["subject"].startswith("[TIC] Construction launched: Ningbo Municipal")
        assert len(await items(center_user)) == 1
        assert await items(elsewhere) == []
        assert await items(other_center) == []
        assert await items(system) == []

        # Another's item is not found, not forbidden.
        assert (await client.get(f"/api/v1/inbox/{item['id']}", headers=elsewhere)).status_code == 404
        assert (await client.post(f"/api/v1/inbox/{item['id']}/read", headers=elsewhere)).status_code == 404

        before = (await client.get("/api/v1/inbox/unread-count", headers=officer)).json()["unread"]
        assert before >= 1
        read = await client.post(f"/api/v1/inbox/{item['id']}/read", headers=officer)
        assert read.status_code == 200 and read.json()["read_at"] is not None
        assert (await client.get("/api/v1/inbox/unread-count", headers=officer)).json()["unread"] == before - 1
        # Read marks are per person: the colleague's copy is still unread.
        [theirs] = await items(colleague, unread_only=True)
        assert theirs["id"] == item["id"]
        assert await items(officer, unread_only=True) == []
        marked = await client.post("/api/v1/inbox/read", headers=colleague, json={})
        assert marked.status_code == 200 and marked.json()["marked"] >= 1
        assert (await client.get("/api/v1/inbox/unread-count", headers=colleague)).json()["unread"] == 0

        # The projection holds who the center's events concern.
        async with app.state.db.transaction() as session:
            row = (await session.execute(select(centers).where(centers.c.center_id == uuid.UUID(center_id)))).one()
        assert row.district == district and row.contacts[0]["name"] == "王芳"


async def test_an_inbox_delivery_is_delivered_as_its_item_is_written_and_logs_no_attempt(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    """The inbox is local: each audience's delivery is delivered in the transaction that writes its item. Nothing
    is sent, so its attempt log (the sends to a mail server or a receiver) stays empty."""
    async with notification() as (_, client):
        district = f"d-{uuid.uuid4().hex[:8]}"
        event = kit.center_approved(district=district)
        await kit.publish(nats_url, event)

        async def inbox_deliveries() -> list[dict[str, Any]] | None:
            response = await client.get(
                "/api/v1/deliveries", params={"event_id": str(event.id), "channel": "inbox"}, headers=admin
            )
            items: list[dict[str, Any]] = response.json()["items"]
            return items if len(items) == 3 else None

        rows = await eventually(inbox_deliveries)
        assert sorted(row["recipient"].split("/")[0] for row in rows) == [
            "role:bureau_admin",
            "role:center_user",
            "role:district_officer",
        ]
        for row in rows:
            assert row["status"] == "delivered" and row["delivered_at"] is not None
            assert row["attempts"] == row["total_attempts"] == 0
            detail = (await client.get(f"/api/v1/deliveries/{row['id']}", headers=admin)).json()
            assert detail["attempt_log"] == []
