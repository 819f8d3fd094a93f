"""The centers as funding knows them: projected from registry events, with their grades, within each caller's reach."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.grants import ENDED_STATUSES
from funding.service.policies import rules
from funding.store import centers, grades
from funding.store.records import CenterRecord
from tic_shared.auth import Principal
from tic_shared.events.catalog import RegistryEvent
from tic_shared.problems import NotFound
from tic_shared.reach import Reach


async def center_in_reach(
    session: AsyncSession, *, principal: Principal, center_id: uuid.UUID, lock: bool = False
) -> CenterRecord:
    """The center, or a 404 for one the caller may not see as for one there is not."""
    center = await centers.get_center(session, center_id=center_id, lock=lock)
    if center is None or not Reach.of(principal).admits(district=center.district, center_id=center.center_id):
        raise NotFound("center", center_id)
    return center


async def list_centers(
    session: AsyncSession,
    *,
    principal: Principal,
    district: str | None,
    jurisdiction: str | None,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[CenterRecord]:
    return await centers.list_centers(
        session,
        reach=Reach.of(principal),
        district=district,
        jurisdiction=jurisdiction,
        status=status,
        after=after,
        limit=limit,
    )


# ---- projections (consumers) ----


def _center_values(data: RegistryEvent, **facts: Any) -> dict[str, Any]:
    return {
        "center_id": data.center_id,
        "code": data.code,
        "tier": str(data.tier),
        "status": str(data.status),
        "district": data.district,
        "jurisdiction": rules().jurisdictions.of_district(data.district),
        "sequence": data.sequence,
        **facts,
    }


async def project_center(session: AsyncSession, *, data: RegistryEvent) -> CenterRecord | None:
    """Apply a registry event to the projection; the center as it now is, or None for a stale event.

    A stale event still gives the facts it alone carries (see `store.centers.upsert_center`).
    """
    center, newest = await centers.upsert_center(session, values=_center_values(data))
    return center if newest else None


async def project_approval(
    session: AsyncSession, *, data: RegistryEvent, name_zh: str, lead_unit_type: str, approved_on: date
) -> CenterRecord | None:
    """CenterApproved, in whatever order it arrives: its facts are kept, and the center is funded from it unless
    a later event has already ended the center. None when there is nothing to open."""
    values = _center_values(data, name_zh=name_zh, lead_unit_type=lead_unit_type, approved_on=approved_on)
    center, _ = await centers.upsert_center(session, values=values)
    if center.status in ENDED_STATUSES:
        return None
    return center


async def record_grade(
    session: AsyncSession,
    *,
    center_id: uuid.UUID,
    year: int,
    kind: str,
    grade: str,
    evaluation_id: uuid.UUID,
    revision: int,
) -> None:
    """An evaluation's result, kept per center, year and kind; a later revision supersedes an earlier one."""
    await grades.upsert_grade(
        session,
        values={
            "center_id": center_id,
            "year": year,
            "kind": kind,
            "grade": grade,
            "evaluation_id": evaluation_id,
            "revision": revision,
        },
    )
