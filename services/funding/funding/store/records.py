"""The typed rows the funding store answers with: one record per table, and the few joined or summed rows."""

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Self

from sqlalchemy import Row


class _Record:
    """Built from a result row by picking its own columns (a joined row may carry more)."""

    __slots__ = ()

    @classmethod
    def of(cls, row: Row[Any]) -> Self:
        values = row._mapping
        return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]


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
class LocatedGrant:
    """A grant with its center's district: how every answer and event names where a grant is."""

    grant: GrantRecord
    district: str | None

    @classmethod
    def of(cls, row: Row[Any]) -> Self:
        return cls(GrantRecord.of(row), row.district)


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


@dataclass(frozen=True, slots=True)
class LocatedClawback:
    """A clawback with its center's district (None where the answer has never named it)."""

    clawback: ClawbackRecord
    district: str | None

    @classmethod
    def of(cls, row: Row[Any]) -> Self:
        return cls(ClawbackRecord.of(row), row.district)


@dataclass(frozen=True, slots=True)
class LedgerSums(_Record):
    """A center's ledger summed by kind (and expenditures by compliance)."""

    disbursed: int
    compliant: int
    non_compliant: int
    repaid: int

    @classmethod
    def of(cls, row: Row[Any]) -> Self:
        # PostgreSQL sums bigints as numeric.
        return cls(**{name: int(value) for name, value in row._mapping.items()})


@dataclass(frozen=True, slots=True)
class YearTotals(_Record):
    """Per jurisdiction and budget year: the grants' amounts by stage."""

    jurisdiction: str
    budget_year: int
    grants: int
    calculated_fen: int
    committed_fen: int
    disbursed_fen: int

    @classmethod
    def of(cls, row: Row[Any]) -> Self:
        return cls(
            jurisdiction=row.jurisdiction,
            budget_year=row.budget_year,
            grants=row.grants,
            calculated_fen=int(row.calculated_fen),
            committed_fen=int(row.committed_fen),
            disbursed_fen=int(row.disbursed_fen),
        )


@dataclass(frozen=True, slots=True)
class GrantedUnderPolicy(_Record):
    """What a center's live grants under one policy add up to, and how much of it was paid."""

    center_id: uuid.UUID
    policy_code: str
    district: str
    granted_fen: int
    disbursed_fen: int

    @classmethod
    def of(cls, row: Row[Any]) -> Self:
        return cls(
            center_id=row.center_id,
            policy_code=row.policy_code,
            district=row.district,
            granted_fen=int(row.granted_fen),
            disbursed_fen=int(row.disbursed_fen),
        )
