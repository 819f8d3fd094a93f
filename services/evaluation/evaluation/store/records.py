"""The typed rows the evaluation store answers with: one record per table, and the few joined or summed rows."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tic_shared.records import Record


@dataclass(frozen=True, slots=True)
class CenterRecord(Record):
    """A registry center as this service keeps it from events."""

    center_id: uuid.UUID
    code: str | None
    name_zh: str | None
    tier: str
    status: str
    district: str
    lead_unit: dict[str, Any] | None
    approved_on: date | None
    construction_start: date | None
    construction_end: date | None
    targets: dict[str, Any]
    last_sequence: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LetterRecord(Record):
    """A center's recorded responsibility-letter adjustments; weights are decimal strings."""

    center_id: uuid.UUID
    reference: str | None
    weights: dict[str, str]
    targets: dict[str, int]
    milestone_targets: dict[str, dict[str, int]]
    version: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RoundRecord(Record):
    id: uuid.UUID
    year: int
    indicator_system: str
    rules: str
    opened_by: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class RoundCounts:
    """Progress of one round (how many reported, fully scored, finalized) and its grade distribution."""

    total: int
    reported: int
    scored: int
    finalized: int
    grades: dict[str, int]


@dataclass(frozen=True, slots=True)
class EvaluationRecord(Record):
    id: uuid.UUID
    round_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    kind: str
    status: str
    version: int
    report: dict[str, Any] | None
    reported_at: datetime | None
    reported_by: str | None
    score: Decimal | None
    grade: str | None
    consecutive_unqualified: int | None
    result: dict[str, Any] | None
    revision: int
    not_submitted: dict[str, Any] | None
    finalized_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LocatedEvaluation(EvaluationRecord):
    """An evaluation with where its center is and what it is called."""

    district: str
    center_code: str | None
    name_zh: str | None


@dataclass(frozen=True, slots=True)
class PriorGrade(Record):
    """A finalized result of an earlier year."""

    id: uuid.UUID
    center_id: uuid.UUID
    year: int
    grade: str  # finalized, hence graded


@dataclass(frozen=True, slots=True)
class EarlierReport(Record):
    center_id: uuid.UUID
    year: int
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AssignmentRecord(Record):
    evaluation_id: uuid.UUID
    expert: str
    indicators: list[str]
    assigned_by: str
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class ExpertScoreRecord(Record):
    evaluation_id: uuid.UUID
    expert: str
    indicator: str
    score: Decimal
    scored_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryRecord(Record):
    id: int
    evaluation_id: uuid.UUID
    action: str
    actor: str
    reason: str | None
    detail: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanReportRecord(Record):
    """One figure reported for a plan indicator's year, one revision."""

    id: uuid.UUID
    plan: str
    indicator: str
    year: int
    revision: int
    value: Decimal
    source: str
    note: str | None
    correction_reason: str | None
    department: str
    reported_by: str
    reported_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    return_reason: str | None
    version: int
