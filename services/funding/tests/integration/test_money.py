"""Budget refusal, the ledger (专账), clawback on delisting, the quote and the simulation, against real servers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import nats
from nats.js.api import DeliverPolicy
from sqlalchemy import insert

from funding.store.tables import centers, grants
from tic_platform.testing import bearer, eventually
from tic_shared.events import CloudEvent

YI = 100


async def _outstanding(client: Any, admin: dict[str, str], center_id: uuid.UUID) -> list[dict[str, Any]]:
    """The center's outstanding clawbacks."""
    r = await client.get("/api/v1/clawbacks", params={"status": "outstanding"}, headers=admin)
    return [c for c in r.json()["items"] if c["center_id"] == str(center_id)]


async def _paid(client: Any, admin: dict[str, str], gid: str, investment_fen: int) -> int:
    calc = await client.post(
        f"/api/v1/grants/{gid}/calculate", json={"verified_investment_fen": investment_fen}, headers=admin
    )
    assert calc.status_code == 200, calc.text
    assert (await client.post(f"/api/v1/grants/{gid}/approve", headers=admin)).status_code == 200
    assert (await client.post(f"/api/v1/grants/{gid}/disburse", headers=admin)).status_code == 200
    amount: int = calc.json()["amount_fen"]
    return amount


async def _events(url: str, subject: str, match: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    nc = await nats.connect(url)
    try:
        sub = await nc.jetstream().subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
        found = []
        while True:
            try:
                msg = await sub.next_msg(timeout=0.3)
            except nats.errors.TimeoutError:
                return found
            data = CloudEvent.model_validate_json(msg.data).data
            if match(data):
                found.append(data)
    finally:
        await nc.close()


async def test_approving_past_the_budget_is_refused_with_409_and_budget_exceeded(
    run_service: Any, approve: Any, admin: dict[str, str], nats_url: str
) -> None:
    # A year of its own, so the budget and its commitments are this test's alone.
    year = 2100 + uuid.uuid4().int % 100
    approved_on = __import__("datetime").date(year, 1, 15)
    async with run_service("funding") as (_, client):
        put = await client.put(f"/api/v1/budgets/ningbo/{year}", json={"budget_fen": 100_000 * YI}, headers=admin)
        assert put.status_code == 200, put.text
        stale = await client.put(
            f"/api/v1/budgets/ningbo/{year}", json={"budget_fen": 1}, headers={**admin, "If-Match": 'W/"nope"'}
        )
        assert stale.status_code == 412
        _, [grant] = await approve(client, approved_on=approved_on)
        gid = grant["grant_id"]
        await client.post(
            f"/api/v1/grants/{gid}/calculate", json={"verified_investment_fen": 1_000_000 * YI}, headers=admin
        )
        refused = await client.post(f"/api/v1/grants/{gid}/approve", headers=admin)
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["type"] == "urn:tic:problem:budget-exceeded"
        assert body["requested_fen"] == 300_000 * YI and body["budget_fen"] == 100_000 * YI
        assert (await client.get(f"/api/v1/grants/{gid}", headers=admin)).json()["status"] == "calculated"

        async def reported() -> list[dict[str, Any]]:
            return await _events(nats_url, "tic.funding.BudgetExceeded", lambda d: d.get("grant_id") == gid)

        [event] = await eventually(reported)
        assert event["year"] == year and event["jurisdiction"] == "ningbo"


async def test_delisting_orders_the_clawback_of_disbursed_minus_compliant_spending_once(
    run_service: Any,
    approve: Any,
    ev: Any,
    publish_event: Any,
    admin: dict[str, str],
    nats_url: str,
    token: Callable[..., str],
) -> None:
    async with run_service("funding") as (_, client):
        center_id, [grant] = await approve(client)
        gid = grant["grant_id"]
        paid = await _paid(client, admin, gid, 1_000_000 * YI)
        assert paid == 300_000 * YI
        center = bearer(token(roles=["center_user"], center_id=str(center_id)))
        spent = [("equipment", 120_000 * YI), ("talent", 30_000 * YI), ("sponsorship", 50_000 * YI)]
        for category, amount in spent:
            r = await client.post(
                f"/api/v1/centers/{center_id}/expenditures",
                json={"category": category, "amount_fen": amount},
                headers=center,
            )
            assert r.status_code == 201, r.text
            assert r.json()["flagged_non_compliant"] is (category == "sponsorship")
        ledger = (await client.get(f"/api/v1/centers/{center_id}/ledger", headers=center)).json()["summary"]
        assert ledger == {
            "disbursed_fen": 300_000 * YI,
            "compliant_spent_fen": 150_000 * YI,
            "non_compliant_spent_fen": 50_000 * YI,
            "repaid_fen": 0,
            "balance_fen": 100_000 * YI,
        }
        # A year-2 grant opened before the delisting is stopped by it.
        year_2 = await client.post(
            "/api/v1/grants", json={"center_id": str(center_id), "funding_year": 2}, headers=admin
        )
        assert year_2.status_code == 201

        delist = ev.delisted(center_id)
        await publish_event(delist)
        await publish_event(delist, msg_id=f"again-{delist.id}")  # a redelivered copy

        [clawback] = await eventually(lambda: _outstanding(client, admin, center_id))
        # disbursed − compliant = unspent balance + non-compliant spending
        assert clawback["amount_fen"] == (300_000 - 150_000) * YI
        assert clawback["non_compliant_spent_fen"] == 50_000 * YI
        assert clawback["reason_event_id"] == str(delist.id)

        async def published() -> list[dict[str, Any]]:
            return await _events(nats_url, "tic.funding.ClawbackOrdered", lambda d: d["center_id"] == str(center_id))

        await eventually(published)
        # The same delisting under a new event id changes nothing either.
        await publish_event(ev.delisted(center_id, sequence=10))
        await eventually(lambda: _handled(client, admin, center_id))
        events = await published()
        assert len(events) == 1 and events[0]["amount_fen"] == clawback["amount_fen"]
        assert (await client.get(f"/api/v1/grants/{year_2.json()['grant_id']}", headers=admin)).json()[
            "status"
        ] == "stopped"

        new_grant = await client.post(
            "/api/v1/grants", json={"center_id": str(center_id), "funding_year": 3}, headers=admin
        )
        assert new_grant.status_code == 409

        url = f"/api/v1/clawbacks/{clawback['clawback_id']}/repayments"
        too_much = await client.post(url, json={"amount_fen": clawback["amount_fen"] + 1}, headers=admin)
        assert too_much.status_code == 409
        repaid = await client.post(url, json={"amount_fen": clawback["amount_fen"]}, headers=admin)
        assert repaid.status_code == 201, repaid.text
        assert repaid.json()["status"] == "repaid" and repaid.json()["outstanding_fen"] == 0


async def _handled(client: Any, admin: dict[str, str], center_id: uuid.UUID) -> bool:
    r = await client.get(f"/api/v1/centers/{center_id}/funding", headers=admin)
    return bool(r.json()["center"]["sequence"] == 10)


async def test_quote_returns_the_amount_and_the_bilingual_trace(run_service: Any, token: Callable[..., str]) -> None:
    async with run_service("funding") as (_, client):
        reader = bearer(token(scopes=["funding:read"]))
        r = await client.post(
            "/api/v1/subsidies/quote",
            json={
                "policy": "ningbo-tic-2022",
                "tier": "municipal_tic",
                "status": "building",
                "funding_year": 1,
                "verified_investment_fen": 2_000_000_099,
            },
            headers=reader,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["amount_fen"] == 500_000_000
        step = body["trace"][0]
        assert step["zh"] and step["en"] and step["clause"] == "001 §3(4)"
        assert step["parameters"][0] == {
            "name": "rate",
            "value": "0.30",
            "effective_from": "2022-10-26",
            "clause": "001 §3(4)",
        }
        policies = (await client.get("/api/v1/policies", headers=reader)).json()
        assert {p["code"] for p in policies} >= {"ningbo-tic-2022", "weihai-2018"}


async def test_simulation_compares_a_variant_on_the_projected_centers(
    run_service: Any, approve: Any, admin: dict[str, str], token: Callable[..., str]
) -> None:
    async with run_service("funding") as (_, client):
        center_id, _ = await approve(client)
        r = await client.post(
            "/api/v1/simulations",
            json={
                "policy": "ningbo-tic-2022",
                "overrides": {"rate": "0.20"},
                "on": "2026-06-01",
                "assumed_investment_fen": 1_000_000 * YI,
                "budget_fen": 1,
            },
            headers=admin,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["centers"] >= 1
        mine = next(d for d in body["differences"] if d["center_id"] == str(center_id))
        assert mine == {
            "center_id": str(center_id),
            "baseline_fen": 300_000 * YI,
            "variant_fen": 200_000 * YI,
            "difference_fen": -100_000 * YI,
        }
        assert body["variant_budget"]["within_budget"] is False
        bad = await client.post(
            "/api/v1/simulations", json={"policy": "ningbo-tic-2022", "overrides": {"rate": "2"}}, headers=admin
        )
        assert bad.status_code == 422 and bad.json()["type"] == "urn:tic:problem:invalid-variant"
        # Each bad parameter named as a field, by the rule that refused it, for a client to say in its words.
        assert [(e["field"], e["type"]) for e in bad.json()["errors"]] == [("body.overrides.rate", "rate_range")]
        unknown = await client.post(
            "/api/v1/simulations", json={"policy": "ningbo-tic-2022", "overrides": {"colour": "red"}}, headers=admin
        )
        assert [(e["field"], e["type"]) for e in unknown.json()["errors"]] == [
            ("body.overrides.colour", "extra_forbidden")
        ]
        officer = bearer(token(roles=["district_officer"], district="yinzhou"))
        assert (
            await client.post("/api/v1/simulations", json={"policy": "ningbo-tic-2022"}, headers=officer)
        ).status_code == 403


async def test_cancellation_stops_future_grants_and_orders_the_clawback(
    run_service: Any, approve: Any, ev: Any, publish_event: Any, admin: dict[str, str], token: Callable[..., str]
) -> None:
    """CenterCancelled (取消创建资格) ends funding like a delisting: grants stop, disbursed − compliant comes back."""
    async with run_service("funding") as (_, client):
        center_id, [grant] = await approve(client)
        gid = grant["grant_id"]
        assert await _paid(client, admin, gid, 1_000_000 * YI) == 300_000 * YI
        center = bearer(token(roles=["center_user"], center_id=str(center_id)))
        for category, amount in [("research_projects", 100_000 * YI), ("infrastructure", 50_000 * YI)]:
            r = await client.post(
                f"/api/v1/centers/{center_id}/expenditures",
                json={"category": category, "amount_fen": amount},
                headers=center,
            )
            assert r.status_code == 201, r.text
        year_2 = await client.post(
            "/api/v1/grants", json={"center_id": str(center_id), "funding_year": 2}, headers=admin
        )
        assert year_2.status_code == 201, year_2.text

        cancel = ev.cancelled(center_id)
        await publish_event(cancel)

        [clawback] = await eventually(lambda: _outstanding(client, admin, center_id))
        assert clawback["amount_fen"] == (300_000 - 100_000) * YI
        assert clawback["non_compliant_spent_fen"] == 50_000 * YI
        assert clawback["reason_event_id"] == str(cancel.id)
        stopped = (await client.get(f"/api/v1/grants/{year_2.json()['grant_id']}", headers=admin)).json()
        assert stopped["status"] == "stopped"
        refused = await client.post(
            "/api/v1/grants", json={"center_id": str(center_id), "funding_year": 3}, headers=admin
        )
        assert refused.status_code == 409


async def test_concurrent_approvals_never_commit_past_the_budget(
    run_service: Any, approve: Any, admin: dict[str, str]
) -> None:
    """Five approvals race for a budget that holds two: exactly two win, and the running total says so."""
    import asyncio
    import datetime as dt

    # A year no other test budgets (the one above uses 2100-2199), inside the policy's effective period.
    year = 2050 + uuid.uuid4().int % 50
    amount = 3_000_000 * YI  # 30 % of 10 M yuan
    async with run_service("funding") as (_, client):
        put = await client.put(f"/api/v1/budgets/ningbo/{year}", json={"budget_fen": 2 * amount + YI}, headers=admin)
        assert put.status_code == 200, put.text
        grants = []
        for _ in range(5):
            _, [grant] = await approve(client, approved_on=dt.date(year, 2, 1))
            gid = grant["grant_id"]
            calculated = await client.post(
                f"/api/v1/grants/{gid}/calculate", json={"verified_investment_fen": 10_000_000 * YI}, headers=admin
            )
            assert calculated.json()["amount_fen"] == amount
            grants.append(gid)
        answers = await asyncio.gather(*(client.post(f"/api/v1/grants/{gid}/approve", headers=admin) for gid in grants))
        assert sorted(a.status_code for a in answers) == [200, 200, 409, 409, 409]
        budgets = (await client.get("/api/v1/budgets", params={"year": year}, headers=admin)).json()
        (budget,) = [b for b in budgets if b["year"] == year and b["jurisdiction"] == "ningbo"]
        assert budget["committed_fen"] == 2 * amount


async def test_a_centers_spending_never_sums_past_the_bound_of_any_amount(
    run_service: Any, approve: Any, admin: dict[str, str]
) -> None:
    from tic_shared.bounds import MAX_FEN

    async with run_service("funding") as (_, client):
        center_id, _ = await approve(client)
        url = f"/api/v1/centers/{center_id}/expenditures"
        first = await client.post(url, json={"category": "equipment", "amount_fen": MAX_FEN}, headers=admin)
        assert first.status_code == 201, first.text
        past = await client.post(url, json={"category": "equipment", "amount_fen": 1}, headers=admin)
        assert past.status_code == 422
        assert past.json()["type"] == "urn:tic:problem:ledger-bound"
        ledger = (await client.get(f"/api/v1/centers/{center_id}/ledger", headers=admin)).json()
        assert ledger["summary"]["compliant_spent_fen"] + ledger["summary"]["non_compliant_spent_fen"] == MAX_FEN


async def test_a_delisted_or_cancelled_centers_cap_says_its_grants_stopped(
    run_service: Any, token: Callable[..., str]
) -> None:
    """The caps answer says which centers are paid nothing more, so no reader has to know which statuses stop
    grants: delisted and cancelled do; building, operating and a center's other states do not."""
    district = f"s{uuid.uuid4().hex[:8]}"
    statuses = {uuid.uuid4(): status for status in ("building", "operating", "delisted", "cancelled")}
    grant = {"policy_code": "ningbo-tic-2022", "jurisdiction": "ningbo", "budget_year": 2026, "opened_by": "test"}
    async with run_service("funding") as (app, client):
        async with app.state.db.transaction() as session:
            await session.execute(
                insert(centers),
                [
                    {"center_id": c, "sequence": 1, "tier": "municipal_tic", "status": status, "district": district}
                    | {"jurisdiction": "ningbo"}
                    for c, status in statuses.items()
                ],
            )
            await session.execute(
                insert(grants),
                [
                    {"grant_id": uuid.uuid4(), "center_id": c, "funding_year": 1, "status": "calculated", **grant}
                    | {"amount_fen": YI}
                    for c in statuses
                ],
            )
        admin = bearer(token(subject="admin", roles=["bureau_admin"]))
        answer = await client.get("/api/v1/caps", params={"district": district}, headers=admin)
        assert answer.status_code == 200, answer.text
        stopped = {uuid.UUID(c["center_id"]): c["grants_stopped"] for c in answer.json()["items"]}
    assert stopped == {c: status in ("delisted", "cancelled") for c, status in statuses.items()}


async def test_a_centers_history_shows_its_caps_however_many_centers_sort_before_it(
    run_service: Any, token: Callable[..., str]
) -> None:
    """The history reads the center's own standing against the total cap, not a window of every center's: a
    center with a thousand others before it in its reach still sees its caps."""
    district = f"c{uuid.uuid4().hex[:8]}"
    # Sorted after every random (version 4) id: the last center of the district.
    last = uuid.UUID(int=(1 << 128) - 1 - uuid.uuid4().int % (1 << 32))
    before = [uuid.uuid4() for _ in range(1001)]
    center = {"tier": "municipal_tic", "status": "building", "district": district, "jurisdiction": "ningbo"}
    grant = {"policy_code": "ningbo-tic-2022", "jurisdiction": "ningbo", "budget_year": 2026, "opened_by": "test"}
    async with run_service("funding") as (app, client):
        async with app.state.db.transaction() as session:
            await session.execute(insert(centers), [{"center_id": c, "sequence": 1, **center} for c in [*before, last]])
            await session.execute(
                insert(grants),
                [
                    {"grant_id": uuid.uuid4(), "center_id": c, "funding_year": 1, "status": "calculated", **grant}
                    | {"amount_fen": 1_000 * YI if c == last else YI}
                    for c in [*before, last]
                ],
            )
        officer = bearer(token(subject="do", roles=["district_officer"], district=district))
        history = await client.get(f"/api/v1/centers/{last}/funding", headers=officer)
        assert history.status_code == 200, history.text
        assert history.json()["caps"] == [
            {
                "center_id": str(last),
                "district": district,
                "center_status": "building",
                "grants_stopped": False,
                "policy": "ningbo-tic-2022",
                "granted_fen": 1_000 * YI,
                "disbursed_fen": 0,
                "total_cap_fen": 10_000_000 * YI,
                "room_left_fen": 9_999_000 * YI,
            }
        ]
