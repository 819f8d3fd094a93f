"""The typed rows the funding store answers with: one record per table, and the few joined or summed rows."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Result

from tic_shared.records import Record


class _Record(Record):
    __slots__ = ()

    @staticmethod
    def convert(value: object) -> object:
        return _whole(value)


def _whole(value: object) -> object:
    # PostgreSQL sums bigints as numeric; every sum the store reads is a whole number of fen.
    return int(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True, slots=True)
class CenterRecord(_Record):
    """A registry center as funding keeps it from events."""

    center_id: uuid.UUID
    code: str | None
    name_zh: str | None
    tier: str
    status: str
    district: str
    jurisdiction: str | None
    lead_unit_type: str | None
    approved_on: date | None
    sequence: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class GrantRecord(_Record):
    grant_id: uuid.UUID
    n: int
    center_id: uuid.UUID
    policy_code: str
    jurisdiction: str
    funding_year: int
    budget_year: int
    trigger: str | None
    status: str
    verified_investment_fen: int | None
    overlapping_grant_fen: int | None
    amount_fen: int | None
    trace_id: uuid.UUID | None
    trace: dict[str, Any] | None
    version: int
    opened_by: str
    opened_at: datetime
    calculated_at: datetime | None
    calculated_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    disbursed_at: datetime | None
    disbursed_by: str | None
    stopped_at: datetime | None
    stopped_from: str | None


@dataclass(frozen=True, slots=True)
class BudgetRecord(_Record):
    jurisdiction: str
    year: int
    budget_fen: int
    committed_fen: int
    version: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntryRecord(_Record):
    entry_id: uuid.UUID
    n: int
    center_id: uuid.UUID
    kind: str
    amount_fen: int
    grant_id: uuid.UUID | None
    clawback_id: uuid.UUID | None
    category: str | None
    compliant: bool | None
    description: str | None
    occurred_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ClawbackRecord(_Record):
    clawback_id: uuid.UUID
    n: int
    center_id: uuid.UUID
    reason_event_id: uuid.UUID
    reason_event_type: str
    reason: str | None
    disbursed_fen: int
    compliant_spent_fen: int
    non_compliant_spent_fen: int
    amount_fen: int
    repaid_fen: int
    status: str
    version: int
    ordered_at: datetime
    repaid_at: datetime | None
    reversed_by_event_id: uuid.UUID | None
    reversed_at: datetime | None


R = TypeVar("R", GrantRecord, ClawbackRecord)


# Not slotted: a frozen slotted dataclass cannot be built through its parametrized alias (LocatedGrant(...)).
@dataclass(frozen=True)
class Located(Generic[R]):
    """A grant or clawback with its center's district: how answers and events name where it is (None where an
    answer has never named it)."""

    record: R
    district: str | None

    @classmethod
    def first(cls, record: type[R], result: Result[Any]) -> "Located[R] | None":
        row = result.first()
        return None if row is None else cls(record.of(row), row.district)

    @classmethod
    def all(cls, record: type[R], result: Result[Any]) -> "list[Located[R]]":
        return [cls(record.of(row), row.district) for row in result.all()]


LocatedGrant = Located[GrantRecord]
LocatedClawback = Located[ClawbackRecord]


@dataclass(frozen=True, slots=True)
class LedgerSums(_Record):
    """A center's ledger summed by kind (and expenditures by compliance)."""

    disbursed: int
    compliant: int
    non_compliant: int
    repaid: int


@dataclass(frozen=True, slots=True)
class YearTotals(_Record):
    """Per jurisdiction and budget year: the grants' amounts by stage."""

    jurisdiction: str
    budget_year: int
    grants: int
    calculated_fen: int
    committed_fen: int
    disbursed_fen: int


@dataclass(frozen=True, slots=True)
class GrantedUnderPolicy(_Record):
    """What a center's live grants under one policy add up to, and how much of it was paid."""

    center_id: uuid.UUID
    policy: str
    district: str
    center_status: str
    granted_fen: int
    disbursed_fen: int
