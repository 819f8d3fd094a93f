"""The registry reacting to evaluation events: two consecutive failures delist, acceptance cancels or completes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tic_platform.testing import eventually, publish
from tic_shared.dated_acts import LOCAL_TIME
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import AcceptanceCompleted, EvaluationFailed


def failed(center_id: str, year: int, consecutive: int, delist_due: bool | None = None) -> CloudEvent:
    return CloudEvent.of(
        EvaluationFailed(
            evaluation_id=uuid.uuid4(),
            center_id=uuid.UUID(center_id),
            year=year,
            kind="annual",
            score=48.2,
            grade="unqualified",
            indicator_system="ningbo-tic-2022",
            consecutive_unqualified=consecutive,
            delist_due=delist_due if delist_due is not None else consecutive >= 2,
        )
    )


async def status_of(registry: Any, center_id: str) -> str:
    response = await registry.client.get(f"/api/v1/centers/{center_id}", headers=registry.admin)
    return str(response.json()["status"])


async def test_two_consecutive_unqualified_evaluations_delist_the_center(registry: Any, nats_url: str) -> None:
    center = await registry.to("building")
    first, second = failed(center["id"], 2025, 1), failed(center["id"], 2026, 2)
    await publish(nats_url, first)
    await asyncio.sleep(0.5)
    assert await status_of(registry, center["id"]) == "building"

    await publish(nats_url, second)
    await eventually(lambda: _is(registry, center["id"], "delisted"))
    delisted = (await registry.events_of(center["id"]))[-1]
    assert delisted["type"] == "tic.registry.CenterDelisted.v1"
    assert delisted["data"]["evidence"] == [first.data["evaluation_id"], second.data["evaluation_id"]]
    assert delisted["data"]["basis_years"] == [2025, 2026]
    assert "2025、2026" in delisted["data"]["reason"]
    assert delisted["data"]["effective_on"] == second.time.astimezone(LOCAL_TIME).date().isoformat()

    # The same event delivered again (a redelivery, a replay) has no second effect.
    await publish(nats_url, second, msg_id=f"{second.id}-again")
    await asyncio.sleep(1.0)
    history = (await registry.client.get(f"/api/v1/centers/{center['id']}/history", headers=registry.admin)).json()
    assert [h["action"] for h in history].count("delist") == 1
    assert history[-1]["actor"] == "system:evaluation"


async def test_delisting_follows_the_evaluation_rules_not_a_count_of_its_own(registry: Any, nats_url: str) -> None:
    # Two in a row for a tier the rules do not delist (e.g. a provincial TIC): the registry keeps it.
    center = await registry.to("building")
    await publish(nats_url, failed(center["id"], 2025, 1, delist_due=False))
    await publish(nats_url, failed(center["id"], 2026, 2, delist_due=False))
    await asyncio.sleep(1.0)
    assert await status_of(registry, center["id"]) == "building"


async def test_a_qualified_year_in_between_means_no_delisting(registry: Any, nats_url: str) -> None:
    center = await registry.to("building")
    await publish(nats_url, failed(center["id"], 2024, 1))
    await publish(nats_url, failed(center["id"], 2026, 1))  # 2025 was qualified: the count restarted
    await asyncio.sleep(1.0)
    assert await status_of(registry, center["id"]) == "building"


async def _is(registry: Any, center_id: str, status: str) -> bool:
    return await status_of(registry, center_id) == status


def acceptance(center_id: str, passed: bool) -> CloudEvent:
    return CloudEvent.of(
        AcceptanceCompleted(
            evaluation_id=uuid.uuid4(),
            center_id=uuid.UUID(center_id),
            passed=passed,
            reasons=[] if passed else ["5-year team target not met: 210 of 300"],
        )
    )


async def test_failed_acceptance_cancels_the_center(registry: Any, nats_url: str) -> None:
    center = await registry.to("building", approved_on=registry.today().replace(year=2024), construction_years=1)
    event = acceptance(center["id"], passed=False)
    await publish(nats_url, event)
    await eventually(lambda: _is(registry, center["id"], "cancelled"))
    cancelled = (await registry.events_of(center["id"]))[-1]
    assert cancelled["type"] == "tic.registry.CenterCancelled.v1"
    assert "210 of 300" in cancelled["data"]["reason"]
    assert cancelled["data"]["evidence"] == [str(event.data["evaluation_id"])]


async def test_passed_acceptance_moves_the_center_to_operating(registry: Any, nats_url: str) -> None:
    center = await registry.to("building", approved_on=registry.today().replace(year=2024), construction_years=1)
    await publish(nats_url, acceptance(center["id"], passed=True))
    await eventually(lambda: _is(registry, center["id"], "operating"))
    assert (await registry.events_of(center["id"]))[-1]["type"] == "tic.registry.CenterAccepted.v1"


async def test_an_event_about_a_center_that_cannot_take_it_changes_nothing(registry: Any, nats_url: str) -> None:
    center = await registry.to("draft")
    await publish(nats_url, acceptance(center["id"], passed=False))
    await asyncio.sleep(1.0)
    assert await status_of(registry, center["id"]) == "draft"
