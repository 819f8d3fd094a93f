"""Queries of the annual rounds: opening one, reading them, and counting a round's progress within a reach."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store import evaluations as evaluation_store
from evaluation.store.records import RoundCounts, RoundRecord
from evaluation.store.tables import evaluations, expert_scores, rounds
from tic_shared.reach import Reach


async def insert_round(
    session: AsyncSession, *, round_id: uuid.UUID, year: int, indicator_system: str, rules: str, opened_by: str
) -> bool:
    """False when a round of that year exists."""
    statement = insert(rounds).values(
        id=round_id, year=year, indicator_system=indicator_system, rules=rules, opened_by=opened_by
    )
    result = await session.execute(statement.on_conflict_do_nothing().returning(rounds.c.id))
    return result.first() is not None


async def get_round(session: AsyncSession, *, round_id: uuid.UUID) -> RoundRecord | None:
    row = (await session.execute(select(rounds).where(rounds.c.id == round_id))).first()
    return None if row is None else RoundRecord.of(row)


async def list_rounds(session: AsyncSession, *, year: int | None, before: int | None, limit: int) -> list[RoundRecord]:
    """Rounds, newest year first (years before `before`, when given)."""
    query = select(rounds).order_by(rounds.c.year.desc()).limit(limit)
    if year is not None:
        query = query.where(rounds.c.year == year)
    if before is not None:
        query = query.where(rounds.c.year < before)
    return [RoundRecord.of(row) for row in (await session.execute(query)).all()]


async def round_counts(
    session: AsyncSession, *, round_id: uuid.UUID, reach: Reach, qualitative_count: int
) -> RoundCounts:
    """Progress (how many reported, fully scored, finalized) and the grade distribution of one round, counting the
    evaluations within `reach`."""
    e = evaluations.c
    visible = evaluation_store.in_reach(reach)
    scored = (
        select(func.count(func.distinct(expert_scores.c.indicator)))
        .where(expert_scores.c.evaluation_id == e.id)
        .scalar_subquery()
    )
    base = select(
        func.count().label("total"),
        func.count().filter(e.report.is_not(None)).label("reported"),
        func.count().filter(scored >= qualitative_count).label("scored"),
        func.count().filter(e.status == "finalized").label("finalized"),
    ).select_from(evaluation_store.with_centers())
    row = (await session.execute(base.where(e.round_id == round_id, visible))).one()
    grades = (
        await session.execute(
            select(e.grade, func.count())
            .select_from(evaluation_store.with_centers())
            .where(e.round_id == round_id, e.status == "finalized", visible)
            .group_by(e.grade)
        )
    ).all()
    return RoundCounts(
        total=row.total,
        reported=row.reported,
        scored=row.scored,
        finalized=row.finalized,
        grades={grade: count for grade, count in grades},
    )
