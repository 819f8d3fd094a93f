"""Every query of the evaluation schema: the projection, letters, rounds, evaluations, experts, history."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Numeric,
    Text,
    Uuid,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.store.tables import (
    HISTORY,
    assignments,
    centers,
    evaluations,
    expert_scores,
    history,
    letters,
    messaging,
    rounds,
)
from tic_shared import audit, projection

AnyRow = Any  # a result row; columns are named like the table's


@dataclass(frozen=True)
class Reach:
    """Which rows a caller may see: everything, or its center, its district, its assignments."""

    everything: bool
    center_id: uuid.UUID | None = None
    district: str | None = None
    expert: str | None = None

    def evaluation_clause(self) -> ColumnElement[bool]:
        """A condition on `evaluations` (joined with `centers`) selecting what the caller may see."""
        if self.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.center_id is not None:
            parts.append(evaluations.c.center_id == self.center_id)
        if self.district is not None:
            parts.append(centers.c.district == self.district)
        if self.expert is not None:
            parts.append(
                exists().where(assignments.c.evaluation_id == evaluations.c.id, assignments.c.expert == self.expert)
            )
        return or_(*parts) if parts else false()

    def center_clause(self) -> ColumnElement[bool]:
        """A condition on `centers`: a center user's own, a district officer's district (experts: none)."""
        if self.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.center_id is not None:
            parts.append(centers.c.center_id == self.center_id)
        if self.district is not None:
            parts.append(centers.c.district == self.district)
        return or_(*parts) if parts else false()


@dataclass(frozen=True)
class FinalizedResult:
    """What finalizing one evaluation stores; `result_json` is the result document already encoded as JSON."""

    id: uuid.UUID
    score: Decimal
    grade: str
    consecutive_unqualified: int
    result_json: str


def _joined() -> Any:
    return evaluations.join(centers, centers.c.center_id == evaluations.c.center_id)


# ---- the center projection ----


CENTER_STATE = frozenset({"code", "tier", "status", "district", "last_sequence"})


async def project_center(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Apply one registry event's values (`tic_shared.projection`); True when it was the newest."""
    statement = projection.upsert(centers, values, key="center_id", state=CENTER_STATE, sequence="last_sequence")
    row = (await session.execute(statement)).one()
    return int(row.last_sequence) == values["last_sequence"]


async def get_center(session: AsyncSession, center_id: uuid.UUID, reach: Reach) -> AnyRow | None:
    query = select(centers).where(centers.c.center_id == center_id, reach.center_clause())
    return (await session.execute(query)).first()


async def list_centers(
    session: AsyncSession,
    reach: Reach,
    *,
    status: str | None,
    district: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[AnyRow]:
    query = select(centers).where(reach.center_clause()).order_by(centers.c.center_id).limit(limit)
    if status:
        query = query.where(centers.c.status == status)
    if district:
        query = query.where(centers.c.district == district)
    if after is not None:
        query = query.where(centers.c.center_id > after)
    return (await session.execute(query)).all()


async def eligible_centers(session: AsyncSession, statuses: Iterable[str]) -> Sequence[AnyRow]:
    query = select(centers).where(centers.c.status.in_(list(statuses)), centers.c.approved_on.is_not(None))
    return (await session.execute(query.order_by(centers.c.center_id))).all()


async def centers_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AnyRow]:
    rows = (await session.execute(select(centers).where(centers.c.center_id.in_(list(ids))))).all()
    return {row.center_id: row for row in rows}


# ---- responsibility letters ----


async def get_letter(session: AsyncSession, center_id: uuid.UUID) -> AnyRow | None:
    return (await session.execute(select(letters).where(letters.c.center_id == center_id))).first()


async def letters_by_center(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AnyRow]:
    rows = (await session.execute(select(letters).where(letters.c.center_id.in_(list(ids))))).all()
    return {row.center_id: row for row in rows}


async def upsert_letter(session: AsyncSession, values: dict[str, Any]) -> AnyRow:
    statement = insert(letters).values(**values, version=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[letters.c.center_id],
        set_={
            **{key: statement.excluded[key] for key in values if key != "center_id"},
            "version": letters.c.version + 1,
            "updated_at": func.now(),
        },
    ).returning(*letters.c)
    return (await session.execute(upsert)).one()


# ---- rounds ----


async def insert_round(session: AsyncSession, values: dict[str, Any]) -> bool:
    """False when a round of that year exists."""
    result = await session.execute(insert(rounds).values(**values).on_conflict_do_nothing().returning(rounds.c.id))
    return result.first() is not None


async def get_round(session: AsyncSession, round_id: uuid.UUID) -> AnyRow | None:
    return (await session.execute(select(rounds).where(rounds.c.id == round_id))).first()


async def list_rounds(session: AsyncSession, *, year: int | None, before: int | None, limit: int) -> Sequence[AnyRow]:
    query = select(rounds).order_by(rounds.c.year.desc()).limit(limit)
    if year is not None:
        query = query.where(rounds.c.year == year)
    if before is not None:
        query = query.where(rounds.c.year < before)
    return (await session.execute(query)).all()


async def round_counts(
    session: AsyncSession, round_id: uuid.UUID, reach: Reach, qualitative_count: int
) -> dict[str, Any]:
    """Progress (how many reported, fully scored, finalized) and the grade distribution of one round."""
    e = evaluations.c
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
    ).select_from(_joined())
    row = (await session.execute(base.where(e.round_id == round_id, reach.evaluation_clause()))).one()
    grades = (
        await session.execute(
            select(e.grade, func.count())
            .select_from(_joined())
            .where(e.round_id == round_id, e.status == "finalized", reach.evaluation_clause())
            .group_by(e.grade)
        )
    ).all()
    return {
        "total": row.total,
        "reported": row.reported,
        "scored": row.scored,
        "finalized": row.finalized,
        "grades": {grade: count for grade, count in grades},
    }


# ---- evaluations ----


async def insert_evaluations(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the evaluations a center does not have for that year yet; how many were new."""
    if not rows:
        return 0
    result = await session.execute(
        insert(evaluations).on_conflict_do_nothing(index_elements=["center_id", "year"]).returning(evaluations.c.id),
        rows,
    )
    return len(result.all())


async def get_evaluation(
    session: AsyncSession, evaluation_id: uuid.UUID, reach: Reach, *, lock: bool = False
) -> AnyRow | None:
    query = (
        select(evaluations, centers.c.district, centers.c.code.label("center_code"), centers.c.name_zh)
        .select_from(_joined())
        .where(evaluations.c.id == evaluation_id, reach.evaluation_clause())
    )
    if lock:
        query = query.with_for_update(of=evaluations)
    return (await session.execute(query)).first()


async def list_evaluations(
    session: AsyncSession,
    reach: Reach,
    *,
    round_id: uuid.UUID | None = None,
    center_id: uuid.UUID | None = None,
    year: int | None = None,
    status: str | None = None,
    grade: str | None = None,
    after: tuple[int, uuid.UUID] | None = None,
    limit: int = 50,
    ascending_years: bool = False,
) -> Sequence[AnyRow]:
    e = evaluations.c
    query = (
        select(evaluations, centers.c.district, centers.c.code.label("center_code"), centers.c.name_zh)
        .select_from(_joined())
        .where(reach.evaluation_clause())
        .limit(limit)
    )
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
    return (await session.execute(query)).all()


async def lock_unfinalized(
    session: AsyncSession, round_id: uuid.UUID, limit: int, *, after: uuid.UUID | None = None
) -> Sequence[AnyRow]:
    """The next `limit` evaluations of the round not finalized (ids after `after`), locked; held ones skipped."""
    query = (
        select(evaluations)
        .where(evaluations.c.round_id == round_id, evaluations.c.status != "finalized")
        .order_by(evaluations.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        query = query.where(evaluations.c.id > after)
    return (await session.execute(query)).all()


async def update_evaluation(session: AsyncSession, evaluation_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(
        update(evaluations).where(evaluations.c.id == evaluation_id).values(**values, version=evaluations.c.version + 1)
    )


async def finalize_many(session: AsyncSession, rows: Sequence[FinalizedResult]) -> None:
    """Store the results of many finalizations in one statement (the rows' arrays unnested into a join)."""
    if not rows:
        return
    given = (
        func.unnest(
            bindparam("ids", [r.id for r in rows], type_=ARRAY(Uuid)),
            bindparam("scores", [r.score for r in rows], type_=ARRAY(Numeric)),
            bindparam("grades", [r.grade for r in rows], type_=ARRAY(Text)),
            bindparam("consecutive", [r.consecutive_unqualified for r in rows], type_=ARRAY(Integer)),
            bindparam("results", [r.result_json for r in rows], type_=ARRAY(Text)),
        )
        .table_valued("id", "score", "grade", "consecutive", "result")
        .render_derived(name="given")
    )
    e = evaluations.c
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
    session: AsyncSession, center_ids: Iterable[uuid.UUID], before_year: int
) -> dict[uuid.UUID, list[AnyRow]]:
    e = evaluations.c
    query = (
        select(e.id, e.center_id, e.year, e.grade)
        .where(e.center_id.in_(list(center_ids)), e.year < before_year, e.status == "finalized")
        .order_by(e.year)
    )
    found: dict[uuid.UUID, list[AnyRow]] = {}
    for row in (await session.execute(query)).all():
        found.setdefault(row.center_id, []).append(row)
    return found


async def reports_of(
    session: AsyncSession, center_ids: Iterable[uuid.UUID], up_to_year: int
) -> dict[uuid.UUID, list[AnyRow]]:
    e = evaluations.c
    query = select(e.center_id, e.year, e.report).where(
        e.center_id.in_(list(center_ids)), e.year <= up_to_year, e.report.is_not(None)
    )
    found: dict[uuid.UUID, list[AnyRow]] = {}
    for row in (await session.execute(query)).all():
        found.setdefault(row.center_id, []).append(row)
    return found


# ---- experts ----


async def upsert_assignment(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = insert(assignments).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[assignments.c.evaluation_id, assignments.c.expert],
            set_={
                "indicators": statement.excluded.indicators,
                "assigned_by": statement.excluded.assigned_by,
                "assigned_at": func.now(),
            },
        )
    )


async def assignments_of(session: AsyncSession, evaluation_id: uuid.UUID) -> Sequence[AnyRow]:
    query = select(assignments).where(assignments.c.evaluation_id == evaluation_id).order_by(assignments.c.expert)
    return (await session.execute(query)).all()


async def get_assignment(session: AsyncSession, evaluation_id: uuid.UUID, expert: str) -> AnyRow | None:
    query = select(assignments).where(assignments.c.evaluation_id == evaluation_id, assignments.c.expert == expert)
    return (await session.execute(query)).first()


async def upsert_scores(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = insert(expert_scores)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[expert_scores.c.evaluation_id, expert_scores.c.expert, expert_scores.c.indicator],
            set_={"score": statement.excluded.score, "scored_at": func.now()},
        ),
        rows,
    )


async def expert_scores_by_indicator(
    session: AsyncSession, evaluation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, list[Decimal]]]:
    """Each evaluation's expert scores grouped by indicator, in indicator then expert order (for finalizing)."""
    s = expert_scores.c
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


async def scores_of(session: AsyncSession, evaluation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[AnyRow]]:
    s = expert_scores.c
    query = select(expert_scores).where(s.evaluation_id.in_(list(evaluation_ids))).order_by(s.indicator, s.expert)
    found: dict[uuid.UUID, list[AnyRow]] = {}
    for row in (await session.execute(query)).all():
        found.setdefault(row.evaluation_id, []).append(row)
    return found


# ---- history and the outbox ----


async def add_history(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Append to each evaluation's history chain (`tic audit verify`), in the order given."""
    now = datetime.now(UTC)
    await audit.append_many(session, HISTORY, [{"reason": None, "detail": None, "at": now, **row} for row in rows])


@dataclass(frozen=True)
class OutboxRow:
    """One event for `messaging.outbox`, its CloudEvent already encoded as JSON."""

    event_id: uuid.UUID
    subject: str
    event_type: str
    aggregate_id: str | None
    aggregate_seq: int | None
    payload_json: str


async def add_to_outbox(session: AsyncSession, rows: Sequence[OutboxRow]) -> None:
    """Many events in one statement, in the order given (the relay publishes in id order)."""
    if not rows:
        return
    given = (
        func.unnest(
            bindparam("event_ids", [r.event_id for r in rows], type_=ARRAY(Uuid)),
            bindparam("subjects", [r.subject for r in rows], type_=ARRAY(Text)),
            bindparam("event_types", [r.event_type for r in rows], type_=ARRAY(Text)),
            bindparam("aggregate_ids", [r.aggregate_id for r in rows], type_=ARRAY(Text)),
            bindparam("aggregate_seqs", [r.aggregate_seq for r in rows], type_=ARRAY(Integer)),
            bindparam("payloads", [r.payload_json for r in rows], type_=ARRAY(Text)),
        )
        .table_valued(
            "event_id", "subject", "event_type", "aggregate_id", "aggregate_seq", "payload", with_ordinality="n"
        )
        .render_derived(name="given")
    )
    outbox = messaging.outbox
    await session.execute(
        insert(outbox).from_select(
            ["event_id", "subject", "event_type", "aggregate_id", "aggregate_seq", "payload"],
            select(
                given.c.event_id,
                given.c.subject,
                given.c.event_type,
                given.c.aggregate_id,
                given.c.aggregate_seq,
                cast(given.c.payload, JSONB),
            ).order_by(given.c.n),
        )
    )


async def history_of(session: AsyncSession, evaluation_id: uuid.UUID) -> Sequence[AnyRow]:
    query = select(history).where(history.c.evaluation_id == evaluation_id).order_by(history.c.id)
    return (await session.execute(query)).all()


# ---- at risk ----


async def latest_finalized(session: AsyncSession, reach: Reach, statuses: Iterable[str]) -> Sequence[AnyRow]:
    """Each visible center's latest finalized evaluation (one row per center)."""
    e = evaluations.c
    query = (
        select(evaluations, centers.c.district, centers.c.code.label("center_code"), centers.c.name_zh)
        .select_from(_joined())
        .where(e.status == "finalized", centers.c.status.in_(list(statuses)), reach.evaluation_clause())
        .order_by(e.center_id, e.year.desc())
        .ext(distinct_on(e.center_id))
    )
    return (await session.execute(query)).all()
