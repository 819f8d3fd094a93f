"""Queries of the plans: reported figures and their revisions, the decisions' chain, judged statuses, and the
counts of centers the derived indicators are made of (from this service's own projection of the registry)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store.records import PlanReportRecord
from evaluation.store.tables import PLAN_HISTORY, centers, plan_alerts, plan_reports
from tic_shared.audit import append

r = plan_reports.c


async def reports_of(
    session: AsyncSession, *, plan: str, indicators: Iterable[str] | None = None
) -> list[PlanReportRecord]:
    """Every report of `plan` (of some indicators only, when given), oldest first."""
    query = select(plan_reports).where(r.plan == plan)
    if indicators is not None:
        query = query.where(r.indicator.in_(list(indicators)))
    rows = (await session.execute(query.order_by(r.indicator, r.year, r.revision))).all()
    return [PlanReportRecord.of(row) for row in rows]


async def report(session: AsyncSession, *, report_id: uuid.UUID, for_update: bool = False) -> PlanReportRecord | None:
    query = select(plan_reports).where(r.id == report_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return None if row is None else PlanReportRecord.of(row)


async def latest_of_year(session: AsyncSession, *, plan: str, indicator: str, year: int) -> PlanReportRecord | None:
    """The newest revision of an indicator's year. Reports of one year are numbered one at a time: a transaction-
    scoped advisory lock on the year serializes them, even when there is no row yet to lock."""
    key = f"plan_reports:{plan}/{indicator}/{year}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    query = (
        select(plan_reports)
        .where(r.plan == plan, r.indicator == indicator, r.year == year)
        .order_by(r.revision.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return None if row is None else PlanReportRecord.of(row)


async def has_accepted(session: AsyncSession, *, plan: str, indicator: str, year: int) -> bool:
    """Whether a figure of the year was ever accepted (a later figure is then a correction, with its reason)."""
    found = await session.execute(
        select(func.count()).where(
            r.plan == plan, r.indicator == indicator, r.year == year, r.status.in_(["accepted", "superseded"])
        )
    )
    return int(found.scalar_one()) > 0


async def insert_report(session: AsyncSession, *, values: dict[str, Any]) -> PlanReportRecord:
    inserted = await session.execute(plan_reports.insert().values(**values).returning(plan_reports))
    return PlanReportRecord.of(inserted.one())


async def set_status(session: AsyncSession, *, report_id: uuid.UUID, **values: Any) -> PlanReportRecord:
    query = plan_reports.update().where(r.id == report_id).values(**values, version=r.version + 1)
    return PlanReportRecord.of((await session.execute(query.returning(plan_reports))).one())


async def supersede_accepted(session: AsyncSession, *, plan: str, indicator: str, year: int, keep: uuid.UUID) -> None:
    """An accepted correction replaces the year's earlier accepted figure, which stays in the history."""
    await session.execute(
        plan_reports.update()
        .where(r.plan == plan, r.indicator == indicator, r.year == year, r.status == "accepted", r.id != keep)
        .values(status="superseded", version=r.version + 1)
    )


async def record(
    session: AsyncSession, *, report: PlanReportRecord, action: str, actor: str, reason: str | None = None
) -> None:
    """Append a decision on a report to its indicator's chain (`tic audit verify`)."""
    await append(
        session,
        PLAN_HISTORY,
        {
            "chain": f"{report.plan}/{report.indicator}",
            "report_id": report.id,
            "action": action,
            "actor": actor,
            "reason": reason,
            "detail": {"year": report.year, "revision": report.revision, "value": str(report.value)},
            "at": datetime.now(UTC),
        },
    )


async def last_status(session: AsyncSession, *, plan: str, indicator: str) -> str | None:
    found = await session.execute(
        select(plan_alerts.c.status).where(plan_alerts.c.plan == plan, plan_alerts.c.indicator == indicator)
    )
    return found.scalar_one_or_none()


async def remember_status(session: AsyncSession, *, plan: str, indicator: str, status: str) -> None:
    statement = insert(plan_alerts).values(plan=plan, indicator=indicator, status=status)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["plan", "indicator"],
            set_={"status": statement.excluded.status, "changed_at": func.now()},
            where=plan_alerts.c.status != statement.excluded.status,
        )
    )


async def centers_by_year(
    session: AsyncSession,
    *,
    districts: Sequence[str],
    tiers: Sequence[str],
    statuses: Sequence[str],
    since: date | None,
    years: Sequence[int],
) -> dict[int, int]:
    """How many tracked centers of the jurisdiction's districts and the tiers, now in one of the statuses, had been
    approved by the end of each year (and on or after `since`, when counting new ones)."""
    c = centers.c
    conditions: list[ColumnElement[bool]] = [
        c.district.in_(list(districts)),
        c.tier.in_(list(tiers)),
        c.status.in_(list(statuses)),
        c.approved_on.is_not(None),
    ]
    if since is not None:
        conditions.append(c.approved_on >= since)
    found: dict[int, int] = {}
    for year in years:
        counted = await session.execute(
            select(func.count()).where(and_(*conditions, c.approved_on <= date(year, 12, 31)))
        )
        found[year] = int(counted.scalar_one())
    return found
