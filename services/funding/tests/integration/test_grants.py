"""Grants end to end: opened on CenterApproved, calculated from the projection, approved, disbursed, paid once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tic_platform.testing import bearer, eventually
from tic_shared.vocabulary import Grade, LeadUnitType, Tier

YI = 100  # fen per yuan, for readable amounts in the tests


async def test_center_approved_opens_the_year_1_grant_awaiting_the_investment(
    run_service: Any, approve: Any, admin: dict[str, str]
) -> None:
    async with run_service("funding") as (_, client):
        _, [grant] = await approve(client)
        assert grant["status"] == "awaiting_investment"
        assert grant["funding_year"] == 1
        assert grant["policy"] == "ningbo-tic-2022"
        assert grant["budget_year"] == 2026
        assert grant["district"] == "yinzhou"


async def test_grant_is_calculated_from_the_projection_not_from_client_input(
    run_service: Any, approve: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    async with run_service("funding") as (_, client):
        center_id, [grant] = await approve(client)
        url = f"/api/v1/grants/{grant['grant_id']}/calculate"

        sneaky = await client.post(
            url, json={"verified_investment_fen": 1_000_000 * YI, "tier": "municipal_tic"}, headers=admin
        )
        assert sneaky.status_code == 422
        assert sneaky.headers["content-type"] == "application/problem+json"

        ok = await client.post(url, json={"verified_investment_fen": 1_000_000 * YI}, headers=admin)
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["amount_fen"] == 300_000 * YI
        assert body["trace"]["inputs"]["tier"] == "municipal_tic"
        assert body["trace"]["steps"][0]["code"] == "base"

        # The registry says the center is now provincial: the same request now yields 0, and says why.
        await publish_event(ev.tier_changed(center_id, Tier.PROVINCIAL_TIC))

        async def provincial() -> bool:
            history = await client.get(f"/api/v1/centers/{center_id}/funding", headers=admin)
            return bool(history.json()["center"]["tier"] == "provincial_tic")

        await eventually(provincial)
        again = await client.post(url, json={"verified_investment_fen": 1_000_000 * YI}, headers=admin)
        assert again.status_code == 200, again.text
        assert again.json()["amount_fen"] == 0
        assert again.json()["trace"]["inputs"]["tier"] == "provincial_tic"


async def test_a_retried_disbursement_with_the_same_key_pays_once(
    run_service: Any, approve: Any, admin: dict[str, str]
) -> None:
    async with run_service("funding") as (_, client):
        center_id, [grant] = await approve(client)
        gid = grant["grant_id"]
        calc = await client.post(
            f"/api/v1/grants/{gid}/calculate", json={"verified_investment_fen": 200_000 * YI}, headers=admin
        )
        assert calc.status_code == 200
        approve = await client.post(f"/api/v1/grants/{gid}/approve", headers=admin)
        assert approve.status_code == 200, approve.text
        key = {**admin, "Idempotency-Key": f"pay-{gid}"}
        first = await client.post(f"/api/v1/grants/{gid}/disburse", headers=key)
        second = await client.post(f"/api/v1/grants/{gid}/disburse", headers=key)
        assert first.status_code == second.status_code == 200
        assert second.headers["idempotent-replayed"] == "true"
        assert first.json() == second.json()
        without_key = await client.post(f"/api/v1/grants/{gid}/disburse", headers=admin)
        assert without_key.status_code == 409
        assert without_key.json()["current_state"] == "disbursed"

        ledger = (await client.get(f"/api/v1/centers/{center_id}/ledger", headers=admin)).json()
        assert [e["kind"] for e in ledger["items"]] == ["disbursement"]
        assert ledger["summary"]["disbursed_fen"] == 60_000 * YI


async def test_a_stale_if_match_is_refused_with_412(run_service: Any, approve: Any, admin: dict[str, str]) -> None:
    async with run_service("funding") as (_, client):
        _, [grant] = await approve(client)
        gid = grant["grant_id"]
        read = await client.get(f"/api/v1/grants/{gid}", headers=admin)
        etag = read.headers["etag"]
        calc = await client.post(
            f"/api/v1/grants/{gid}/calculate",
            json={"verified_investment_fen": 10 * YI},
            headers={**admin, "If-Match": etag},
        )
        assert calc.status_code == 200
        stale = await client.post(f"/api/v1/grants/{gid}/approve", headers={**admin, "If-Match": etag})
        assert stale.status_code == 412
        assert stale.headers["content-type"] == "application/problem+json"
        assert (await client.get(f"/api/v1/grants/{gid}", headers=admin)).json()["status"] == "calculated"
        fresh = await client.post(f"/api/v1/grants/{gid}/approve", headers={**admin, "If-Match": calc.headers["etag"]})
        assert fresh.status_code == 200


async def test_weihai_creation_award_is_calculated_on_approval_and_paid_once(
    run_service: Any, approve: Any, ev: Any, publish_event: Any, admin: dict[str, str]
) -> None:
    async with run_service("funding") as (_, client):
        center_id, [award] = await approve(client, district="huancui", lead=LeadUnitType.UNIVERSITY)
        assert award["policy"] == "weihai-2018"
        assert award["trigger"] == "municipal_tic_established"
        assert award["status"] == "calculated"
        assert award["amount_fen"] == 3_000_000 * YI
        again = await client.post(
            "/api/v1/grants",
            json={"center_id": str(center_id), "trigger": "municipal_tic_established"},
            headers=admin,
        )
        assert again.status_code == 409

        await publish_event(ev.tier_changed(center_id, Tier.PROVINCIAL_TIC, district="huancui"))
        items = await ev.opened(client, admin, center_id, count=2)
        provincial = next(g for g in items if g["trigger"] == "recognized_as_provincial_tic")
        assert provincial["amount_fen"] == 5_000_000 * YI


async def test_unknown_center_and_bad_ids_are_problems(
    run_service: Any, token: Callable[..., str], admin: dict[str, str]
) -> None:
    async with run_service("funding") as (_, client):
        missing = await client.post(
            "/api/v1/grants", json={"center_id": str(uuid.uuid4()), "funding_year": 1}, headers=admin
        )
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        bad = await client.get("/api/v1/grants/not-a-uuid", headers=admin)
        assert bad.status_code == 422
        reader = bearer(token(scopes=["funding:read"]))
        forbidden = await client.post(f"/api/v1/grants/{uuid.uuid4()}/approve", headers=reader)
        assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "grades",
    [
        pytest.param([(None, 0), ((Grade.GOOD, 2026), 30_000 * YI)], id="none-then-good"),
        pytest.param([((Grade.GOOD, 2026), 30_000 * YI), ((Grade.UNQUALIFIED, 2027), 0)], id="good-then-unqualified"),
    ],
)
async def test_years_2_and_3_follow_the_latest_finalized_annual_evaluation(
    run_service: Any, approve: Any, ev: Any, publish_event: Any, admin: dict[str, str], grades: list[tuple[Any, int]]
) -> None:
    """'The previous annual evaluation' is the latest finalized one when the grant is calculated (POLICY §5):
    none yet pays nothing, a qualifying grade pays, a later unqualified one replaces an earlier good one."""
    async with run_service("funding") as (_, client):
        center_id, _ = await approve(client)
        opened = await client.post(
            "/api/v1/grants", json={"center_id": str(center_id), "funding_year": 2}, headers=admin
        )
        assert opened.status_code == 201, opened.text
        url = f"/api/v1/grants/{opened.json()['grant_id']}/calculate"

        async def calculated() -> dict[str, Any]:
            r = await client.post(url, json={"verified_investment_fen": 100_000 * YI}, headers=admin)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        for graded, expected_fen in grades:
            if graded is not None:
                grade, year = graded
                await publish_event(ev.graded(center_id, grade, year=year))

            async def paid(expected: int = expected_fen) -> dict[str, Any] | None:
                body = await calculated()
                return body if body["amount_fen"] == expected else None

            body = await eventually(paid)
            step = next(s for s in body["trace"]["steps"] if s["code"] == "previous_grade")
            assert step["inputs"]["previous_grade"] == (None if graded is None else graded[0])
            assert step["result_fen"] == expected_fen

        duplicate = await client.post(
            "/api/v1/grants", json={"center_id": str(center_id), "funding_year": 2}, headers=admin
        )
        assert duplicate.status_code == 409
