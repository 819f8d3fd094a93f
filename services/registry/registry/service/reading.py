"""Reading the registry within the caller's reach: one center, its history and objections, lists, counts, the
deadlines coming up and the program targets against the live counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain.policy import ProgramTarget, program_targets, targets_for
from registry.service.acts import load
from registry.store import centers as store
from registry.store.centers import CenterFilter
from registry.store.records import CenterRead, CenterRecord, CenterSummaryRecord, HistoryRecord, ObjectionRecord
from tic_shared.auth import Principal
from tic_shared.db import Database
from tic_shared.problems import NotFound
from tic_shared.reach import Reach


async def get_center(db: Database, *, principal: Principal, center_id: uuid.UUID) -> CenterRead:
    """The center with its open objections, in one statement, or 404 when it is out of reach."""
    found = await store.read_center(db, reach=Reach.of(principal), center_id=center_id)
    if found is None:
        raise NotFound("center", center_id)
    return found


async def as_read(session: AsyncSession, center: CenterRecord) -> CenterRead:
    """A center just written, as a read answers it."""
    count = await store.open_objection_count(session, center_id=center.id)
    return CenterRead(
        **{name: getattr(center, name) for name in CenterRecord.__dataclass_fields__}, open_objections=count
    )


async def history(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> list[HistoryRecord]:
    await load(session, principal=principal, center_id=center_id, for_update=False)
    return await store.list_history(session, center_id=center_id)


async def objections(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> list[ObjectionRecord]:
    await load(session, principal=principal, center_id=center_id, for_update=False)
    return await store.list_objections(session, center_id=center_id)


async def list_centers(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: CenterFilter,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[CenterSummaryRecord]:
    """Newest first; one more than `limit` when there is a next page."""
    return await store.list_centers(session, reach=Reach.of(principal), filters=filters, limit=limit, after=after)


async def count_centers(
    session: AsyncSession, *, principal: Principal, filters: CenterFilter, by: str
) -> dict[str, int]:
    return await store.count_centers(session, reach=Reach.of(principal), filters=filters, by=by)


@dataclass(frozen=True, slots=True)
class Deadline:
    center: CenterSummaryRecord
    kind: Literal["legal_entity", "construction_end"]
    deadline: date
    days_left: int

    @property
    def passed(self) -> bool:
        return self.days_left < 0


async def deadlines(
    session: AsyncSession, *, principal: Principal, day: date, within_days: int, limit: int
) -> list[Deadline]:
    """The active centers whose construction ends within `within_days` of `day` (or has ended), soonest first.
    One not yet an independent legal person must be one by the same day (001 §4): that deadline comes first."""
    found = await store.deadline_candidates(
        session, reach=Reach.of(principal), until=day + timedelta(days=within_days), limit=limit
    )
    deadlines: list[Deadline] = []
    for center in found:
        assert center.construction_end is not None
        days_left = (center.construction_end - day).days
        kinds: tuple[Literal["legal_entity", "construction_end"], ...] = (
            ("construction_end",) if center.independent_legal_person else ("legal_entity", "construction_end")
        )
        deadlines.extend(Deadline(center, kind, center.construction_end, days_left) for kind in kinds)
    return deadlines


@dataclass(frozen=True, slots=True)
class TargetProgress:
    target: ProgramTarget
    live_count: int

    @property
    def remaining(self) -> int:
        return max(0, self.target.count - self.live_count)


@dataclass(frozen=True, slots=True)
class ProgramProgress:
    counted_in: str
    targets: list[TargetProgress]


async def program_progress(
    session: AsyncSession, *, principal: Principal, jurisdiction: str, year: int
) -> ProgramProgress:
    """A jurisdiction's targets for a year against the live counts within the caller's reach, counted at once."""
    found = targets_for(jurisdiction, year)
    if not found:
        known = sorted({(t.jurisdiction, t.year) for t in program_targets()})
        raise NotFound("program targets", f"{jurisdiction}/{year} (known: {', '.join(f'{j}/{y}' for j, y in known)})")
    reach = Reach.of(principal)
    since = {tier.value: target.counted_from if target.measure == "new" else None for tier, target in found.items()}
    live = await store.count_active_by_tier(session, reach=reach, since=since)
    counted_in = "registry" if reach.everything else f"district:{reach.district}" if reach.district else "own center"
    return ProgramProgress(
        counted_in=counted_in,
        targets=[TargetProgress(target, live[tier.value]) for tier, target in found.items()],
    )
