"""Helpers of the funding integration tests: registry and evaluation events published by hand."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tic_platform.testing import bearer, eventually, publish
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    CenterApproved,
    CenterCancelled,
    CenterDelisted,
    CenterReinstated,
    CenterTierChanged,
    EvaluationCompleted,
    LeadUnit,
    RegistryEvent,
)
from tic_shared.vocabulary import CenterStatus, EvaluationKind, Field, Grade, LeadUnitType, Tier


def _registry(
    model: type[RegistryEvent],
    center_id: uuid.UUID,
    *,
    status: CenterStatus,
    district: str,
    sequence: int,
    tier: Tier = Tier.MUNICIPAL_TIC,
    **facts: Any,
) -> CloudEvent:
    """A registry event about one center: its state as the event leaves it, and the facts of the event."""
    data = model(center_id=center_id, tier=tier, status=status, district=district, sequence=sequence, **facts)
    return CloudEvent.of(data, subject=str(center_id))


def approved(
    center_id: uuid.UUID,
    *,
    district: str = "yinzhou",
    tier: Tier = Tier.MUNICIPAL_TIC,
    lead: LeadUnitType = LeadUnitType.ENTERPRISE,
    sequence: int = 5,
    approved_on: dt.date = dt.date(2026, 3, 1),
) -> CloudEvent:
    return _registry(
        CenterApproved,
        center_id,
        status=CenterStatus.BUILDING,
        district=district,
        sequence=sequence,
        tier=tier,
        code=f"NB-TIC-{center_id.hex[:6]}",
        name_zh="测试技术创新中心",
        name_en="Test TIC",
        field=Field.NEW_MATERIALS,
        lead_unit=LeadUnit(name="测试有限公司", credit_code="91330200MA2GQ3XK4C", type=lead),
        document_no="甬政发〔2026〕12号",
        approved_on=approved_on,
        construction_start=approved_on,
        construction_end=approved_on.replace(year=approved_on.year + 5),
    )


def delisted(center_id: uuid.UUID, *, district: str = "yinzhou", sequence: int = 9) -> CloudEvent:
    reason, on = "two unqualified annual evaluations in a row", dt.date(2027, 6, 1)
    where = {"district": district, "sequence": sequence}
    return _registry(CenterDelisted, center_id, status=CenterStatus.DELISTED, reason=reason, effective_on=on, **where)


def reinstated(center_id: uuid.UUID, *, district: str = "yinzhou", sequence: int = 10) -> CloudEvent:
    decision = {"document_no": "甬科发〔2026〕42号", "decided_on": dt.date(2026, 11, 1), "reason": "评价结果更正"}
    where = {"district": district, "sequence": sequence}
    return _registry(
        CenterReinstated, center_id, status=CenterStatus.BUILDING, reverses="CenterDelisted", **decision, **where
    )


def cancelled(center_id: uuid.UUID, *, district: str = "yinzhou", sequence: int = 9) -> CloudEvent:
    reason, on = "acceptance failed: construction tasks not completed", dt.date(2031, 3, 2)
    where = {"district": district, "sequence": sequence}
    return _registry(CenterCancelled, center_id, status=CenterStatus.CANCELLED, reason=reason, effective_on=on, **where)


def tier_changed(
    center_id: uuid.UUID, to: Tier, *, district: str = "yinzhou", sequence: int = 6, frm: Tier = Tier.MUNICIPAL_TIC
) -> CloudEvent:
    change = {"from_tier": frm, "to_tier": to, "document_no": "文号", "changed_on": dt.date(2026, 9, 1)}
    where = {"district": district, "sequence": sequence}
    return _registry(CenterTierChanged, center_id, status=CenterStatus.BUILDING, tier=to, **change, **where)


def graded(
    center_id: uuid.UUID,
    grade: Grade,
    year: int = 2026,
    *,
    revision: int = 1,
    evaluation_id: uuid.UUID | None = None,
) -> CloudEvent:
    data = EvaluationCompleted(
        evaluation_id=evaluation_id or uuid.uuid4(),
        center_id=center_id,
        year=year,
        kind=EvaluationKind.ANNUAL,
        score=80.0,
        grade=grade,
        indicator_system="ningbo-tic-2022",
        revision=revision,
    )
    return CloudEvent.of(data, subject=str(center_id))


async def grants_of(client: Any, headers: dict[str, str], center_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/grants", params={"center_id": str(center_id)}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def opened(client: Any, headers: dict[str, str], center_id: uuid.UUID, count: int = 1) -> list[dict[str, Any]]:
    """The center's grants once there are `count` of them (the events that open them are asynchronous)."""

    async def enough() -> list[dict[str, Any]] | None:
        found = await grants_of(client, headers, center_id)
        return found if len(found) >= count else None

    found: list[dict[str, Any]] = await eventually(enough)
    return found


class Events:
    """Registry and evaluation events as their producers would publish them, and the grants they open."""

    approved = staticmethod(approved)
    delisted = staticmethod(delisted)
    cancelled = staticmethod(cancelled)
    reinstated = staticmethod(reinstated)
    tier_changed = staticmethod(tier_changed)
    graded = staticmethod(graded)
    grants_of = staticmethod(grants_of)
    opened = staticmethod(opened)


@pytest.fixture
def ev() -> type[Events]:
    return Events


@pytest.fixture
def publish_event(nats_url: str, make_settings: Callable[..., Any]) -> Callable[..., Any]:
    settings = make_settings("funding")

    async def send(event: CloudEvent, msg_id: str | None = None) -> None:
        await publish(nats_url, event, msg_id, settings)

    return send


@pytest.fixture
def approve(publish_event: Callable[..., Any], admin: dict[str, str]) -> Callable[..., Any]:
    """Approve a new center (CenterApproved, as the registry publishes it); its id and the grants that opens."""

    async def approve_new(client: Any, **event: Any) -> tuple[uuid.UUID, list[dict[str, Any]]]:
        center_id = uuid.uuid4()
        await publish_event(approved(center_id, **event))
        return center_id, await opened(client, admin, center_id)

    return approve_new


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(subject=f"admin-{uuid.uuid4().hex[:6]}", roles=["bureau_admin"]))
