"""Plans through the API, on a real PostgreSQL and NATS: departments report their own figures, the bureau accepts
or returns them, corrections keep the history, progress turns to behind once, derived figures follow the
registry's events, and overdue figures are listed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tic_platform.testing import bearer, eventually
from tic_shared.dated_acts import today
from tic_shared.vocabulary import Tier

from .test_evaluation_service import approved, publish

PLAN = "linhai-315-2023"
SHARE = "high_tech_value_added_share"  # lead linhai.economy_information; co development_reform, science_technology
URL = f"/api/v1/plans/{PLAN}/indicators/{SHARE}"


@pytest.fixture
async def service(run_service: Any, own_database_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with run_service("evaluation", database_url=own_database_url) as running:
        yield running


def department(token: Callable[..., str], code: str) -> dict[str, str]:
    return bearer(token(subject=f"officer-{code}", roles=["department_officer"], department=code))


def figure(year: int, value: str, **more: Any) -> dict[str, Any]:
    return {"year": year, "value": value, "source": f"临海市{year}年统计公报", **more}


async def outbox_types(app: FastAPI) -> list[str]:
    outbox = app.state.messaging.outbox
    async with app.state.db.transaction() as session:
        rows = await session.execute(select(outbox.c.event_type).order_by(outbox.c.id))
        return [row[0] for row in rows]


async def reported_and_accepted(
    client: httpx.AsyncClient, reporter: dict[str, str], bureau: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    sent = await client.post(f"{URL}/reports", json=body, headers={**reporter, "Idempotency-Key": str(uuid.uuid4())})
    assert sent.status_code == 201, sent.text
    accepted = await client.post(
        f"/api/v1/plans/reports/{sent.json()['id']}/accept", headers={**bureau, "If-Match": sent.headers["etag"]}
    )
    assert accepted.status_code == 200, accepted.text
    return dict(accepted.json())


async def test_a_department_reports_its_figure_and_the_bureau_accepts_it(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    app, client = service
    economy = department(token, "linhai.economy_information")
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    accepted = await reported_and_accepted(client, economy, bureau, figure(2023, "74.1"))
    assert accepted["status"] == "accepted" and accepted["revision"] == 1 and accepted["decided_by"] == "bureau"

    detail = (await client.get(URL, headers=economy)).json()
    assert detail["progress"]["latest_value"] in ("74.1", "74.10")
    assert detail["progress"]["status"] in ("on_track", "met")
    assert [r["status"] for r in detail["reports"]] == ["accepted"]
    assert "tic.evaluation.IndicatorReported.v1" in await outbox_types(app)
    assert "tic.evaluation.IndicatorAccepted.v1" in await outbox_types(app)


async def test_a_department_can_neither_read_nor_report_another_departments_indicator(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    _, client = service
    market = department(token, "linhai.market_supervision")
    assert (await client.get(URL, headers=market)).status_code == 404
    refused = await client.post(f"{URL}/reports", json=figure(2024, "80"), headers=market)
    assert refused.status_code == 404
    plan = (await client.get(f"/api/v1/plans/{PLAN}", headers=market)).json()
    assert SHARE not in {row["code"] for row in plan["indicator_rows"]}
    assert plan["indicator_rows"], "it still sees its own"
    # A co-department reads and may report; a district officer reads and may not report.
    science = department(token, "linhai.science_technology")
    assert (await client.get(URL, headers=science)).json()["may_report"] is True
    district = bearer(token(subject="d", roles=["district_officer"], district="yinzhou"))
    assert (await client.get(URL, headers=district)).json()["may_report"] is False
    assert (await client.post(f"{URL}/reports", json=figure(2024, "80"), headers=district)).status_code == 403


async def test_a_correction_after_acceptance_needs_a_reason_and_keeps_the_history(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    _, client = service
    economy = department(token, "linhai.economy_information")
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    await reported_and_accepted(client, economy, bureau, figure(2023, "74.1"))
    silent = await client.post(f"{URL}/reports", json=figure(2023, "75.0"), headers=economy)
    assert silent.status_code == 422
    assert "correction_reason" in silent.json()["detail"]
    corrected = await reported_and_accepted(
        client, economy, bureau, figure(2023, "75.0", correction_reason="统计公报修订")
    )
    assert corrected["revision"] == 2 and corrected["correction_reason"] == "统计公报修订"
    reports = (await client.get(URL, headers=bureau)).json()["reports"]
    assert [(r["revision"], r["status"]) for r in reports] == [(1, "superseded"), (2, "accepted")]
    # A correction given back does not open a way round the reason: the next figure still needs one.
    third = await client.post(
        f"{URL}/reports", json=figure(2023, "75.5", correction_reason="口径调整"), headers=economy
    )
    back = await client.post(
        f"/api/v1/plans/reports/{third.json()['id']}/return", json={"reason": "不同意"}, headers=bureau
    )
    assert back.status_code == 200
    again = await client.post(f"{URL}/reports", json=figure(2023, "76.0"), headers=economy)
    assert again.status_code == 422 and again.json()["type"].endswith("correction-needs-reason")


async def test_a_returned_figure_goes_back_with_its_reason_and_counts_for_nothing(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    _, client = service
    economy = department(token, "linhai.economy_information")
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    sent = await client.post(f"{URL}/reports", json=figure(2024, "20"), headers=economy)
    back = await client.post(
        f"/api/v1/plans/reports/{sent.json()['id']}/return", json={"reason": "口径不一致"}, headers=bureau
    )
    assert back.status_code == 200 and back.json()["status"] == "returned"
    again = await client.post(f"/api/v1/plans/reports/{sent.json()['id']}/accept", headers=bureau)
    assert again.status_code == 409
    assert (await client.get(URL, headers=bureau)).json()["progress"]["status"] == "no_data"
    mine = (await client.get("/api/v1/plans/departments/linhai.economy_information", headers=economy)).json()
    assert [r["return_reason"] for r in mine["returned"]] == ["口径不一致"]


async def test_target_at_risk_is_announced_once_when_progress_turns_to_behind(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    app, client = service
    economy = department(token, "linhai.economy_information")
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    await reported_and_accepted(client, economy, bureau, figure(2023, "74.0"))
    assert "tic.evaluation.TargetAtRisk.v1" not in await outbox_types(app)
    await reported_and_accepted(client, economy, bureau, figure(2024, "60.0"))
    assert (await client.get(URL, headers=economy)).json()["progress"]["status"] == "behind"
    await reported_and_accepted(client, economy, bureau, figure(2025, "61.0"))
    assert (await outbox_types(app)).count("tic.evaluation.TargetAtRisk.v1") == 1


async def test_figures_of_years_not_begun_or_outside_the_plan_are_refused(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    _, client = service
    economy = department(token, "linhai.economy_information")
    future = await client.post(f"{URL}/reports", json=figure(today().year + 1, "80"), headers=economy)
    assert future.status_code == 422 and "not begun" in future.json()["detail"]
    assert future.json()["year"] == today().year + 1  # the facts a client says the refusal with
    ancient = await client.post(f"{URL}/reports", json=figure(2015, "80"), headers=economy)
    assert ancient.status_code == 422 and "outside the plan" in ancient.json()["detail"]
    assert (ancient.json()["year"], ancient.json()["first_year"]) == (2015, 2022)  # 2023–2027 and its base
    assert ancient.json()["last_year"] == min(2027, today().year)


async def test_overdue_figures_are_listed_for_their_departments(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    _, client = service
    economy = department(token, "linhai.economy_information")
    overdue = (await client.get("/api/v1/plans/overdue", headers=economy)).json()
    mine = {(o["indicator"], o["year"]) for o in overdue}
    assert (SHARE, 2023) in mine  # due 2024-03-31, nothing reported
    assert all(dt.date.fromisoformat(o["due_on"]) < today() for o in overdue)
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    await reported_and_accepted(client, economy, bureau, figure(2023, "74.0"))
    after = {(o["indicator"], o["year"]) for o in (await client.get("/api/v1/plans/overdue", headers=economy)).json()}
    assert (SHARE, 2023) not in after


async def test_a_derived_indicator_moves_when_the_registry_approves_a_center(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str], nats_url: str
) -> None:
    _, client = service
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    url = "/api/v1/plans/ningbo-tic-system-2022/indicators/new_municipal_tics"

    async def latest() -> Any:
        return (await client.get(url, headers=bureau)).json()["progress"]["latest_value"]

    before = await latest()
    assert (await client.post(f"{url}/reports", json=figure(2023, "3"), headers=bureau)).status_code == 409
    await publish(nats_url, approved(approved_on=dt.date(2023, 6, 1)))
    await eventually(lambda: _moved(latest, before), timeout_s=15)


async def _moved(latest: Callable[[], Any], before: Any) -> bool:
    now = await latest()
    return now is not None and float(now) == float(before or 0) + 1


async def test_a_plan_counts_only_the_centers_of_its_own_jurisdiction(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str], nats_url: str
) -> None:
    """A provincial TIC approved in a Ningbo district counts for Ningbo's plan, never for Linhai's."""
    _, client = service
    bureau = bearer(token(subject="bureau", roles=["bureau_admin"]))
    linhai = "/api/v1/plans/linhai-315-2023/indicators/new_provincial_tics"
    ningbo = "/api/v1/plans/ningbo-tic-system-2022/indicators/new_provincial_tics"
    linhai_before = await _latest(client, linhai, bureau)
    ningbo_before = await _latest(client, ningbo, bureau)
    provincial = approved(district="yinzhou", approved_on=dt.date(2024, 6, 1)).model_copy(
        update={"tier": Tier.PROVINCIAL_TIC}
    )
    await publish(nats_url, provincial)
    await eventually(lambda: _moved(lambda: _latest(client, ningbo, bureau), ningbo_before), timeout_s=15)
    assert await _latest(client, linhai, bureau) == linhai_before


async def _latest(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    return (await client.get(url, headers=headers)).json()["progress"]["latest_value"]


async def test_money_is_reported_in_whole_fen_a_fraction_is_refused_naming_the_value(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    """A plan's money counts in whole fen: a fraction of a fen is refused before it is kept, so the plan it
    would count in is never left unreadable."""
    _, client = service
    finance = department(token, "linhai.finance")
    spending = f"/api/v1/plans/{PLAN}/indicators/fiscal_st_spending"
    sent = await client.post(
        f"{spending}/reports",
        json=figure(2023, "1234567.5"),
        headers={**finance, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert sent.status_code == 422, sent.text
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert any(error["field"] == "body.value" for error in sent.json()["errors"]), sent.json()
    detail = await client.get(spending, headers=finance)
    assert detail.status_code == 200 and detail.json()["reports"] == []
    whole = await client.post(
        f"{spending}/reports", json=figure(2023, "1234567"), headers={**finance, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert whole.status_code == 201, whole.text
    assert (await client.get(f"/api/v1/plans/{PLAN}", headers=finance)).status_code == 200


async def test_a_figure_below_zero_is_refused_naming_the_value(
    service: tuple[FastAPI, httpx.AsyncClient], token: Callable[..., str]
) -> None:
    _, client = service
    economy = department(token, "linhai.economy_information")
    sent = await client.post(f"{URL}/reports", json=figure(2023, "-74.1"), headers=economy)
    assert sent.status_code == 422, sent.text
    assert [error["field"] for error in sent.json()["errors"]] == ["body.value"]
    assert sent.json()["errors"][0]["type"] == "greater_than_equal"
    assert (await client.get(URL, headers=economy)).json()["reports"] == []
