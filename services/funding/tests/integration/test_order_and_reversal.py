"""Projections that hold whatever order events arrive in; a closed ledger; a reversed ending (POLICY §3, §5)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from funding.store.tables import grades
from tic_platform.testing import eventually
from tic_shared.dated_acts import today
from tic_shared.vocabulary import Grade

YI = 100


async def _grants(client: Any, admin: dict[str, str], center_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/grants", params={"center_id": str(center_id)}, headers=admin)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_late_center_approved_still_opens_the_year_1_grant(
    run_service: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    center_id = uuid.uuid4()
    async with run_service("funding") as (_, client):
        # The tier change (sequence 6) overtook the approval (sequence 5) on its way here.
        await publish_event(ev.tier_changed(center_id, ev.approved(center_id).data["tier"], sequence=6))
        await publish_event(ev.approved(center_id, sequence=5))

        async def opened() -> list[dict[str, Any]] | None:
            found = await _grants(client, admin, center_id)
            return found or None

        [grant] = await eventually(opened)
        assert grant["funding_year"] == 1 and grant["status"] == "awaiting_investment"
        center = (await client.get(f"/api/v1/centers/{center_id}/funding", headers=admin)).json()["center"]
        assert center["approved_on"] == "2026-03-01" and center["lead_unit_type"] == "enterprise"


async def test_a_late_approval_after_the_center_ended_opens_nothing(
    run_service: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    center_id = uuid.uuid4()
    async with run_service("funding") as (_, client):
        await publish_event(ev.delisted(center_id, sequence=9))
        await publish_event(ev.approved(center_id, sequence=5))

        async def approval_kept() -> bool:
            response = await client.get(f"/api/v1/centers/{center_id}/funding", headers=admin)
            return response.status_code == 200 and response.json()["center"]["approved_on"] == "2026-03-01"

        await eventually(approval_kept)
        center = (await client.get(f"/api/v1/centers/{center_id}/funding", headers=admin)).json()["center"]
        assert center["status"] == "delisted"
        assert await _grants(client, admin, center_id) == []


async def test_a_corrected_result_supersedes_the_earlier_one_in_either_order(
    run_service: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    center_id, evaluation_id = uuid.uuid4(), uuid.uuid4()
    correction = ev.graded(center_id, Grade.QUALIFIED, revision=2, evaluation_id=evaluation_id)
    first = ev.graded(center_id, Grade.UNQUALIFIED, revision=1, evaluation_id=evaluation_id)
    async with run_service("funding") as (app, _):
        await publish_event(ev.approved(center_id))
        # The correction (revision 2: qualified) arrives before the first result (revision 1: unqualified).
        await publish_event(correction)
        await publish_event(first)
        inbox = app.state.messaging.inbox

        async def both_applied() -> bool:
            async with app.state.db.transaction() as session:
                ids = {correction.id, first.id}
                seen = (await session.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(ids)))).all()
            return len(seen) == 2

        await eventually(both_applied)
        async with app.state.db.transaction() as session:
            row = (await session.execute(select(grades).where(grades.c.center_id == center_id))).one()
        assert (row.grade, row.revision) == ("qualified", 2)


async def test_the_ledger_closes_when_the_clawback_is_ordered_and_reopens_when_it_is_reversed(
    run_service: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    center_id = uuid.uuid4()
    spend = {"category": "equipment", "amount_fen": 100_000 * YI, "spent_on": str(today())}
    async with run_service("funding") as (app, client):
        await publish_event(ev.approved(center_id))

        async def opened() -> list[dict[str, Any]] | None:
            return await _grants(client, admin, center_id) or None

        [grant] = await eventually(opened)
        url = f"/api/v1/grants/{grant['grant_id']}"
        assert (
            await client.post(f"{url}/calculate", json={"verified_investment_fen": 10**6 * YI}, headers=admin)
        ).is_success
        assert (await client.post(f"{url}/approve", headers=admin)).is_success
        assert (await client.post(f"{url}/disburse", headers=admin)).is_success
        future = {**spend, "spent_on": "2099-01-01"}
        refused = await client.post(f"/api/v1/centers/{center_id}/expenditures", json=future, headers=admin)
        assert refused.status_code == 422 and refused.json()["type"] == "urn:tic:problem:act-date-refused"
        spent = await client.post(f"/api/v1/centers/{center_id}/expenditures", json=spend, headers=admin)
        assert spent.status_code == 201, spent.text

        await publish_event(ev.delisted(center_id, sequence=9))

        async def clawback() -> dict[str, Any] | None:
            found = (await client.get("/api/v1/clawbacks", params={"limit": 500}, headers=admin)).json()["items"]
            mine = [c for c in found if c["center_id"] == str(center_id)]
            return mine[0] if mine else None

        ordered = await eventually(clawback)
        assert ordered["amount_fen"] == 300_000 * YI - 100_000 * YI
        closed = await client.post(f"/api/v1/centers/{center_id}/expenditures", json=spend, headers=admin)
        assert closed.status_code == 409 and closed.json()["type"] == "urn:tic:problem:ledger-closed"
        ledger = (await client.get(f"/api/v1/centers/{center_id}/ledger", headers=admin)).json()
        assert ledger["summary"]["compliant_spent_fen"] == 100_000 * YI

        # The bureau reverses the delisting: the clawback is reversed, the ledger open again.
        await publish_event(ev.reinstated(center_id, sequence=10))

        async def reversed_() -> dict[str, Any] | None:
            row = (await client.get(f"/api/v1/clawbacks/{ordered['clawback_id']}", headers=admin)).json()
            return row if row["status"] == "reversed" else None

        await eventually(reversed_)
        center = (await client.get(f"/api/v1/centers/{center_id}/funding", headers=admin)).json()["center"]
        assert center["status"] == "building"
        again = await client.post(f"/api/v1/centers/{center_id}/expenditures", json=spend, headers=admin)
        assert again.status_code == 201, again.text
        outbox = app.state.messaging.outbox
        async with app.state.db.transaction() as session:
            types = [
                row.event_type
                for row in (
                    await session.execute(select(outbox.c.event_type).where(outbox.c.aggregate_id == str(center_id)))
                ).all()
            ]
        assert "tic.funding.ClawbackReversed.v1" in types
