"""Recipients come from a projection of registry events; an event whose sequence is stale changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from notification.store.tables import centers
from tic_platform.testing import eventually
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterSubmitted, Contact, LeadUnit
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Origin, Tier


def center_submitted(center_id: uuid.UUID, *, sequence: int, email: str, district: str) -> CloudEvent:
    data = CenterSubmitted(
        center_id=center_id,
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.SUBMITTED,
        district=district,
        sequence=sequence,
        name_zh="宁波市工业互联网技术创新中心",
        field=Field.INDUSTRIAL_INTERNET,
        origin=Origin.RECOMMENDED,
        recommender="北仑区科技局",
        lead_unit=LeadUnit(name="宁波示例软件有限公司", credit_code="91330200MA2GQ3XK4C", type=LeadUnitType.ENTERPRISE),
        contacts=[Contact(name="李雷", email=email, role="contact")],
    )
    return CloudEvent.of(data, subject=str(center_id))


async def test_a_stale_registry_event_does_not_overwrite_the_projection(
    notification: Any, nats_url: str, admin: dict[str, str], kit: Any
) -> None:
    async with notification() as (app, client):
        center_id = uuid.uuid4()
        current = f"current-{uuid.uuid4().hex[:6]}@example.com"
        stale = f"stale-{uuid.uuid4().hex[:6]}@example.com"
        approved = kit.center_approved(center_id=center_id, sequence=5, email=current, district="beilun")
        await kit.publish(nats_url, approved)

        async def projected() -> Any:
            async with app.state.db.transaction() as session:
                return (await session.execute(select(centers).where(centers.c.center_id == center_id))).first()

        assert (await eventually(projected)).sequence == 5
        late = center_submitted(center_id, sequence=2, email=stale, district="elsewhere")
        await kit.publish(nats_url, late)

        async def logged() -> Any:
            response = await client.get("/api/v1/deliveries", params={"event_id": str(late.id)}, headers=admin)
            return response.json()["items"]

        late_deliveries = await eventually(logged)
        row = await projected()
        assert row.sequence == 5 and row.status == "building" and row.district == "beilun"
        assert [c["email"] for c in row.contacts] == [current]
        # The late event is still told, to the center's current contacts and district.
        assert {d["recipient"] for d in late_deliveries if d["channel"] == "email"} == {current}
        by_recipient = await client.get(
            "/api/v1/deliveries", params={"recipient": current.upper(), "channel": "email"}, headers=admin
        )
        assert {item["event_id"] for item in by_recipient.json()["items"]} == {str(approved.id), str(late.id)}
