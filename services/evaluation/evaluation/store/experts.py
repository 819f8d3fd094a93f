"""Queries of the experts' part: who is assigned which qualitative indicators, and the scores they gave."""

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Uuid, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store.records import AssignmentRecord, ExpertScoreRecord
from evaluation.store.tables import assignments, expert_scores

a = assignments.c
s = expert_scores.c


async def upsert_assignment(session: AsyncSession, *, values: dict[str, Any]) -> None:
    statement = insert(assignments).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[a.evaluation_id, a.expert],
            set_={
                "indicators": statement.excluded.indicators,
                "assigned_by": statement.excluded.assigned_by,
                "assigned_at": func.now(),
            },
        )
    )


async def assignments_of(session: AsyncSession, *, evaluation_id: uuid.UUID) -> list[AssignmentRecord]:
    query = select(assignments).where(a.evaluation_id == evaluation_id).order_by(a.expert)
    return [AssignmentRecord.of(row) for row in (await session.execute(query)).all()]


async def get_assignment(session: AsyncSession, *, evaluation_id: uuid.UUID, expert: str) -> AssignmentRecord | None:
    query = select(assignments).where(a.evaluation_id == evaluation_id, a.expert == expert)
    row = (await session.execute(query)).first()
    return None if row is None else AssignmentRecord.of(row)


async def upsert_scores(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = insert(expert_scores)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[s.evaluation_id, s.expert, s.indicator],
            set_={"score": statement.excluded.score, "scored_at": func.now()},
        ),
        rows,
    )


async def scores_by_indicator(
    session: AsyncSession, *, evaluation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, list[Decimal]]]:
    """Each evaluation's expert scores grouped by indicator, in indicator then expert order (for finalizing)."""
    order = (s.indicator, s.expert)
    query = (
        select(
            s.evaluation_id,
            func.array_agg(aggregate_order_by(s.indicator, *order)).label("indicators"),
            func.array_agg(aggregate_order_by(s.score, *order)).label("scores"),
        )
        .where(s.evaluation_id == any_(bindparam("ids", list(evaluation_ids), type_=ARRAY(Uuid))))
        .group_by(s.evaluation_id)
    )
    found: dict[uuid.UUID, dict[str, list[Decimal]]] = {}
    for evaluation_id, indicators, scores in (await session.execute(query)).all():
        grouped = found[evaluation_id] = {}
        for code, value in zip(indicators, scores, strict=True):
            grouped.setdefault(code, []).append(value)
    return found


async def scores_of(session: AsyncSession, *, evaluation_ids: Iterable[uuid.UUID]) -> list[ExpertScoreRecord]:
    """The scores of the evaluations, by indicator then expert."""
    query = select(expert_scores).where(s.evaluation_id.in_(list(evaluation_ids))).order_by(s.indicator, s.expert)
    return [ExpertScoreRecord.of(row) for row in (await session.execute(query)).all()]
