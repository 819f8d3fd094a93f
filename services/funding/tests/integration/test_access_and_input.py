"""Who sees what (a matrix of roles), and bad input on every endpoint: a problem, and nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tic_platform.testing import bearer, eventually

QUOTE = {"policy": "ningbo-tic-2022", "tier": "municipal_tic", "status": "building"}


async def _grant_of(client: Any, admin: dict[str, str], center_id: uuid.UUID) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        r = await client.get("/api/v1/grants", params={"center_id": str(center_id)}, headers=admin)
        items = r.json()["items"]
        return items[0] if items else None

    grant: dict[str, Any] = await eventually(check)
    return grant


async def test_access_matrix(
    run_service: Any, ev: Any, publish_event: Any, admin: dict[str, str], token: Callable[..., str]
) -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    district = f"d{uuid.uuid4().hex[:8]}"  # a district of its own: no jurisdiction, so approve opens no grant
    async with run_service("funding") as (_, client):
        await publish_event(ev.approved(mine))
        await publish_event(ev.approved(other, district="haishu"))
        grant_mine = await _grant_of(client, admin, mine)
        grant_other = await _grant_of(client, admin, other)
        await publish_event(ev.approved(uuid.uuid4(), district=district))

        center_user = bearer(token(subject="cu", roles=["center_user"], center_id=str(mine)))
        officer = bearer(token(subject="do", roles=["district_officer"], district="yinzhou"))
        stranger = bearer(token(subject="do2", roles=["district_officer"], district=district))
        reviewer = bearer(token(subject="rv", roles=["bureau_reviewer"]))

        cases = [
            (center_user, grant_mine, 200),
            (center_user, grant_other, 404),
            (officer, grant_mine, 200),
            (officer, grant_other, 404),
            (stranger, grant_mine, 404),
            (reviewer, grant_other, 200),
            (admin, grant_other, 200),
        ]
        for headers, grant, expected in cases:
            r = await client.get(f"/api/v1/grants/{grant['grant_id']}", headers=headers)
            assert r.status_code == expected, (headers, grant["center_id"], r.text)
            if expected == 404:
                assert r.headers["content-type"] == "application/problem+json"

        listed = await client.get("/api/v1/grants", params={"limit": 500}, headers=center_user)
        assert {g["center_id"] for g in listed.json()["items"]} == {str(mine)}
        history = await client.get(f"/api/v1/centers/{other}/funding", headers=center_user)
        assert history.status_code == 404
        assert (await client.get(f"/api/v1/centers/{other}/ledger", headers=officer)).status_code == 404

        spend = {"category": "equipment", "amount_fen": 100}
        assert (
            await client.post(f"/api/v1/centers/{other}/expenditures", json=spend, headers=center_user)
        ).status_code == 404
        assert (
            await client.post(f"/api/v1/centers/{mine}/expenditures", json=spend, headers=officer)
        ).status_code == 403
        gid = grant_mine["grant_id"]
        assert (await client.post(f"/api/v1/grants/{gid}/approve", headers=reviewer)).status_code == 403
        assert (await client.post(f"/api/v1/grants/{gid}/disburse", headers=center_user)).status_code == 403
        assert (
            await client.put("/api/v1/budgets/ningbo/2030", json={"budget_fen": 1}, headers=officer)
        ).status_code == 403


async def test_bad_input_is_a_problem_and_writes_nothing(
    run_service: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    center_id = uuid.uuid4()
    async with run_service("funding") as (_, client):
        await publish_event(ev.approved(center_id))
        grant = await _grant_of(client, admin, center_id)
        gid = grant["grant_id"]

        async def refused(method: str, url: str, body: Any, status: int = 422) -> dict[str, Any]:
            r = await client.request(method, url, json=body, headers=admin)
            assert r.status_code == status, (url, body, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            problem: dict[str, Any] = r.json()
            return problem

        calc = f"/api/v1/grants/{gid}/calculate"
        problem = await refused("POST", calc, {"verified_investment_fen": -1})
        assert problem["errors"][0]["field"] == "body.verified_investment_fen"
        await refused("POST", calc, {"verified_investment_fen": 12.5})
        await refused("POST", calc, {"verified_investment_fen": "100"})
        await refused("POST", calc, {"verified_investment_fen": True})
        await refused("POST", calc, {})
        await refused("POST", calc, {"verified_investment_fen": 1, "previous_grade": "excellent"})

        problem = await refused(
            "POST", "/api/v1/subsidies/quote", {**QUOTE, "policy": "nowhere-2099", "funding_year": 1}
        )
        assert problem["errors"][0]["field"] == "body.policy"
        assert "ningbo-tic-2022" in problem["errors"][0]["message"] and "weihai-2018" in problem["errors"][0]["message"]
        # The body is the policy's: Ningbo does not read the lead unit's type, Weihai reads no funding year.
        for body, extra in (
            ({**QUOTE, "funding_year": 1}, {"lead_unit_type": "enterprise"}),
            (
                {"policy": "weihai-2018", "tier": "municipal_tic", "lead_unit_type": "enterprise"},
                {"trigger": "municipal_tic_established", "funding_year": 1},
            ),
        ):
            problem = await refused("POST", "/api/v1/subsidies/quote", {**body, **extra})
            assert problem["errors"][0]["type"] == "extra_forbidden", problem
        await refused("POST", "/api/v1/subsidies/quote", {**QUOTE, "funding_year": 0})
        await refused("POST", "/api/v1/subsidies/quote", {**QUOTE, "funding_year": 1, "verified_investment_fen": -5})
        await refused("POST", "/api/v1/subsidies/quote", {**QUOTE, "funding_year": 1, "verified_investment_fen": 1.5})
        await refused("POST", "/api/v1/grants", {"center_id": str(center_id), "funding_year": 0})
        await refused("POST", "/api/v1/grants", {"center_id": str(center_id), "funding_year": 2, "policy": "nope"})
        await refused("POST", "/api/v1/grants", {"center_id": "not-a-uuid", "funding_year": 2})
        expenditures = f"/api/v1/centers/{center_id}/expenditures"
        await refused("POST", expenditures, {"category": "equipment", "amount_fen": 10.5})
        await refused("POST", expenditures, {"category": "equipment", "amount_fen": -10})
        await refused("POST", expenditures, {"category": "equipment", "amount_fen": 0})
        problem = await refused("POST", expenditures, {"category": "yachts", "amount_fen": 10})
        assert problem["type"] == "urn:tic:problem:unknown-category"
        await refused("PUT", "/api/v1/budgets/ningbo/2031", {"budget_fen": -1})
        await refused("PUT", "/api/v1/budgets/ningbo/0", {"budget_fen": 1})
        await refused("PUT", "/api/v1/budgets/atlantis/2031", {"budget_fen": 1}, status=404)
        await refused("POST", "/api/v1/simulations", {"policy": "ningbo-tic-2022", "overrides": {"nonsense": 1}})
        await refused("POST", "/api/v1/simulations", {"policy": "nope"})
        await refused("POST", f"/api/v1/clawbacks/{uuid.uuid4()}/repayments", {"amount_fen": 1}, status=404)
        await refused("POST", f"/api/v1/clawbacks/{uuid.uuid4()}/repayments", {"amount_fen": 1.0})

        after = (await client.get(f"/api/v1/grants/{gid}", headers=admin)).json()
        assert after["status"] == "awaiting_investment" and after["version"] == grant["version"]
        ledger = (await client.get(f"/api/v1/centers/{center_id}/ledger", headers=admin)).json()
        assert ledger["items"] == []
        assert (await client.get("/api/v1/grants", params={"center_id": str(center_id)}, headers=admin)).json()[
            "items"
        ] == [grant]
