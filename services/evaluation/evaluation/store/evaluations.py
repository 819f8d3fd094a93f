"""Queries of the evaluations: reading what a caller may see, locking, updating, storing results, their history."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    FromClause,
    Integer,
    Numeric,
    Select,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store.records import EarlierReport, EvaluationRecord, HistoryRecord, LocatedEvaluation, PriorGrade
from evaluation.store.tables import HISTORY, assignments, centers, evaluations, history
from tic_shared import audit
from tic_shared.reach import Reach

e = evaluations.c


def in_reach(reach: Reach) -> ColumnElement[bool]:
    """A condition on `evaluations` joined with `centers`: a center user's own, a district officer's district,
    an expert's assignments."""
    return reach.where(
        center_id=e.center_id,
        district=centers.c.district,
        expert=lambda subject: exists().where(assignments.c.evaluation_id == e.id, assignments.c.expert == subject),
    )


def with_centers() -> FromClause:
    return evaluations.join(centers, centers.c.center_id == e.center_id)


def _located() -> Select[Any]:
    return select(evaluations, centers.c.district, centers.c.code.label("center_code"), centers.c.name_zh).select_from(
        with_centers()
    )


@dataclass(frozen=True)
class FinalizedResult:
    """What finalizing one evaluation stores; `result_json` is the result document already encoded as JSON."""

    id: uuid.UUID
    score: Decimal
    grade: str
    consecutive_unqualified: int
    result_json: str


async def insert_evaluations(session: AsyncSession, *, rows: list[dict[str, Any]]) -> int:
    """Insert the evaluations a center does not have for that year yet; how many were new."""
    if not rows:
        return 0
    result = await session.execute(
        insert(evaluations).on_conflict_do_nothing(index_elements=["center_id", "year"]).returning(e.id), rows
    )
    return len(result.all())


async def get_evaluation(
    session: AsyncSession, *, reach: Reach, evaluation_id: uuid.UUID, lock: bool = False
) -> LocatedEvaluation | None:
    query = _located().where(e.id == evaluation_id, in_reach(reach))
    if lock:
        query = query.with_for_update(of=evaluations)
    row = (await session.execute(query)).first()
    return None if row is None else LocatedEvaluation.of(row)


async def list_evaluations(
    session: AsyncSession,
    *,
    reach: Reach,
    round_id: uuid.UUID | None = None,
    center_id: uuid.UUID | None = None,
    year: int | None = None,
    status: str | None = None,
    grade: str | None = None,
    after: tuple[int, uuid.UUID] | None = None,
    limit: int = 50,
    ascending_years: bool = False,
) -> list[LocatedEvaluation]:
    query = _located().where(in_reach(reach)).limit(limit)
    query = query.order_by(e.year.asc() if ascending_years else e.year.desc(), e.id)
    for column, value in ((e.round_id, round_id), (e.center_id, center_id), (e.year, year), (e.status, status)):
        if value is not None:
            query = query.where(column == value)
    if grade is not None:
        query = query.where(e.grade == grade)
    if after is not None:
        year_after, id_after = after
        if ascending_years:
            query = query.where(or_(e.year > year_after, and_(e.year == year_after, e.id > id_after)))
        else:
            query = query.where(or_(e.year < year_after, and_(e.year == year_after, e.id > id_after)))
    return [LocatedEvaluation.of(row) for row in (await session.execute(query)).all()]


async def lock_unfinalized(
    session: AsyncSession, *, round_id: uuid.UUID, limit: int, after: uuid.UUID | None = None
) -> list[EvaluationRecord]:
    """The next `limit` evaluations of the round not finalized (ids after `after`), locked; held ones skipped."""
    query = (
        select(evaluations)
        .where(e.round_id == round_id, e.status != "finalized")
        .order_by(e.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        query = query.where(e.id > after)
    return [EvaluationRecord.of(row) for row in (await session.execute(query)).all()]


async def update_evaluation(session: AsyncSession, *, evaluation_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Change an evaluation (or only count a change to what hangs off it): its version moves on."""
    await session.execute(update(evaluations).where(e.id == evaluation_id).values(**values, version=e.version + 1))


async def finalize_many(session: AsyncSession, *, results: Sequence[FinalizedResult]) -> None:
    """Store the results of many finalizations in one statement (the rows' arrays unnested into a join)."""
    if not results:
        return
    given = (
        func.unnest(
            bindparam("ids", [r.id for r in results], type_=ARRAY(Uuid)),
            bindparam("scores", [r.score for r in results], type_=ARRAY(Numeric)),
            bindparam("grades", [r.grade for r in results], type_=ARRAY(Text)),
            bindparam("consecutive", [r.consecutive_unqualified for r in results], type_=ARRAY(Integer)),
            bindparam("results", [r.result_json for r in results], type_=ARRAY(Text)),
        )
        .table_valued("id", "score", "grade", "consecutive", "result")
        .render_derived(name="given")
    )
    await session.execute(
        update(evaluations)
        .where(e.id == given.c.id)
        .values(
            status="finalized",
            score=given.c.score,
            grade=given.c.grade,
            consecutive_unqualified=given.c.consecutive,
            result=cast(given.c.result, JSONB),
            revision=e.revision + 1,
            version=e.version + 1,
            finalized_at=func.now(),
        )
    )


async def prior_results(
    session: AsyncSession, *, center_ids: Iterable[uuid.UUID], before_year: int
) -> dict[uuid.UUID, list[PriorGrade]]:
    """Each center's finalized results before `before_year`, oldest first."""
    query = (
        select(e.id, e.center_id, e.year, e.grade)
        .where(e.center_id.in_(list(center_ids)), e.year < before_year, e.status == "finalized")
        .order_by(e.year)
    )
    found: dict[uuid.UUID, list[PriorGrade]] = {}
    for row in (await session.execute(query)).all():
        found.setdefault(row.center_id, []).append(PriorGrade.of(row))
    return found


async def reports_of(
    session: AsyncSession, *, center_ids: Iterable[uuid.UUID], up_to_year: int
) -> dict[uuid.UUID, list[EarlierReport]]:
    """Each center's filed reports up to `up_to_year`."""
    query = select(e.center_id, e.year, e.report).where(
        e.center_id.in_(list(center_ids)), e.year <= up_to_year, e.report.is_not(None)
    )
    found: dict[uuid.UUID, list[EarlierReport]] = {}
    for row in (await session.execute(query)).all():
        found.setdefault(row.center_id, []).append(EarlierReport.of(row))
    return found


async def latest_finalized(session: AsyncSession, *, reach: Reach, statuses: Iterable[str]) -> list[LocatedEvaluation]:
    """Each visible center's latest finalized evaluation (one row per center), for centers in `statuses`."""
    query = (
        _located()
        .where(e.status == "finalized", centers.c.status.in_(list(statuses)), in_reach(reach))
        .order_by(e.center_id, e.year.desc())
        .ext(distinct_on(e.center_id))
    )
    return [LocatedEvaluation.of(row) for row in (await session.execute(query)).all()]


# ---- history ----


async def add_history(session: AsyncSession, *, entries: list[dict[str, Any]]) -> None:
    """Append to each evaluation's history chain (`tic audit verify`), in the order given."""
    now = datetime.now(UTC)
    await audit.append_many(session, HISTORY, [{"reason": None, "detail": None, "at": now, **row} for row in entries])


async def history_of(session: AsyncSession, *, evaluation_id: uuid.UUID) -> list[HistoryRecord]:
    query = select(history).where(history.c.evaluation_id == evaluation_id).order_by(history.c.id)
    return [HistoryRecord.of(row) for row in (await session.execute(query)).all()]
