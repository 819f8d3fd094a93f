"""Every query of the registry: centers, objections, history, code counters, evaluation failures seen."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    Uuid,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from registry.store.records import (
    CenterRead,
    CenterRecord,
    CenterSummaryRecord,
    FailureRecord,
    HistoryRecord,
    ObjectionRecord,
)
from registry.store.tables import (
    ACTIVE,
    HISTORY,
    LIVE,
    center_tallies,
    centers,
    code_counters,
    evaluation_failures,
    history,
    objections,
)
from tic_shared import audit
from tic_shared.dated_acts import today
from tic_shared.db import Database, DriverQuery, bound, fetch_row_in
from tic_shared.reach import Reach

c = centers.c


SUMMARY = [c[name] for name in CenterSummaryRecord.__dataclass_fields__]


def in_reach(reach: Reach) -> ColumnElement[bool]:
    """A district officer's district, a center user's own center; experts and departments see no center here."""
    return reach.where(district=c.district, center_id=c.id)


@dataclass(frozen=True)
class CenterFilter:
    status: Sequence[str] = ()
    tier: Sequence[str] = ()
    field: Sequence[str] = ()
    district: Sequence[str] = ()
    recommender: str | None = None
    lead_unit_credit_code: str | None = None
    text: str | None = None

    def tallied(self) -> bool:
        """Whether only status, tier, field and district filter: what the tallies can count."""
        return not (self.recommender or self.lead_unit_credit_code or self.text)

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


# ---- centers ----


async def insert_center(session: AsyncSession, values: Mapping[str, Any]) -> CenterRecord:
    result = await session.execute(centers.insert().values(**values).returning(centers))
    return CenterRecord.of(result.one())


async def get_center(
    session: AsyncSession, *, reach: Reach, center_id: uuid.UUID, for_update: bool = False
) -> CenterRecord | None:
    """The center within `reach`, or None; `for_update` locks it until the transaction ends (every act does)."""
    if for_update:
        row = await fetch_row_in(session, _LOCK, _reach_values(reach, center_id))
        return None if row is None else CenterRecord.of_mapping(row)
    query = select(centers).where(c.id == center_id, in_reach(reach))
    return CenterRecord.first(await session.execute(query))


# The two busiest statements on one center, the read and the lock every act takes, are compiled once for every kind
# of reach (its values are parameters, NULL where the caller has no such reach) and run on the driver.
_REACHED = (
    c.id == bindparam("center_id", type_=Uuid),
    or_(
        bindparam("everything", type_=Boolean),
        c.district == bindparam("district", type_=String),
        c.id == bindparam("own_center", type_=Uuid),
    ),
)
_OPEN_OBJECTIONS = (
    select(func.count())
    .where(objections.c.center_id == c.id, objections.c.status == "open")
    .scalar_subquery()
    .label("open_objections")
)
_READ = DriverQuery(select(centers, _OPEN_OBJECTIONS).where(*_REACHED))
_LOCK = DriverQuery(select(centers).where(*_REACHED).with_for_update())


def _reach_values(reach: Reach, center_id: uuid.UUID) -> dict[str, Any]:
    return {
        "center_id": center_id,
        "everything": reach.everything,
        "district": reach.district,
        "own_center": reach.center_id,
    }


async def read_center(db: Database, *, reach: Reach, center_id: uuid.UUID) -> CenterRead | None:
    """A center and its open objections, in one statement (a district officer's or a center user's reach; experts
    and departments see no center here), without a session around it."""
    row = await db.fetch_row(_READ, _reach_values(reach, center_id))
    return None if row is None else CenterRead.of_mapping(row)


async def open_objection_count(session: AsyncSession, *, center_id: uuid.UUID) -> int:
    query = select(func.count()).where(objections.c.center_id == center_id, objections.c.status == "open")
    return int((await session.execute(query)).scalar_one())


async def update_center(session: AsyncSession, *, center_id: uuid.UUID, values: Mapping[str, Any]) -> CenterRecord:
    """The act's columns written, the version moved on; the center as it now is. On the driver, every act's."""
    row = await fetch_row_in(session, _updating(tuple(sorted(values))), {**values, "updated_center": center_id})
    assert row is not None  # the act holds the center's lock: it is there
    return CenterRecord.of_mapping(row)


@cache
def _updating(names: tuple[str, ...]) -> DriverQuery:
    """The update of the columns `names`, built once for each such set (an act writes the same ones each time)."""
    return DriverQuery(
        update(centers)
        .where(c.id == bindparam("updated_center", type_=Uuid))
        .values(
            {
                **bound(centers, names),
                "version": c.version + 1,
                "updated_at": func.now(),
            }
        )
        .returning(centers)
    )


async def list_centers(
    session: AsyncSession,
    *,
    reach: Reach,
    filters: CenterFilter,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[CenterSummaryRecord]:
    query = (
        select(*SUMMARY)
        .where(in_reach(reach), *filters.clauses())
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(or_(c.created_at < after[0], and_(c.created_at == after[0], c.id < after[1])))
    return CenterSummaryRecord.all(await session.execute(query))


async def count_centers(session: AsyncSession, *, reach: Reach, filters: CenterFilter, by: str) -> dict[str, int]:
    """Centers by `by` (status, tier, field or district). Filtered by those four only, within everything or one
    district, the tallies answer; any other filter or reach counts the centers themselves."""
    if filters.tallied() and reach.center_id is None and (reach.everything or reach.district is not None):
        t = center_tallies.c
        clauses = [t.district == reach.district] if reach.district is not None and not reach.everything else []
        for column, values in ((t.status, filters.status), (t.tier, filters.tier), (t.field, filters.field)):
            if values:
                clauses.append(column.in_(list(values)))
        if filters.district:
            clauses.append(t.district.in_(list(filters.district)))
        total = func.sum(t.n)
        query = select(t[by], total).where(*clauses).group_by(t[by]).having(total > 0)
    else:
        query = select(c[by], func.count()).where(in_reach(reach), *filters.clauses()).group_by(c[by])
    return {str(key): int(count) for key, count in (await session.execute(query)).all()}


async def deadline_candidates(
    session: AsyncSession, *, reach: Reach, until: date, limit: int
) -> list[CenterSummaryRecord]:
    """Active centers whose construction (and so legal-entity deadline) ends on or before `until`."""
    # Written as the partial index ix_centers_active_deadlines is, so that every plan (generic ones too) uses it.
    # The page's ids first, walking that index in order (index-only, `limit` entries), then their rows: asked for
    # the rows at once, the planner fetched every center in the window (600 scattered pages over 100,000
    # centers) to sort them for a page of 50.
    page = (
        select(c.id)
        .where(in_reach(reach), text(LIVE), c.construction_end.is_not(None), c.construction_end <= until)
        .order_by(c.construction_end, c.id)
        .limit(limit)
        .subquery("page")
    )
    query = select(*SUMMARY).join(page, page.c.id == c.id).order_by(c.construction_end, c.id)
    return CenterSummaryRecord.all(await session.execute(query))


async def count_active_by_tier(
    session: AsyncSession, *, reach: Reach, since: Mapping[str, date | None]
) -> dict[str, int]:
    """How many active centers each tier has: all of them (no day given: the tallies count them when the reach
    allows) or those of the tier since the day given (the index of active centers by tier and day finds them)."""
    found = dict.fromkeys(since, 0)
    totals = [tier for tier, day in since.items() if day is None]
    recent = {tier: day for tier, day in since.items() if day is not None}
    if totals:
        found |= await count_centers(session, reach=reach, filters=CenterFilter(status=ACTIVE, tier=totals), by="tier")
    if recent:
        # Written as the partial index ix_centers_active_tier_since is, so that the plan reads only those rows.
        kinds = [and_(c.tier == tier, c.tier_since >= day) for tier, day in recent.items()]
        query = select(c.tier, func.count()).where(in_reach(reach), c.status.in_(ACTIVE), or_(*kinds)).group_by(c.tier)
        found |= {str(tier): int(count) for tier, count in (await session.execute(query)).all()}
    return {tier: found.get(tier, 0) for tier in since}


async def next_code_seq(session: AsyncSession, *, jurisdiction: str, year: int) -> int:
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


async def lock_name(session: AsyncSession, *, name: str) -> None:
    """Serialize the transactions that give or restore an official name, until they end."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"registry.name:{name}", 0))))


async def live_center_named(
    session: AsyncSession, *, name_zh: str, name_en: str, other_than: uuid.UUID
) -> CenterRecord | None:
    """A live center (building or operating) other than `other_than` that holds either name."""
    query = select(centers).where(
        text(LIVE), c.id != other_than, or_(c.official_name_zh == name_zh, c.official_name_en == name_en)
    )
    return CenterRecord.first(await session.execute(query.limit(1)))


# ---- history ----


async def add_history(session: AsyncSession, values: Mapping[str, Any]) -> None:
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
    session: AsyncSession, *, center_id: uuid.UUID, actions: Sequence[str]
) -> HistoryRecord | None:
    """The latest history entry of the center whose action is one of `actions` (an outcome suffix ignored)."""
    base = func.split_part(history.c.action, ":", 1)
    query = (
        select(history)
        .where(history.c.center_id == center_id, base.in_(list(actions)))
        .order_by(history.c.id.desc())
        .limit(1)
    )
    return HistoryRecord.first(await session.execute(query))


async def list_history(session: AsyncSession, *, center_id: uuid.UUID) -> list[HistoryRecord]:
    query = select(history).where(history.c.center_id == center_id).order_by(history.c.id)
    return HistoryRecord.all(await session.execute(query))


# ---- objections ----


async def add_objection(session: AsyncSession, values: Mapping[str, Any]) -> ObjectionRecord:
    result = await session.execute(objections.insert().values(**values).returning(objections))
    return ObjectionRecord.of(result.one())


async def get_objection(
    session: AsyncSession, *, center_id: uuid.UUID, objection_id: uuid.UUID
) -> ObjectionRecord | None:
    query = select(objections).where(objections.c.id == objection_id, objections.c.center_id == center_id)
    return ObjectionRecord.first(await session.execute(query.with_for_update()))


async def resolve_objection(session: AsyncSession, *, objection_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(update(objections).where(objections.c.id == objection_id).values(**values))


async def list_objections(session: AsyncSession, *, center_id: uuid.UUID) -> list[ObjectionRecord]:
    query = select(objections).where(objections.c.center_id == center_id).order_by(objections.c.raised_on)
    return ObjectionRecord.all(await session.execute(query))


async def last_dismissal(session: AsyncSession, *, center_id: uuid.UUID) -> date | None:
    query = select(func.max(objections.c.resolved_on)).where(
        objections.c.center_id == center_id, objections.c.status == "dismissed"
    )
    value: date | None = (await session.execute(query)).scalar_one()
    return value


# ---- what evaluation reported ----


async def record_evaluation_failure(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(evaluation_failures).values(**values).on_conflict_do_nothing())


async def recent_failures(session: AsyncSession, *, center_id: uuid.UUID, count: int) -> list[FailureRecord]:
    query = (
        select(evaluation_failures)
        .where(evaluation_failures.c.center_id == center_id)
        .order_by(evaluation_failures.c.year.desc())
        .limit(count)
    )
    return FailureRecord.all(await session.execute(query))
