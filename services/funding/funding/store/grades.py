"""Queries of the evaluation grades funding keeps from evaluation events."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from funding.store.tables import grades


async def upsert_grade(session: AsyncSession, *, values: dict[str, Any]) -> None:
    """Keep a year's grade; a corrected result (a higher revision) supersedes it, an older one never does."""
    statement = insert(grades).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[grades.c.center_id, grades.c.year, grades.c.kind],
            set_={
                "grade": statement.excluded.grade,
                "evaluation_id": statement.excluded.evaluation_id,
                "revision": statement.excluded.revision,
                "updated_at": func.now(),
            },
            where=grades.c.revision <= statement.excluded.revision,
        )
    )


async def latest_annual_grade(session: AsyncSession, *, center_id: uuid.UUID) -> str | None:
    g = grades.c
    query = select(g.grade).where(g.center_id == center_id, g.kind == "annual").order_by(g.year.desc()).limit(1)
    grade: str | None = (await session.execute(query)).scalar_one_or_none()
    return grade


async def latest_annual_grades(session: AsyncSession, *, center_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    g = grades.c
    query = (
        select(g.center_id, g.grade)
        .where(g.center_id.in_(center_ids), g.kind == "annual")
        .order_by(g.center_id, g.year.desc())
        .ext(distinct_on(g.center_id))
    )
    return {row.center_id: row.grade for row in (await session.execute(query)).all()}
