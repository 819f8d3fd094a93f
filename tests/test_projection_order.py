"""Every projection of the registry's centers ends the same whatever order two events arrive in.

For each pair of a center's registry events (submitted, reviewed, noticed, approved, tier changed, delisted,
reinstated), the evaluation, funding and notification projections are fed the pair in order and in reverse, each
for a center of its own; the two rows must be equal. A late event still gives the facts it alone carries, and a
later event never erases a fact it does not carry.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    CenterApproved,
    CenterDelisted,
    CenterPublicNoticeStarted,
    CenterReinstated,
    CenterReviewCompleted,
    CenterSubmitted,
    CenterTierChanged,
    Contact,
    LeadUnit,
    RegistryEvent,
)
from tic_shared.vocabulary import CenterStatus, Field, LeadUnitType, Origin, Tier

S = CenterStatus
LEAD = LeadUnit(name="宁波示例材料有限公司", credit_code="91330200MA2GQ3XK4B", type=LeadUnitType.ENTERPRISE)
CONTACT = [Contact(name="王敏", email="wangmin@example.cn", role="联系人")]


def life(center_id: uuid.UUID) -> list[RegistryEvent]:
    """A center's registry events, in sequence order."""
    base = {"center_id": center_id, "district": "yinzhou"}
    applied = {"name_zh": "宁波市先进材料技术创新中心（申报）", "name_en": "Advanced Materials (application)"}
    official = {
        "name_zh": "宁波市先进材料技术创新中心",
        "name_en": "Ningbo Municipal Innovation Center of Advanced Materials",
    }
    code = "NB-TIC-2025-001"
    approved_on = dt.date(2025, 3, 1)
    return [
        CenterSubmitted(
            **base,
            **applied,
            tier=Tier.MUNICIPAL_TIC,
            status=S.SUBMITTED,
            sequence=1,
            field=Field.NEW_MATERIALS,
            origin=Origin.RECOMMENDED,
            recommender="鄞州区人民政府",
            lead_unit=LEAD,
            contacts=CONTACT,
        ),
        CenterReviewCompleted(**base, **applied, tier=Tier.MUNICIPAL_TIC, status=S.REVIEWED, sequence=2, passed=True),
        CenterPublicNoticeStarted(
            **base,
            **applied,
            tier=Tier.MUNICIPAL_TIC,
            status=S.PUBLIC_NOTICE,
            sequence=3,
            notice_starts_on=dt.date(2025, 2, 1),
            notice_ends_on=dt.date(2025, 2, 8),
        ),
        CenterApproved(
            **base,
            **official,
            code=code,
            tier=Tier.MUNICIPAL_TIC,
            status=S.BUILDING,
            sequence=4,
            field=Field.NEW_MATERIALS,
            lead_unit=LEAD,
            contacts=CONTACT,
            recommender="鄞州区人民政府",
            document_no="甬政发〔2025〕7号",
            approved_on=approved_on,
            construction_start=approved_on,
            construction_end=dt.date(2030, 3, 1),
            targets={"year_2": {"team": 100}},
        ),
        CenterTierChanged(
            **base,
            **official,
            code=code,
            tier=Tier.PROVINCIAL_TIC,
            status=S.BUILDING,
            sequence=5,
            from_tier=Tier.MUNICIPAL_TIC,
            to_tier=Tier.PROVINCIAL_TIC,
            document_no="浙科发〔2026〕3号",
            changed_on=dt.date(2026, 1, 5),
        ),
        CenterDelisted(
            **base,
            **official,
            code=code,
            tier=Tier.PROVINCIAL_TIC,
            status=S.DELISTED,
            sequence=6,
            reason="弄虚作假",
            effective_on=dt.date(2026, 5, 1),
            document_no="甬科发〔2026〕9号",
        ),
        CenterReinstated(
            **base,
            **official,
            code=code,
            tier=Tier.PROVINCIAL_TIC,
            status=S.BUILDING,
            sequence=7,
            reverses="CenterDelisted",
            document_no="甬科发〔2026〕12号",
            decided_on=dt.date(2026, 6, 1),
            reason="复核更正",
        ),
    ]


PAIRS = list(itertools.combinations(range(7), 2))
IGNORED = {"center_id", "updated_at", "jurisdiction_checked_at"}


async def _row(app: Any, table: Any, center_id: uuid.UUID) -> dict[str, Any] | None:
    """The projected center, None while the service has taken in no event of it (funding ignores some)."""
    async with app.state.db.transaction() as session:
        row = (await session.execute(select(table).where(table.c.center_id == center_id))).first()
    return None if row is None else {k: v for k, v in row._mapping.items() if k not in IGNORED}


async def _feed_evaluation(app: Any, events: list[RegistryEvent]) -> None:
    from evaluation.service.centers import apply_registry_event

    for data in events:
        async with app.state.db.transaction() as session:
            await apply_registry_event(session, data=data)


async def _feed_funding(app: Any, events: list[RegistryEvent]) -> None:
    from funding.consumers import handlers

    for data in events:
        handler = handlers.handler_for(type(data).ce_type())
        if handler is None:  # an event funding does not consume leaves its projection as it is
            continue
        async with app.state.db.transaction() as session:
            await handler(session, CloudEvent.of(data, subject=str(data.center_id)))


async def _feed_notification(app: Any, events: list[RegistryEvent]) -> None:
    from notification.store.projection import apply_registry_events

    for data in events:
        async with app.state.db.transaction() as session:
            await apply_registry_events(session, [data.model_dump(mode="json")])


def _tables() -> dict[str, Any]:
    from evaluation.store.tables import centers as evaluation_centers
    from funding.store.tables import centers as funding_centers
    from notification.store.tables import centers as notification_centers

    return {"evaluation": evaluation_centers, "funding": funding_centers, "notification": notification_centers}


FEEDERS: dict[str, Callable[..., Any]] = {
    "evaluation": _feed_evaluation,
    "funding": _feed_funding,
    "notification": _feed_notification,
}


@pytest.mark.parametrize("service", list(FEEDERS))
async def test_every_pair_of_registry_events_projects_the_same_in_either_order(run_service: Any, service: str) -> None:
    table = _tables()[service]
    async with run_service(service) as (app, _):
        for first, second in PAIRS:
            in_order, reversed_ = uuid.uuid4(), uuid.uuid4()
            events_a, events_b = life(in_order), life(reversed_)
            await FEEDERS[service](app, [events_a[first], events_a[second]])
            await FEEDERS[service](app, [events_b[second], events_b[first]])
            expected, found = await _row(app, table, in_order), await _row(app, table, reversed_)
            assert found == expected, (service, type(events_a[first]).__name__, type(events_a[second]).__name__)


async def test_a_late_approval_still_gives_the_lead_unit_and_contacts_to_notification(run_service: Any) -> None:
    center_id = uuid.uuid4()
    events = life(center_id)
    async with run_service("notification") as (app, _):
        await _feed_notification(app, [events[4], events[3]])  # the tier change overtook the approval
        row = await _row(app, _tables()["notification"], center_id)
    assert row is not None
    assert row["tier"] == "provincial_tic" and row["sequence"] == 5
    assert row["lead_unit"]["name"] == LEAD.name and row["contacts"][0]["email"] == "wangmin@example.cn"
    assert row["name_zh"] == "宁波市先进材料技术创新中心"


async def test_a_batch_applied_at_once_gives_each_event_the_center_that_applying_it_alone_would(
    run_service: Any,
) -> None:
    """A consumer's batch is applied to the projection before any event of it is fanned out, in rounds and shapes
    (`tic_shared.projection.apply_many`): the rows it ends with, and the center each event is told about, are those
    of the same events applied one at a time. The batch mixes centers, repeats one of them out of order (a late
    event among newer ones) and gives events of different shapes (with and without names, contacts, a code), two of one
    shape side by side (the two submissions, with their contacts and lead units)."""
    from notification.store import projection
    from notification.store.tables import centers

    one_by_one, at_once = [uuid.uuid4() for _ in range(3)], [uuid.uuid4() for _ in range(3)]

    def batch(ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        a, b, c = life(ids[0]), life(ids[1]), life(ids[2])
        order = [a[0], b[0], a[4], c[6], a[3], b[3], a[1], c[5], a[6], b[4]]
        return [event.model_dump(mode="json") for event in order]

    def plain(center: Any) -> dict[str, Any]:
        return {k: v for k, v in center.fields().items() if k != "center_id"}

    async with run_service("notification") as (app, _):
        told_alone = []
        for data in batch(one_by_one):
            async with app.state.db.transaction() as session:
                await projection.apply_registry_events(session, [data])
                told_alone.append(plain(await projection.get_center(session, uuid.UUID(data["center_id"]))))
        async with app.state.db.transaction() as session:
            told_at_once = [plain(center) for center in await projection.apply_registry_events(session, batch(at_once))]
        rows_alone = [await _row(app, centers, center_id) for center_id in one_by_one]
        rows_at_once = [await _row(app, centers, center_id) for center_id in at_once]
    assert told_at_once == told_alone
    assert rows_at_once == rows_alone
    # The approval (sequence 4), after the tier change (5), is told the center as the tier change left it.
    assert told_at_once[4]["sequence"] == 5 and told_at_once[4]["tier"] == "provincial_tic"
