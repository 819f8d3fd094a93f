"""Queries of the recipients projection (`centers`), kept from registry events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.records import ProjectedCenter
from notification.store.tables import centers
from tic_shared import projection

STATE = frozenset({"code", "tier", "status", "district", "sequence"})


async def apply_registry_events(session: AsyncSession, batch: list[dict[str, Any]]) -> list[ProjectedCenter]:
    """Registry events applied to the recipients projection in their order, whatever order they arrived in, in as
    few statements as the batch allows (`tic_shared.projection.apply_many`); each center as it stood once its event
    was applied, newest or not.

    The state (status, tier, …) follows the newest event; the names, the lead unit, the recommender and the contacts
    are kept from whichever event carries them (`tic_shared.projection`): a late event still gives its facts."""
    rows = await projection.apply_many(
        session, centers, [_values(data) for data in batch], key="center_id", state=STATE
    )
    return [ProjectedCenter.of_mapping(row) for row in rows]


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "center_id": uuid.UUID(str(data["center_id"])),
        "sequence": data["sequence"],
        "code": data.get("code"),
        "tier": data["tier"],
        "status": data["status"],
        "district": data["district"],
    }
    for key in ("name_zh", "name_en", "recommender", "lead_unit"):
        if data.get(key) is not None:
            values[key] = data[key]
    if data.get("contacts"):
        values["contacts"] = data["contacts"]
    if "contacts" in data:
        values["contacts_known"] = True
    return values


async def get_center(session: AsyncSession, center_id: uuid.UUID) -> ProjectedCenter | None:
    return ProjectedCenter.first(await session.execute(select(centers).where(centers.c.center_id == center_id)))
