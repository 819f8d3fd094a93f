"""The evaluation service against real PostgreSQL and NATS: projection, rounds, scoring, locking, events, access."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tic_platform.testing import bearer, eventually
from tic_platform.testing import publish as publish_event
from tic_shared.dated_acts import today
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    CenterAccepted,
    CenterApproved,
    CenterDelisted,
    CenterTierChanged,
    LeadUnit,
    RegistryEvent,
)
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Tier


def fresh_years(count: int = 1) -> list[int]:
    """The last `count` calendar years, this one included: rounds are only for years that have begun, and each
    test has a database of its own, so every test may open them."""
    current = today().year
    return list(range(current - count + 1, current + 1))


async def publish(
    url: str, data: RegistryEvent, *, event: CloudEvent | None = None, msg_id: str | None = None
) -> CloudEvent:
    """Publish a registry event as the registry's relay would (`msg_id` other than the id makes a second copy)."""
    published: CloudEvent = await publish_event(url, event or CloudEvent.of(data, subject=str(data.center_id)), msg_id)
    return published


def approved(
    *,
    center_id: uuid.UUID | None = None,
    district: str = "yinzhou",
    approved_on: dt.date = dt.date(2023, 3, 1),
    construction_end: dt.date | None = None,
    targets: dict[str, Any] | None = None,
    sequence: int = 7,
) -> CenterApproved:
    return CenterApproved(
        center_id=center_id or uuid.uuid4(),
        code="NB-TIC-2023-001",
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.BUILDING,
        district=district,
        sequence=sequence,
        name_zh="宁波市先进高分子材料技术创新中心",
        name_en="Ningbo Municipal Innovation Center of Advanced Polymer Materials Technology",
        field=Field.NEW_MATERIALS,
        lead_unit=LeadUnit(name="宁波示例材料有限公司", credit_code="91330200MA2GQ3XK4C", type=LeadUnitType.ENTERPRISE),
        document_no="甬政发〔2023〕12号",
        approved_on=approved_on,
        construction_start=approved_on,
        construction_end=construction_end or approved_on.replace(year=approved_on.year + 5) - dt.timedelta(days=1),
        targets=targets or {},
    )


async def events_of(app: FastAPI, center_id: uuid.UUID) -> list[dict[str, Any]]:
    """The CloudEvents this service recorded about a center, in order."""
    outbox = app.state.messaging.outbox
    async with app.state.db.transaction() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload).where(outbox.c.aggregate_id == str(center_id)).order_by(outbox.c.id)
            )
        ).all()
    return [row.payload for row in rows]


def of_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [event["data"] for event in events if event["type"] == f"tic.evaluation.{name}.v1"]


class Ctx:
    """One running evaluation service and the tokens of the people who use it."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, token: Callable[..., str], nats_url: str) -> None:
        self.app = app
        self.client = client
        self.token = token
        self.nats_url = nats_url
        self.admin = bearer(token("admin-1", roles=["bureau_admin"]))

    def center_user(self, center_id: uuid.UUID) -> dict[str, str]:
        return bearer(self.token(f"cu-{center_id}", roles=["center_user"], center_id=center_id))

    def expert(self, name: str) -> dict[str, str]:
        return bearer(self.token(name, roles=["expert"]))

    def district_officer(self, district: str) -> dict[str, str]:
        return bearer(self.token(f"do-{district}", roles=["district_officer"], district=district))

    async def center(self, **fields: Any) -> uuid.UUID:
        data = approved(**fields)
        await publish(self.nats_url, data)

        async def tracked() -> bool:
            response = await self.client.get(f"/api/v1/centers/{data.center_id}", headers=self.admin)
            return response.status_code == 200

        await eventually(tracked)
        return data.center_id

    async def open_round(self, year: int) -> dict[str, Any]:
        response = await self.client.post("/api/v1/rounds", json={"year": year}, headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def evaluation_of(self, center_id: uuid.UUID, year: int) -> dict[str, Any]:
        response = await self.client.get(
            "/api/v1/evaluations", params={"center_id": str(center_id), "year": year}, headers=self.admin
        )
        assert response.status_code == 200, response.text
        (item,) = response.json()["items"]
        detail = await self.client.get(f"/api/v1/evaluations/{item['id']}", headers=self.admin)
        return dict(detail.json())

    async def finalize(self, evaluation_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """Finalize as the console does: read the preview of its consequences, then confirm that preview."""
        url = f"/api/v1/evaluations/{evaluation_id}"
        preview = await self.client.get(f"{url}/finalize-preview", headers=headers or self.admin)
        if preview.status_code != 200:
            return preview
        body = {"confirm": preview.json()["preview_id"]}
        return await self.client.post(f"{url}/finalize", json=body, headers=headers or self.admin)

    async def not_submitted(self, evaluation_id: str) -> None:
        response = await self.client.post(
            f"/api/v1/evaluations/{evaluation_id}/not-submitted",
            json={"reason": "截至评价截止日未提交年度报告"},
            headers=self.admin,
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def ctx(run_service: Any, token: Callable[..., str], nats_url: str, own_database_url: str) -> AsyncIterator[Ctx]:
    # A database of the test's own: rounds are one per calendar year, and the tests use the real ones.
    async with run_service("evaluation", database_url=own_database_url) as (app, client):

        async def bound() -> bool:
            return all(consumer.bound.is_set() for consumer in app.state.consumers)

        await eventually(bound)
        yield Ctx(app, client, token, nats_url)


def problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if slug is not None:
        assert body["type"] == f"urn:tic:problem:{slug}", body
    return body


GOOD_REPORT = {
    "investment": {
        "lead_unit_fen": 10**11,
        "co_builders_fen": 10**11,
        "municipal_fiscal_fen": 10**11,
        "district_fiscal_fen": 10**11,
        "national_funds_fen": 10**11,
        "social_capital_fen": 10**11,
    },
    "team": {
        "total": 5000,
        "full_time_researchers": 5000,
        "high_level_teams": 50,
        "top_talents": 500,
        "young_talents": 500,
        "non_rd_staff": 500,
    },
    "projects": {"national_major": 50, "provincial_major": 50, "municipal_major": 50},
    "results": {"breakthroughs": 50, "import_substitution": 50, "standards": 50, "patents": 500},
    "ecosystem": {"bases": 50, "close_partners": 500, "spin_offs": 50, "enterprises_served": 5000},
}


# ---- the center projection ----


def raised_to_provincial(data: CenterApproved, *, sequence: int, document_no: str) -> CenterTierChanged:
    """The approved municipal center becomes a provincial one (a building center still), on 1 May 2024."""
    return CenterTierChanged(
        center_id=data.center_id,
        code=data.code,
        tier=Tier.PROVINCIAL_TIC,
        status=CenterStatus.BUILDING,
        district=data.district,
        sequence=sequence,
        from_tier=Tier.MUNICIPAL_TIC,
        to_tier=Tier.PROVINCIAL_TIC,
        document_no=document_no,
        changed_on=dt.date(2024, 5, 1),
    )


async def test_projection_ignores_stale_events_and_redelivery_has_no_second_effect(ctx: Ctx) -> None:
    data = approved(district=f"d-{uuid.uuid4().hex[:8]}", sequence=5)
    first = await publish(ctx.nats_url, data)
    # The same event again under another message id: the broker keeps both, the inbox applies it once.
    await publish(ctx.nats_url, data, event=first, msg_id=f"copy-{first.id}")
    tier = raised_to_provincial(data, sequence=7, document_no="浙科发〔2024〕1号")
    await publish(ctx.nats_url, tier)
    stale = CenterDelisted(
        center_id=data.center_id,
        code=data.code,
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.DELISTED,
        district=data.district,
        sequence=6,
        reason="stale",
        effective_on=dt.date(2024, 1, 1),
    )
    await publish(ctx.nats_url, stale)

    async def tier_applied() -> dict[str, Any] | None:
        response = await ctx.client.get(f"/api/v1/centers/{data.center_id}", headers=ctx.admin)
        body = response.json() if response.status_code == 200 else None
        return body if body and body["last_sequence"] == 7 else None

    center = await eventually(tier_applied)
    marker = CenterAccepted(
        center_id=uuid.uuid4(),
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.OPERATING,
        district="x",
        sequence=1,
        accepted_on=dt.date(2024, 1, 1),
    )
    await publish(ctx.nats_url, marker)  # published after the stale one: once it is in, the stale one was seen
    await eventually(lambda: _status(ctx, marker.center_id, 200))
    center = (await ctx.client.get(f"/api/v1/centers/{data.center_id}", headers=ctx.admin)).json()
    assert center["tier"] == "provincial_tic"
    assert center["status"] == "building"
    assert center["approved_on"] == "2023-03-01"
    assert center["evaluable"] is True
    inbox = ctx.app.state.messaging.inbox
    async with ctx.app.state.db.transaction() as session:
        handled = await session.scalar(select(func.count()).where(inbox.c.event_id == first.id))
    assert handled == 1


async def _status(ctx: Ctx, center_id: uuid.UUID, status: int) -> bool:
    response = await ctx.client.get(f"/api/v1/centers/{center_id}", headers=ctx.admin)
    return response.status_code == status


async def test_approval_arriving_after_a_later_event_still_gives_its_dates(ctx: Ctx) -> None:
    data = approved(sequence=3)
    later = raised_to_provincial(data, sequence=4, document_no="x")
    await publish(ctx.nats_url, later)
    await eventually(lambda: _status(ctx, data.center_id, 200))
    await publish(ctx.nats_url, data)

    async def dated() -> bool:
        body = (await ctx.client.get(f"/api/v1/centers/{data.center_id}", headers=ctx.admin)).json()
        return bool(body["approved_on"] == "2023-03-01" and body["tier"] == "provincial_tic")

    await eventually(dated)


# ---- rounds, reports, experts, finalize ----


async def test_round_report_expert_scoring_and_finalize_emit_the_result(ctx: Ctx) -> None:
    (year,) = fresh_years()
    center_id = await ctx.center(district=f"d-{uuid.uuid4().hex[:8]}")
    round_ = await ctx.open_round(year)
    assert round_["year"] == year and round_["progress"]["total"] >= 1
    evaluation = await ctx.evaluation_of(center_id, year)
    assert evaluation["status"] == "awaiting_report" and evaluation["kind"] == "annual"
    eid = evaluation["id"]

    # The center files its report (only investment and team: the rest is missing and will score 0).
    report = {"investment": GOOD_REPORT["investment"], "team": GOOD_REPORT["team"]}
    response = await ctx.client.put(
        f"/api/v1/evaluations/{eid}/report", json=report, headers=ctx.center_user(center_id)
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "reported"

    # An expert is assigned two indicators and scores only those.
    response = await ctx.client.post(
        f"/api/v1/evaluations/{eid}/assignments",
        json={"expert": "expert-a", "indicators": ["1.1", "1.2"]},
        headers=ctx.admin,
    )
    assert response.status_code == 200, response.text
    expert = ctx.expert("expert-a")
    ok = await ctx.client.put(
        f"/api/v1/evaluations/{eid}/scores", json={"scores": {"1.1": 90, "1.2": "80.5"}}, headers=expert
    )
    assert ok.status_code == 200, ok.text
    refused = await ctx.client.put(f"/api/v1/evaluations/{eid}/scores", json={"scores": {"2.1": 90}}, headers=expert)
    assert "2.1" in problem(refused, 403, "not-assigned")["detail"]
    # The admin is not assigned either: scoring is the assigned expert's alone.
    problem(
        await ctx.client.put(f"/api/v1/evaluations/{eid}/scores", json={"scores": {"1.1": 1}}, headers=ctx.admin), 403
    )

    progress = (await ctx.client.get(f"/api/v1/rounds/{round_['id']}", headers=ctx.center_user(center_id))).json()
    assert progress["progress"] == {"total": 1, "reported": 1, "scored": 0, "finalized": 0}

    response = await ctx.finalize(eid)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "finalized" and result["revision"] == 1
    lines = {line["code"]: line for line in result["result"]["breakdown"]}
    assert len(lines) == 42
    assert lines["8.2"]["fraction"] == "0" and "not reported" in lines["8.2"]["note"]["en"]
    assert lines["1.1"]["scores_used"] == ["90"]
    assert lines["2.1"]["note"]["en"].startswith("no expert scored")
    # investment 5 × 2 + team 4 × 1.67 + 1.66 (6.5 is qualitative, unscored) + 1.1 5 × 0.9 + 1.2 5 × 0.805
    # = 26.865, kept to 2 decimals half up
    assert Decimal(result["score"]) == Decimal("26.87")
    assert result["grade"] == "unqualified"

    events = await events_of(ctx.app, center_id)
    (completed,) = of_type(events, "EvaluationCompleted")
    assert completed == {
        **completed,
        "evaluation_id": eid,
        "center_id": str(center_id),
        "year": year,
        "kind": "annual",
        "score": 26.87,
        "grade": "unqualified",
        "indicator_system": "ningbo-tic-2022",
        "revision": 1,
    }
    (failed,) = of_type(events, "EvaluationFailed")
    assert failed["consecutive_unqualified"] == 1 and failed["evidence"] == [eid] and failed["delist_due"] is False

    done = (await ctx.client.get(f"/api/v1/rounds/{round_['id']}", headers=ctx.center_user(center_id))).json()
    assert done["progress"]["finalized"] == 1 and done["grade_distribution"]["unqualified"] == 1

    at_risk = (await ctx.client.get("/api/v1/centers-at-risk", headers=ctx.center_user(center_id))).json()
    assert [item["center_id"] for item in at_risk] == [str(center_id)]
    assert at_risk[0]["reasons"][0]["kind"] == "unqualified"


async def test_two_consecutive_unqualified_results_carry_the_count_and_the_evidence(ctx: Ctx) -> None:
    first, second, third = fresh_years(3)
    center_id = await ctx.center()
    ids = []
    for year in (first, second):
        await ctx.open_round(year)
        evaluation = await ctx.evaluation_of(center_id, year)
        ids.append(evaluation["id"])
        await ctx.not_submitted(evaluation["id"])
        assert (await ctx.finalize(evaluation["id"])).status_code == 200
    failed = of_type(await events_of(ctx.app, center_id), "EvaluationFailed")
    assert [f["consecutive_unqualified"] for f in failed] == [1, 2]
    assert failed[1]["evidence"] == ids and failed[1]["delist_due"] is True
    assert failed[1]["center_id"] == str(center_id)

    # A good year resets the count.
    await ctx.open_round(third)
    evaluation = await ctx.evaluation_of(center_id, third)
    await ctx.client.put(f"/api/v1/evaluations/{evaluation['id']}/report", json=GOOD_REPORT, headers=ctx.admin)
    await ctx.client.post(
        f"/api/v1/evaluations/{evaluation['id']}/assignments", json={"expert": "e-all"}, headers=ctx.admin
    )
    codes = [line["code"] for line in (await _qualitative(ctx))]
    await ctx.client.put(
        f"/api/v1/evaluations/{evaluation['id']}/scores",
        json={"scores": dict.fromkeys(codes, 95)},
        headers=ctx.expert("e-all"),
    )
    result = (await ctx.finalize(evaluation["id"])).json()
    assert result["grade"] == "excellent" and result["consecutive_unqualified"] == 0
    events = await events_of(ctx.app, center_id)
    assert len(of_type(events, "EvaluationFailed")) == 2
    (excellent,) = of_type(events, "EvaluationExcellent")
    assert excellent["evaluation_id"] == evaluation["id"]

    history = (
        await ctx.client.get(f"/api/v1/centers/{center_id}/evaluations", headers=ctx.center_user(center_id))
    ).json()
    assert [item["year"] for item in history["items"]] == [first, second, third]
    assert all(len(item["result"]["breakdown"]) == 42 for item in history["items"])


async def _qualitative(ctx: Ctx) -> list[dict[str, Any]]:
    system = (await ctx.client.get("/api/v1/indicator-systems/ningbo-tic-2022", headers=ctx.admin)).json()
    return [i for group in system["first_level"] for i in group["indicators"] if i["kind"] == "qualitative"]


async def test_finalized_is_locked_reopen_needs_a_reason_and_refinalize_emits_the_correction(ctx: Ctx) -> None:
    (year,) = fresh_years()
    center_id = await ctx.center()
    await ctx.open_round(year)
    eid = (await ctx.evaluation_of(center_id, year))["id"]
    await ctx.not_submitted(eid)
    assert (await ctx.finalize(eid)).status_code == 200

    locked = await ctx.client.put(
        f"/api/v1/evaluations/{eid}/report", json=GOOD_REPORT, headers=ctx.center_user(center_id)
    )
    body = problem(locked, 409, "transition-refused")
    assert body["current_state"] == "finalized" and body["allowed_actions"] == ["reopen"]
    problem(await ctx.finalize(eid), 409, "transition-refused")
    problem(await ctx.client.post(f"/api/v1/evaluations/{eid}/reopen", json={}, headers=ctx.admin), 422)

    reopened = await ctx.client.post(
        f"/api/v1/evaluations/{eid}/reopen", json={"reason": "报告数据更正"}, headers=ctx.admin
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "awaiting_report" and reopened.json()["grade"] is None
    assert reopened.json()["history"][-1]["reason"] == "报告数据更正"
    response = await ctx.client.put(
        f"/api/v1/evaluations/{eid}/report", json=GOOD_REPORT, headers=ctx.center_user(center_id)
    )
    assert response.status_code == 200
    again = (await ctx.finalize(eid)).json()
    assert again["revision"] == 2 and again["grade"] == "unqualified"  # qualitative half still unscored
    assert Decimal(again["score"]) == Decimal("37.38")  # every quantitative indicator met in full
    completed = of_type(await events_of(ctx.app, center_id), "EvaluationCompleted")
    assert [(c["revision"], c["score"]) for c in completed] == [(1, 0.0), (2, 37.38)]
    assert [h["action"] for h in again["history"]] == [
        "record_not_submitted",
        "finalize",
        "reopen",
        "submit_report",
        "finalize",
    ]


async def test_milestones_and_acceptance_at_the_end_of_construction(ctx: Ctx) -> None:
    (year,) = fresh_years()
    approved_on = dt.date(year - 5, 4, 1)
    targets = {"year_5": {"investment_fen": 1, "team": 1, "high_level_teams": 1}}
    center_id = await ctx.center(approved_on=approved_on, construction_end=dt.date(year, 3, 31), targets=targets)
    await ctx.open_round(year)
    evaluation = await ctx.evaluation_of(center_id, year)
    assert evaluation["kind"] == "acceptance"
    report = {
        **GOOD_REPORT,
        "ecosystem": {"bases": 0, "close_partners": 100, "spin_offs": 10, "enterprises_served": 500},
    }
    await ctx.client.put(f"/api/v1/evaluations/{evaluation['id']}/report", json=report, headers=ctx.admin)
    result = (await ctx.finalize(evaluation["id"])).json()
    events = await events_of(ctx.app, center_id)
    checked = {m["milestone"]: m for m in of_type(events, "MilestoneChecked")}
    assert set(checked) == {"five_years", "end_of_construction"}
    assert checked["five_years"]["met"] is True
    assert all(c["from_letter"] for c in checked["five_years"]["checks"])
    assert checked["end_of_construction"]["met"] is False
    bases = next(c for c in checked["end_of_construction"]["checks"] if c["measure"] == "bases")
    assert bases == {**bases, "figure": 0, "target": 1, "met": False}
    (acceptance,) = of_type(events, "AcceptanceCompleted")
    assert acceptance["passed"] is False and acceptance["evaluation_id"] == evaluation["id"]
    assert any("bases" in reason.lower() for reason in acceptance["reasons_en"])
    assert result["result"]["acceptance"]["passed"] is False
    (completed,) = of_type(events, "EvaluationCompleted")
    assert completed["kind"] == "acceptance"
    at_risk = (await ctx.client.get("/api/v1/centers-at-risk", headers=ctx.admin)).json()
    mine = next(item for item in at_risk if item["center_id"] == str(center_id))
    assert any(reason["kind"] == "milestone_missed" for reason in mine["reasons"])


# ---- responsibility letters ----


async def test_responsibility_letter_applies_to_that_center_and_weights_must_sum_to_100(ctx: Ctx) -> None:
    (year,) = fresh_years()
    center_id = await ctx.center()
    other_id = await ctx.center()
    url = f"/api/v1/centers/{center_id}/responsibility-letter"
    refused = await ctx.client.put(url, json={"weights": {"5.2": 5}}, headers=ctx.admin)
    assert "sum to exactly" in problem(refused, 422, "letter-refused")["detail"]
    unknown = await ctx.client.put(url, json={"targets": {"11.1": 5}}, headers=ctx.admin)
    problem(unknown, 422, "letter-refused")
    current = await ctx.client.get(url, headers=ctx.admin)
    assert current.json()["version"] == 0
    letter = {"reference": "甬科责〔2024〕9号", "weights": {"5.2": "4", "5.5": "0"}, "targets": {"8.2": 0}}
    response = await ctx.client.put(url, json=letter, headers={**ctx.admin, "If-Match": current.headers["etag"]})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1
    stale = await ctx.client.put(url, json=letter, headers={**ctx.admin, "If-Match": current.headers["etag"]})
    problem(stale, 412, "precondition-failed")

    await ctx.open_round(year)
    eid = (await ctx.evaluation_of(center_id, year))["id"]
    patents = {"results": {"patents": 0}}
    await ctx.client.put(f"/api/v1/evaluations/{eid}/report", json=patents, headers=ctx.center_user(center_id))
    mine = (await ctx.finalize(eid)).json()
    other_eid = (await ctx.evaluation_of(other_id, year))["id"]
    await ctx.not_submitted(other_eid)
    theirs = (await ctx.finalize(other_eid)).json()
    line = next(item for item in mine["result"]["breakdown"] if item["code"] == "8.2")
    assert line["fraction"] == "1" and Decimal(mine["score"]) == Decimal(line["weight"])
    assert next(item for item in mine["result"]["breakdown"] if item["code"] == "5.2")["weight"] == "4"
    assert Decimal(theirs["score"]) == 0


# ---- HTTP conventions ----


async def test_idempotent_retry_and_if_match_conflict(ctx: Ctx) -> None:
    (year,) = fresh_years()
    center_id = await ctx.center()
    headers = {**ctx.admin, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await ctx.client.post("/api/v1/rounds", json={"year": year}, headers=headers)
    retry = await ctx.client.post("/api/v1/rounds", json={"year": year}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true" and retry.json()["id"] == first.json()["id"]
    again = await ctx.client.post("/api/v1/rounds", json={"year": year}, headers=ctx.admin)
    assert problem(again, 409, "round-exists")["year"] == year  # the fact a client says it with

    evaluation = await ctx.evaluation_of(center_id, year)
    etag = (await ctx.client.get(f"/api/v1/evaluations/{evaluation['id']}", headers=ctx.admin)).headers["etag"]
    await ctx.client.put(f"/api/v1/evaluations/{evaluation['id']}/report", json=GOOD_REPORT, headers=ctx.admin)
    preview = await ctx.client.get(f"/api/v1/evaluations/{evaluation['id']}/finalize-preview", headers=ctx.admin)
    confirm = {"confirm": preview.json()["preview_id"]}
    stale = await ctx.client.post(
        f"/api/v1/evaluations/{evaluation['id']}/finalize", json=confirm, headers={**ctx.admin, "If-Match": etag}
    )
    problem(stale, 412, "precondition-failed")
    assert (await ctx.evaluation_of(center_id, year))["status"] == "reported"
    assert of_type(await events_of(ctx.app, center_id), "EvaluationCompleted") == []

    fresh = (await ctx.client.get(f"/api/v1/evaluations/{evaluation['id']}", headers=ctx.admin)).headers["etag"]
    key = {**ctx.admin, "If-Match": fresh, "Idempotency-Key": f"f-{uuid.uuid4()}"}
    done = await ctx.client.post(f"/api/v1/evaluations/{evaluation['id']}/finalize", json=confirm, headers=key)
    again = await ctx.client.post(f"/api/v1/evaluations/{evaluation['id']}/finalize", json=confirm, headers=key)
    assert done.status_code == again.status_code == 200 and again.json() == done.json()
    assert len(of_type(await events_of(ctx.app, center_id), "EvaluationCompleted")) == 1


async def test_bad_input_is_refused_with_problem_json_and_nothing_written(ctx: Ctx) -> None:
    (year,) = fresh_years()
    center_id = await ctx.center()
    await ctx.open_round(year)
    eid = (await ctx.evaluation_of(center_id, year))["id"]
    base = f"/api/v1/evaluations/{eid}"
    cases = [
        ("PUT", f"{base}/report", {"team": {"total": -1}}, 422),
        ("PUT", f"{base}/report", {"team": {"total": "12"}}, 422),
        ("PUT", f"{base}/report", {"teams": {}}, 422),
        ("PUT", f"{base}/report", {"results": {"patents": 1.5}}, 422),
        ("POST", f"{base}/assignments", {"expert": "x", "indicators": ["5.1"]}, 422),
        ("POST", f"{base}/assignments", {"expert": "x", "indicators": ["99.9"]}, 422),
        ("POST", f"{base}/assignments", {"expert": ""}, 422),
        ("POST", f"{base}/reopen", {"reason": ""}, 422),
        ("POST", "/api/v1/rounds", {"year": "2030"}, 422),
        ("POST", "/api/v1/rounds", {"year": 1999}, 422),
        ("POST", "/api/v1/rounds", {}, 422),
        ("GET", "/api/v1/evaluations/not-a-uuid", None, 422),
        ("GET", f"/api/v1/evaluations/{uuid.uuid4()}", None, 404),
        ("GET", f"/api/v1/rounds/{uuid.uuid4()}", None, 404),
        ("GET", f"/api/v1/centers/{uuid.uuid4()}", None, 404),
        ("GET", "/api/v1/indicator-systems/nope", None, 404),
        ("GET", "/api/v1/evaluations?cursor=zzz", None, 400),
        ("GET", "/api/v1/evaluations?status=bogus", None, 422),
        ("PUT", f"/api/v1/centers/{center_id}/responsibility-letter", {"weights": {"1.1": -1}}, 422),
        ("POST", f"/api/v1/rounds/{uuid.uuid4()}/finalize", {"confirm": "x"}, 404),
        ("POST", f"{base}/finalize", {}, 422),
    ]
    for method, url, body, status in cases:
        response = await ctx.client.request(method, url, json=body, headers=ctx.admin)
        problem(response, status)
    await ctx.client.post(f"{base}/assignments", json={"expert": "e-x", "indicators": ["1.1"]}, headers=ctx.admin)
    for scores in ({"1.1": 101}, {"1.1": -1}, {"1.1": "NaN"}, {}):
        response = await ctx.client.put(f"{base}/scores", json={"scores": scores}, headers=ctx.expert("e-x"))
        problem(response, 422)
    too_high = await ctx.client.put(f"{base}/scores", json={"scores": {"1.1": 101}}, headers=ctx.expert("e-x"))
    refused = problem(too_high, 422, "score-out-of-range")
    assert (refused["score_min"], refused["score_max"]) == (0, 100)  # the range, for a client to say it in its words
    evaluation = await ctx.evaluation_of(center_id, year)
    assert evaluation["report"] is None and evaluation["scores"] == []
    assert [a["expert"] for a in evaluation["assignments"]] == ["e-x"]
    assert (await ctx.client.get(f"/api/v1/centers/{center_id}/responsibility-letter", headers=ctx.admin)).json()[
        "version"
    ] == 0


# ---- access ----


async def test_access_matrix(ctx: Ctx) -> None:
    (year,) = fresh_years()
    district, elsewhere = f"d-{uuid.uuid4().hex[:8]}", f"d-{uuid.uuid4().hex[:8]}"
    center_id = await ctx.center(district=district)
    other_id = await ctx.center(district=elsewhere)
    await ctx.open_round(year)
    eid = (await ctx.evaluation_of(center_id, year))["id"]
    other_eid = (await ctx.evaluation_of(other_id, year))["id"]
    await ctx.client.post(f"/api/v1/evaluations/{eid}/assignments", json={"expert": "e-m"}, headers=ctx.admin)
    reviewer = bearer(ctx.token("rev", roles=["bureau_reviewer"]))

    sees = {
        "bureau_admin": (ctx.admin, True, True),
        "bureau_reviewer": (reviewer, True, True),
        "own center_user": (ctx.center_user(center_id), True, False),
        "other center_user": (ctx.center_user(other_id), False, True),
        "district_officer": (ctx.district_officer(district), True, False),
        "assigned expert": (ctx.expert("e-m"), True, False),
        "unassigned expert": (ctx.expert("e-other"), False, False),
    }
    for who, (headers, mine, theirs) in sees.items():
        for evaluation_id, visible in ((eid, mine), (other_eid, theirs)):
            response = await ctx.client.get(f"/api/v1/evaluations/{evaluation_id}", headers=headers)
            assert response.status_code == (200 if visible else 404), (who, evaluation_id, response.text)
        listed = await ctx.client.get("/api/v1/evaluations", params={"year": year, "limit": 500}, headers=headers)
        ids = {item["id"] for item in listed.json()["items"]}
        assert (eid in ids, other_eid in ids) == (mine, theirs), who

    # Writes: the other center's user cannot file this center's report; an expert cannot finalize.
    problem(await ctx.client.put(f"/api/v1/evaluations/{eid}/report", json={}, headers=ctx.center_user(other_id)), 404)
    problem(
        await ctx.client.post(f"/api/v1/evaluations/{eid}/finalize", json={"confirm": "x"}, headers=ctx.expert("e-m")),
        403,
    )
    problem(
        await ctx.client.put(f"/api/v1/evaluations/{eid}/report", json={}, headers=ctx.district_officer(district)), 403
    )
    problem(await ctx.client.get(f"/api/v1/centers/{other_id}", headers=ctx.district_officer(district)), 404)
    problem(await ctx.client.get(f"/api/v1/centers/{center_id}/evaluations", headers=ctx.center_user(other_id)), 404)
    assert (
        await ctx.client.get(f"/api/v1/centers/{center_id}", headers=ctx.district_officer(district))
    ).status_code == 200


async def test_a_center_approved_after_its_round_opened_is_added_to_it_once(ctx: Ctx) -> None:
    (year,) = fresh_years(1)
    opened = await ctx.open_round(year)
    late = await ctx.center()  # approved (in an earlier year) but tracked only after the round opened
    none = await ctx.client.get("/api/v1/evaluations", params={"center_id": str(late), "year": year}, headers=ctx.admin)
    assert none.json()["items"] == []
    added = await ctx.client.post(f"/api/v1/rounds/{opened['id']}/centers", headers=ctx.admin)
    assert added.status_code == 200, added.text
    assert added.json()["added"] >= 1
    assert (await ctx.evaluation_of(late, year))["status"] == "awaiting_report"
    again = await ctx.client.post(f"/api/v1/rounds/{opened['id']}/centers", headers=ctx.admin)
    assert again.json()["added"] == 0
    missing = await ctx.client.post(f"/api/v1/rounds/{uuid.uuid4()}/centers", headers=ctx.admin)
    assert missing.status_code == 404


# ---- dated rounds, scope and consequences (POLICY §3 Rounds, §4a) ----


async def test_a_round_is_only_for_a_year_that_has_begun_and_the_rules_cover(ctx: Ctx) -> None:
    current = today().year
    for year, slug in (
        (current + 1, "round-year-not-begun"),
        (2057, "round-year-not-begun"),
        (2021, "no-rules-in-force"),
    ):
        refused = problem(await ctx.client.post("/api/v1/rounds", json={"year": year}, headers=ctx.admin), 422, slug)
        assert refused["errors"][0]["field"] == "body.year"
    listed = await ctx.client.get("/api/v1/rounds", headers=ctx.admin)
    assert listed.json()["items"] == []


async def test_only_municipal_tics_approved_in_an_earlier_year_are_evaluated(ctx: Ctx) -> None:
    (year,) = fresh_years()
    earlier = await ctx.center(approved_on=dt.date(year - 1, 6, 1))
    this_year = await ctx.center(approved_on=dt.date(year, 1, 2))
    provincial = approved(approved_on=dt.date(year - 1, 6, 1))
    provincial = provincial.model_copy(update={"tier": Tier.PROVINCIAL_TIC})
    await publish(ctx.nats_url, provincial)
    await eventually(
        lambda: _tracked(ctx, provincial.center_id),
    )
    await ctx.open_round(year)
    listed = (await ctx.client.get("/api/v1/evaluations", params={"year": year}, headers=ctx.admin)).json()["items"]
    assert {item["center_id"] for item in listed} == {str(earlier)}
    assert str(this_year) not in {item["center_id"] for item in listed}


async def _tracked(ctx: Ctx, center_id: uuid.UUID) -> bool:
    return (await ctx.client.get(f"/api/v1/centers/{center_id}", headers=ctx.admin)).status_code == 200


async def test_an_evaluation_with_no_report_and_no_scores_is_never_finalized(ctx: Ctx) -> None:
    (year,) = fresh_years()
    empty_center, reported_center = await ctx.center(), await ctx.center()
    round_ = await ctx.open_round(year)
    empty = await ctx.evaluation_of(empty_center, year)
    reported = await ctx.evaluation_of(reported_center, year)
    await ctx.client.put(f"/api/v1/evaluations/{reported['id']}/report", json=GOOD_REPORT, headers=ctx.admin)

    preview = (await ctx.client.get(f"/api/v1/evaluations/{empty['id']}/finalize-preview", headers=ctx.admin)).json()
    assert preview["finalizes"] == 0 and preview["blocked"][0]["evaluation_id"] == empty["id"]
    refused = await ctx.client.post(
        f"/api/v1/evaluations/{empty['id']}/finalize", json={"confirm": preview["preview_id"]}, headers=ctx.admin
    )
    said = problem(refused, 409, "evaluation-not-ready")
    assert "not submitted" in said["detail"]
    # Said in both languages, for a reader in either: the preview's reason and the refusal's are the same.
    assert said["reason"] == {"zh": preview["blocked"][0]["reason_zh"], "en": preview["blocked"][0]["reason"]}
    assert "未提交" in said["reason"]["zh"]

    # The round finalizes what can be and leaves the empty one open, saying why.
    url = f"/api/v1/rounds/{round_['id']}"
    shown = (await ctx.client.get(f"{url}/finalize-preview", headers=ctx.admin)).json()
    assert shown["finalizes"] == 1 and [b["evaluation_id"] for b in shown["blocked"]] == [empty["id"]]
    done = await ctx.client.post(f"{url}/finalize", json={"confirm": shown["preview_id"]}, headers=ctx.admin)
    assert done.status_code == 200, done.text
    assert (
        done.json()["finalized_now"] == 1 and done.json()["consequences"]["blocked"][0]["evaluation_id"] == empty["id"]
    )
    assert (await ctx.evaluation_of(empty_center, year))["status"] == "awaiting_report"
    assert of_type(await events_of(ctx.app, empty_center), "EvaluationCompleted") == []

    # Recorded as not submitted by a reviewer, with a reason, it is finalized as the rules say: unqualified.
    await ctx.not_submitted(empty["id"])
    result = (await ctx.finalize(empty["id"])).json()
    assert result["grade"] == "unqualified"
    assert result["history"][0]["action"] == "record_not_submitted" and result["history"][0]["reason"]


async def test_finalizing_shows_its_consequences_first_and_a_stale_confirmation_changes_nothing(ctx: Ctx) -> None:
    first, second = fresh_years(2)
    center_id = await ctx.center()
    await ctx.open_round(first)
    earlier = await ctx.evaluation_of(center_id, first)
    await ctx.not_submitted(earlier["id"])
    assert (await ctx.finalize(earlier["id"])).status_code == 200
    round_ = await ctx.open_round(second)
    eid = (await ctx.evaluation_of(center_id, second))["id"]
    await ctx.client.put(f"/api/v1/evaluations/{eid}/report", json={"results": {"patents": 1}}, headers=ctx.admin)

    url = f"/api/v1/rounds/{round_['id']}"
    preview = (await ctx.client.get(f"{url}/finalize-preview", headers=ctx.admin)).json()
    (due,) = preview["delisting_due"]
    assert due["center_id"] == str(center_id) and due["consecutive_unqualified"] == 2
    assert [item["evaluation_id"] for item in preview["becoming_unqualified"]] == [eid]

    # The figures change after the preview was read: its confirmation is refused and nothing is finalized.
    await ctx.client.put(f"/api/v1/evaluations/{eid}/report", json=GOOD_REPORT, headers=ctx.admin)
    stale = await ctx.client.post(f"{url}/finalize", json={"confirm": preview["preview_id"]}, headers=ctx.admin)
    assert problem(stale, 409, "preview-stale")["preview_id"] != preview["preview_id"]
    assert (await ctx.evaluation_of(center_id, second))["status"] == "reported"
    assert len(of_type(await events_of(ctx.app, center_id), "EvaluationCompleted")) == 1

    fresh = (await ctx.client.get(f"{url}/finalize-preview", headers=ctx.admin)).json()
    done = await ctx.client.post(f"{url}/finalize", json={"confirm": fresh["preview_id"]}, headers=ctx.admin)
    assert done.status_code == 200, done.text
    assert done.json()["consequences"] == fresh


async def test_an_acceptance_is_finalized_only_once_construction_has_ended(ctx: Ctx) -> None:
    (year,) = fresh_years()
    # Construction ends tomorrow: its acceptance is this year's evaluation, not yet to be concluded. (On 31
    # December tomorrow is next year, whose round cannot be opened yet: the case cannot arise that day.)
    ends = today() + dt.timedelta(days=1)
    running = await ctx.center(approved_on=dt.date(year - 3, 3, 1), construction_end=ends)
    await ctx.open_round(year)
    evaluation = await ctx.evaluation_of(running, year)
    assert evaluation["kind"] == ("acceptance" if ends.year == year else "annual")
    if evaluation["kind"] == "acceptance":
        await ctx.client.put(f"/api/v1/evaluations/{evaluation['id']}/report", json=GOOD_REPORT, headers=ctx.admin)
        preview = await ctx.client.get(f"/api/v1/evaluations/{evaluation['id']}/finalize-preview", headers=ctx.admin)
        assert ends.isoformat() in preview.json()["blocked"][0]["reason"]
        refused = await ctx.client.post(
            f"/api/v1/evaluations/{evaluation['id']}/finalize",
            json={"confirm": preview.json()["preview_id"]},
            headers=ctx.admin,
        )
        problem(refused, 409, "evaluation-not-ready")
        assert of_type(await events_of(ctx.app, running), "AcceptanceCompleted") == []


async def test_a_three_year_center_is_accepted_on_its_own_final_year(ctx: Ctx) -> None:
    (year,) = fresh_years()
    approved_on = dt.date(year - 3, 1, 10)
    ended = await ctx.center(approved_on=approved_on, construction_end=dt.date(year, 1, 9))
    round_ = await ctx.open_round(year)
    evaluation = await ctx.evaluation_of(ended, year)
    assert evaluation["kind"] == "acceptance"
    await ctx.client.put(f"/api/v1/evaluations/{evaluation['id']}/report", json=GOOD_REPORT, headers=ctx.admin)
    codes = [line["code"] for line in await _qualitative(ctx)]
    await ctx.client.post(
        f"/api/v1/evaluations/{evaluation['id']}/assignments", json={"expert": "e-acc"}, headers=ctx.admin
    )
    await ctx.client.put(
        f"/api/v1/evaluations/{evaluation['id']}/scores",
        json={"scores": dict.fromkeys(codes, 90)},
        headers=ctx.expert("e-acc"),
    )
    result = (await ctx.finalize(evaluation["id"])).json()
    acceptance = result["result"]["acceptance"]
    assert acceptance["passed"] is True, acceptance["reasons"]
    assert {check["due_year"] for check in acceptance["checks"]} == {year}
    assert round_["year"] == year
