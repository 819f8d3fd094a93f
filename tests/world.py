"""A small world for the cross-service tests: the four services on a database and a NATS of the test's own,
two approved centers in two districts (each with its grant calculated, approved, disbursed and partly spent),
a budget and a webhook subscription, all made through the services' own APIs and events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tic_platform.contract import SERVICES
from tic_platform.testing import bearer, create_app, eventually, running, take_to_approval
from tic_shared.dated_acts import today

DISTRICTS = ("yinzhou", "zhenhai")
EMPTY_DISTRICT = "beilun"
"""A district of Ningbo with no center in this world."""


@dataclass
class OwnedCenter:
    """A center and what hangs on it: what a principal who may not see the center must never see."""

    center_id: str
    district: str
    name_zh: str
    credit_code: str
    grant_ids: list[str] = field(default_factory=list)
    expenditure_ids: list[str] = field(default_factory=list)

    @property
    def markers(self) -> list[str]:
        return [self.center_id, self.name_zh, self.credit_code, *self.grant_ids, *self.expenditure_ids]


@dataclass
class World:
    clients: dict[str, httpx.AsyncClient]
    admin: dict[str, str]
    centers: list[OwnedCenter]
    budget_year: int
    subscription_id: str
    secrets: list[str] = field(default_factory=list)


def credit_code() -> str:
    from registry.domain.credit_code import check_character

    body = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


async def _approved_center(client: httpx.AsyncClient, admin: dict[str, str], district: str) -> OwnedCenter:
    approval = today()
    tag = uuid.uuid4().hex[:6].upper()
    name = f"宁波市测试{tag}技术创新中心"
    code = credit_code()
    created = await client.post(
        "/api/v1/centers",
        json={
            "name_zh": name,
            "name_en": f"Test Center {tag}",
            "tier": "municipal_tic",
            "origin": "municipal_initiative",
            "field": "industrial_internet",
            "industrial_chain": "工业互联网",
            "district": district,
            "lead_unit": {"name": f"宁波测试{tag}科技有限公司", "credit_code": code, "type": "enterprise"},
            "contacts": [{"name": "陈静", "email": f"c{tag.lower()}@example.cn", "role": "联系人"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    center_id = created.json()["id"]
    await take_to_approval(
        client,
        admin,
        center_id,
        approved_on=approval,
        document_no=f"甬政发〔{approval.year}〕{tag}号",
        domain_zh=f"测试{tag}",
        domain_en=f"Test {tag}",
    )
    return OwnedCenter(center_id=center_id, district=district, name_zh=name, credit_code=code)


async def _fund(funding: httpx.AsyncClient, admin: dict[str, str], center: OwnedCenter) -> int:
    """Wait for the year-1 grant the approval opened; calculate, approve, disburse it; spend part of it."""

    async def opened() -> list[dict[str, Any]]:
        response = await funding.get("/api/v1/grants", params={"center_id": center.center_id}, headers=admin)
        return list(response.json()["items"]) if response.status_code == 200 else []

    [grant] = await eventually(opened, timeout_s=20)
    gid = grant["grant_id"]
    center.grant_ids.append(gid)
    calc = await funding.post(
        f"/api/v1/grants/{gid}/calculate", json={"verified_investment_fen": 20_000_000_000}, headers=admin
    )
    assert calc.status_code == 200, calc.text
    for action in ("approve", "disburse"):
        response = await funding.post(f"/api/v1/grants/{gid}/{action}", headers=admin)
        assert response.status_code == 200, f"{action}: {response.text}"
    spent = await funding.post(
        f"/api/v1/centers/{center.center_id}/expenditures",
        json={"category": "equipment", "amount_fen": 1_000_000, "description": "测试设备"},
        headers=admin,
    )
    assert spent.status_code == 201, spent.text
    center.expenditure_ids.append(spent.json()["entry"]["entry_id"])
    return int(calc.json()["budget_year"])


@asynccontextmanager
async def world_of_own(
    make_settings: Callable[..., Any], database_url: str, nats_url: str, keys_token: Callable[..., str]
) -> AsyncIterator[World]:
    """The four services running on `database_url` and `nats_url`, and the world made in them."""
    admin = bearer(keys_token(subject="world-builder", roles=["bureau_admin"]))
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for service in SERVICES:
            overrides: dict[str, Any] = {"database_url": database_url, "nats_url": nats_url}
            if service == "notification":
                overrides["delivery_worker_enabled"] = False
            app = create_app(service, make_settings(service, **overrides))
            clients[service] = await stack.enter_async_context(running(app))
        centers = [await _approved_center(clients["registry"], admin, district) for district in DISTRICTS]
        budget_year = 0
        for center in centers:
            budget_year = await _fund(clients["funding"], admin, center)
        budget = await clients["funding"].put(
            f"/api/v1/budgets/ningbo/{budget_year}", json={"budget_fen": 10_000_000_000_000}, headers=admin
        )
        assert budget.status_code == 200, budget.text
        subscription = await clients["notification"].post(
            "/api/v1/subscriptions",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "description": "world"},
            headers=admin,
        )
        assert subscription.status_code == 201, subscription.text
        yield World(
            clients=clients,
            admin=admin,
            centers=centers,
            budget_year=budget_year,
            subscription_id=subscription.json()["id"],
            secrets=[subscription.json()["secret"]],
        )
