"""Fixtures of the registry's integration tests: the running service, tokens, and a center's path through life."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from registry.domain.credit_code import check_character
from tic_platform.testing import bearer
from tic_shared.dated_acts import today as local_today


def today() -> date:
    return local_today()


def days_ago(days: int) -> str:
    return str(today() - timedelta(days=days))


def domain() -> dict[str, str]:
    """A technology domain of its own, so every approved center has a name no live center holds."""
    tag = uuid.uuid4().hex[:6].upper()
    return {"domain_zh": f"先进高分子材料{tag}", "domain_en": f"Advanced Polymer Materials {tag}"}


def credit_code(seed: int | None = None) -> str:
    """A valid unified social credit code, different on each call."""
    body = "91330200" + f"{(seed if seed is not None else uuid.uuid4().int) % 10**9:09d}"
    return body + check_character(body)


def application(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name_zh": "宁波市先进高分子材料技术创新中心",
        "name_en": "Ningbo Advanced Polymer Materials Center",
        "tier": "municipal_tic",
        "origin": "recommended",
        "recommender": "镇海区人民政府",
        "field": "new_materials",
        "industrial_chain": "绿色石化",
        "district": "zhenhai",
        "lead_unit": {"name": "宁波示例高分子材料有限公司", "credit_code": credit_code(), "type": "enterprise"},
        "contacts": [{"name": "王敏", "email": "wangmin@example.cn", "phone": "0574-86001234", "role": "联系人"}],
        "targets": {
            "year_2": {"investment_fen": 10_000_000_000, "team": 100, "high_level_teams": 2},
            "year_5": {"investment_fen": 20_000_000_000, "team": 300, "high_level_teams": 5},
            "end_of_construction": {
                "transfer_bases": 1,
                "partner_enterprises": 20,
                "spinoffs": 5,
                "enterprises_served": 100,
            },
        },
        "bases": [
            {
                "kind": "core",
                "name": "核心区",
                "district": "zhenhai",
                "address": "镇海区庄市大道1号",
                "host_unit": "示例公司",
            }
        ],
    }
    body.update(overrides)
    return body


class Registry:
    """The running registry with an admin's client, and steps that walk a center through its life."""

    today = staticmethod(today)
    days_ago = staticmethod(days_ago)
    domain = staticmethod(domain)
    credit_code = staticmethod(credit_code)
    application = staticmethod(application)

    def __init__(self, app: Any, client: httpx.AsyncClient, token: Callable[..., str]) -> None:
        self.app = app
        self.client = client
        self.token = token
        self.admin = bearer(token(subject="admin-1", roles=["bureau_admin"]))

    async def create(self, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/centers", json=application(**overrides), headers=headers or self.admin
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def act(self, center_id: str, action: str, body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        response = await self.client.post(f"/api/v1/centers/{center_id}/{action}", json=body or {}, headers=self.admin)
        assert response.status_code == expect, response.text
        return response.json()

    async def to(
        self, target: str, *, approved_on: date | None = None, construction_years: int | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A new center brought to `target` through the API, the way the bureau would.

        Each act is dated on or after the one before (POLICY §4a), counting back from the approval (today unless
        given): the notice started 20 days before it and ended 13 days before it.
        """
        center = await self.create(**overrides)
        cid = center["id"]
        approval = approved_on or today()

        def before(days: int) -> str:
            return str(approval - timedelta(days=days))

        review = {
            "passed": True,
            "score": 86.5,
            "opinion": "同意",
            "experts": ["张三", "李四"],
            "reviewed_on": before(35),
        }
        path = [
            ("submitted", "submit", {"on": before(40)}),
            ("under_review", "start-review", {"on": before(39)}),
            ("reviewed", "review", review),
            (
                "decided",
                "decision",
                {"approved": True, "meeting_ref": "市政府第12次常务会议", "decided_on": before(30)},
            ),
            ("public_notice", "public-notice", {"starts_on": before(20)}),
            (
                "building",
                "approve",
                {
                    "document_no": "甬政发〔2026〕12号",
                    "approved_on": str(approval),
                    "construction_years": construction_years,
                    **domain(),
                },
            ),
        ]
        if center["status"] == target:
            return center
        for state, action, body in path:
            center = await self.act(cid, action, body)
            if state == target:
                return center
        raise AssertionError(f"no path to {target}")

    async def events_of(self, center_id: str) -> list[dict[str, Any]]:
        o = self.app.state.messaging.outbox.c
        from sqlalchemy import select

        async with self.app.state.db.transaction() as session:
            rows = await session.execute(select(o.payload).where(o.aggregate_id == center_id).order_by(o.id))
            return [row.payload for row in rows]


@pytest.fixture
async def registry(run_service: Any, token: Callable[..., str]) -> AsyncIterator[Registry]:
    async with run_service("registry") as (app, client):
        yield Registry(app, client, token)
