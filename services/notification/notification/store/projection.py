"""Queries of the recipients projection (`centers`), kept from registry events."""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.tables import centers


async def apply_registry_event(session: AsyncSession, data: dict[str, Any]) -> dict[str, Any] | None:
    """Upsert the center from a registry event's data; an event whose sequence is not newer changes nothing.

    Returns the center as it now stands when the event was applied, None when it was stale.
    """
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
    result = await session.execute(_upsert(tuple(values)), values)
    row = result.first()
    return _center(row) if row is not None else None


@lru_cache(maxsize=64)
def _upsert(keys: tuple[str, ...]) -> Any:
    """The upsert of these columns, built once per set of columns an event carries."""
    statement = insert(centers)
    updates: dict[str, Any] = {key: statement.excluded[key] for key in keys if key != "center_id"}
    updates["updated_at"] = func.now()
    return statement.on_conflict_do_update(
        index_elements=[centers.c.center_id],
        set_=updates,
        where=centers.c.sequence < statement.excluded.sequence,
    ).returning(*centers.c)


async def get_center(session: AsyncSession, center_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(select(centers).where(centers.c.center_id == center_id))).first()
    return _center(row) if row is not None else None


def _center(row: Any) -> dict[str, Any]:
    center = dict(row._mapping)
    center["center_id"] = str(center["center_id"])
    center.pop("updated_at", None)
    return center
