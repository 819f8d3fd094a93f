"""Every query of the registry: centers, objections, history, code counters, evaluation failures seen."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, false, func, literal_column, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from registry.store.tables import HISTORY, LIVE, centers, code_counters, evaluation_failures, history, objections
from tic_shared import audit
from tic_shared.dated_acts import today

c = centers.c


@dataclass(frozen=True)
class Reach:
    """Which centers a caller may see: all, one district's, one center, or none."""

    everything: bool = False
    district: str | None = None
    center_id: uuid.UUID | None = None

    def clause(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        if self.district is not None:
            return c.district == self.district
        if self.center_id is not None:
            return c.id == self.center_id
        return false()


@dataclass(frozen=True)
class CenterFilter:
    status: Sequence[str] = ()
    tier: Sequence[str] = ()
    field: Sequence[str] = ()
    district: Sequence[str] = ()
    recommender: str | None = None
    lead_unit_credit_code: str | None = None
    text: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        for column, values in ((c.status, self.status), (c.tier, self.tier), (c.field, self.field)):
            if values:
                found.append(column.in_(list(values)))
        if self.district:
            found.append(c.district.in_(list(self.district)))
        if self.recommender:
            found.append(c.recommender == self.recommender)
        if self.lead_unit_credit_code:
            found.append(c.lead_unit_credit_code == self.lead_unit_credit_code)
        if self.text:
            wanted = self.text.lower()
            if len(wanted) >= 2:
                # The GIN index of the names' two-character pieces finds the few centers that can match.
                found.append(
                    literal_column("registry.centers.search_grams").op("@>")(
                        func.registry.bigrams(func.lower(self.text))
                    )
                )
            escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(c.search_text.like(f"%{escaped}%"))
        return found


async def insert_center(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(centers.insert().values(**values))


async def get_center(
    session: AsyncSession, center_id: uuid.UUID, reach: Reach, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(centers).where(c.id == center_id, reach.clause())
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def update_center(session: AsyncSession, center_id: uuid.UUID, values: dict[str, Any]) -> Row[Any]:
    result = await session.execute(
        update(centers)
        .where(c.id == center_id)
        .values(**values, version=c.version + 1, updated_at=func.now())
        .returning(centers)
    )
    return result.one()


async def list_centers(
    session: AsyncSession, reach: Reach, filters: CenterFilter, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> Sequence[Row[Any]]:
    query = (
        select(centers)
        .where(reach.clause(), *filters.clauses())
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(or_(c.created_at < after[0], and_(c.created_at == after[0], c.id < after[1])))
    return (await session.execute(query)).all()


async def count_centers(session: AsyncSession, reach: Reach, filters: CenterFilter, by: str) -> dict[str, int]:
    column = c[by]
    rows = await session.execute(
        select(column, func.count()).where(reach.clause(), *filters.clauses()).group_by(column)
    )
    return {str(key): int(count) for key, count in rows.all()}


async def deadline_candidates(session: AsyncSession, reach: Reach, until: date, limit: int) -> Sequence[Row[Any]]:
    """Active centers whose construction (and so legal-entity deadline) ends on or before `until`."""
    # Written as the partial index ix_centers_active_deadlines is, so that every plan (generic ones too) uses it.
    query = select(centers).where(
        reach.clause(),
        text(LIVE),
        c.construction_end.is_not(None),
        c.construction_end <= until,
    )
    return (await session.execute(query.order_by(c.construction_end, c.id).limit(limit))).all()


async def count_active_of_tier(session: AsyncSession, reach: Reach, tier: str, since: date | None) -> int:
    query = select(func.count()).where(reach.clause(), c.tier == tier, c.status.in_(["building", "operating"]))
    if since is not None:
        query = query.where(c.tier_since >= since)
    return int((await session.execute(query)).scalar_one())


async def next_code_seq(session: AsyncSession, jurisdiction: str, year: int) -> int:
    """The jurisdiction's next registry sequence number of `year`; the row lock serializes concurrent approvals.

    Each jurisdiction numbers its own centers (NB-TIC-2026-001 and WH-TIC-2026-001 can both exist).
    """
    result = await session.execute(
        insert(code_counters)
        .values(jurisdiction=jurisdiction, year=year, last_seq=1)
        .on_conflict_do_update(
            index_elements=[code_counters.c.jurisdiction, code_counters.c.year],
            set_={"last_seq": code_counters.c.last_seq + 1},
        )
        .returning(code_counters.c.last_seq)
    )
    return int(result.scalar_one())


async def add_history(session: AsyncSession, values: dict[str, Any]) -> None:
    """Append to the center's history chain; `on` (the act's day) is today's when the act carries none."""
    row = {
        "at": datetime.now(UTC),
        "on": today(),
        "from_state": None,
        "reason": None,
        "details": {},
        "event_ids": [],
        **values,
    }
    await audit.append(session, HISTORY, row)


async def last_history_with_action(
    session: AsyncSession, center_id: uuid.UUID, actions: Sequence[str]
) -> Row[Any] | None:
    """The latest history entry of the center whose action is one of `actions` (an outcome suffix ignored)."""
    base = func.split_part(history.c.action, ":", 1)
    query = (
        select(history)
        .where(history.c.center_id == center_id, base.in_(list(actions)))
        .order_by(history.c.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).first()


async def lock_name(session: AsyncSession, name: str) -> None:
    """Serialize the transactions that give or restore an official name, until they end."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"registry.name:{name}", 0))))


async def live_center_named(
    session: AsyncSession, *, name_zh: str, name_en: str, other_than: uuid.UUID
) -> Row[Any] | None:
    """A live center (building or operating) other than `other_than` that holds either name."""
    query = select(centers).where(
        text(LIVE), c.id != other_than, or_(c.official_name_zh == name_zh, c.official_name_en == name_en)
    )
    return (await session.execute(query.limit(1))).first()


async def list_history(session: AsyncSession, center_id: uuid.UUID) -> Sequence[Row[Any]]:
    query = select(history).where(history.c.center_id == center_id).order_by(history.c.id)
    return (await session.execute(query)).all()


async def add_objection(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(objections.insert().values(**values))


async def get_objection(session: AsyncSession, center_id: uuid.UUID, objection_id: uuid.UUID) -> Row[Any] | None:
    query = select(objections).where(objections.c.id == objection_id, objections.c.center_id == center_id)
    return (await session.execute(query.with_for_update())).first()


async def resolve_objection(session: AsyncSession, objection_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(objections).where(objections.c.id == objection_id).values(**values))


async def list_objections(session: AsyncSession, center_id: uuid.UUID) -> Sequence[Row[Any]]:
    query = select(objections).where(objections.c.center_id == center_id).order_by(objections.c.raised_on)
    return (await session.execute(query)).all()


async def open_objection_count(session: AsyncSession, center_id: uuid.UUID) -> int:
    query = select(func.count()).where(objections.c.center_id == center_id, objections.c.status == "open")
    return int((await session.execute(query)).scalar_one())


async def last_dismissal(session: AsyncSession, center_id: uuid.UUID) -> date | None:
    query = select(func.max(objections.c.resolved_on)).where(
        objections.c.center_id == center_id, objections.c.status == "dismissed"
    )
    value: date | None = (await session.execute(query)).scalar_one()
    return value


async def record_evaluation_failure(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(evaluation_failures).values(**values).on_conflict_do_nothing())


async def recent_failures(session: AsyncSession, center_id: uuid.UUID, count: int) -> Sequence[Row[Any]]:
    query = (
        select(evaluation_failures)
        .where(evaluation_failures.c.center_id == center_id)
        .order_by(evaluation_failures.c.year.desc())
        .limit(count)
    )
    return (await session.execute(query)).all()
