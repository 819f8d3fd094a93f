"""The typed rows the registry store answers with: one record per table, and a center as it is read."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tic_shared.records import Record


@dataclass(frozen=True, slots=True)
class CenterRecord(Record):
    """A center's row (all but the stored search columns)."""

    id: uuid.UUID
    name_zh: str
    name_en: str | None
    official_name_zh: str | None
    official_name_en: str | None
    tier: str
    status: str
    origin: str
    recommender: str | None
    field: str
    industrial_chain: str
    district: str
    lead_unit_name: str
    lead_unit_credit_code: str
    lead_unit_type: str
    co_builders: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    targets: dict[str, Any]
    governance: list[dict[str, Any]]
    bases: list[dict[str, Any]]
    independent_legal_person: bool
    review: dict[str, Any] | None
    decision: dict[str, Any] | None
    notice_starts_on: date | None
    notice_ends_on: date | None
    code: str | None
    document_no: str | None
    approved_on: date | None
    tier_since: date | None
    construction_start: date | None
    construction_end: date | None
    ended_on: date | None
    end_reason: str | None
    ended_from: str | None
    last_act: str | None
    last_act_on: date | None
    version: int
    sequence: int
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CenterRead(CenterRecord):
    """A center as one read answers it: its row and how many objections are open, in one statement."""

    open_objections: int


@dataclass(frozen=True, slots=True)
class CenterSummaryRecord(Record):
    """A center as lists show it: no plan, governance, bases or contacts (the JSON a list would read for nothing)."""

    id: uuid.UUID
    status: str
    name_zh: str
    name_en: str | None
    official_name_zh: str | None
    official_name_en: str | None
    code: str | None
    tier: str
    field: str
    district: str
    recommender: str | None
    lead_unit_name: str
    lead_unit_credit_code: str
    approved_on: date | None
    construction_end: date | None
    notice_ends_on: date | None
    independent_legal_person: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ObjectionRecord(Record):
    id: uuid.UUID
    center_id: uuid.UUID
    summary: str
    raised_by: str
    raised_on: date
    status: str
    resolution_note: str | None
    resolved_on: date | None
    recorded_by: str
    resolved_by: str | None


@dataclass(frozen=True, slots=True)
class HistoryRecord(Record):
    """One link of a center's history chain."""

    id: int
    center_id: uuid.UUID
    at: datetime
    actor: str
    action: str
    on: date
    from_state: str | None
    to_state: str
    reason: str | None
    details: dict[str, Any]
    event_ids: list[str]
    hash: str


@dataclass(frozen=True, slots=True)
class FailureRecord(Record):
    """An unqualified annual evaluation of a center, as evaluation reported it."""

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    consecutive_unqualified: int
    event_id: uuid.UUID
