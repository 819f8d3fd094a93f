"""The event catalog: the `data` of every integration event, typed. These field names are the contract."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tic_shared.events.envelope import EventData
from tic_shared.vocabulary import CenterStatus, EvaluationKind, Grade, LeadUnitType, Origin, Tier
from tic_shared.vocabulary import Field as TicField


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class LeadUnit(_Part):
    name: str = Field(examples=["宁波材料科技有限公司"])
    credit_code: str = Field(examples=["91330200MA2GQ3XK4C"], description="Unified social credit code.")
    type: LeadUnitType


class Contact(_Part):
    name: str
    email: EmailStr | None = None
    phone: str | None = None
    role: str = Field(examples=["contact"], description="What the person is for the center.")


# ---- registry ----


class RegistryEvent(EventData):
    """Fields every registry event carries, so a projection can be kept from any one of them."""

    producer = "registry"

    center_id: uuid.UUID
    code: str | None = Field(default=None, description="The registry code, once approved.")
    tier: Tier
    status: CenterStatus
    district: str = Field(examples=["yinzhou"])
    sequence: int = Field(ge=1, description="Per center, +1 per event: projections ignore stale ones.")


class CenterSubmitted(RegistryEvent):
    event_name = "CenterSubmitted"
    name_zh: str
    field: TicField
    origin: Origin
    recommender: str | None = None
    lead_unit: LeadUnit
    contacts: list[Contact] = Field(default_factory=list)


class CenterReviewCompleted(RegistryEvent):
    event_name = "CenterReviewCompleted"
    passed: bool
    score: float | None = None
    opinion: str | None = None


class CenterPublicNoticeStarted(RegistryEvent):
    event_name = "CenterPublicNoticeStarted"
    notice_starts_on: date
    notice_ends_on: date


class CenterObjectionRaised(RegistryEvent):
    event_name = "CenterObjectionRaised"
    objection_id: uuid.UUID
    summary: str


class CenterApproved(RegistryEvent):
    event_name = "CenterApproved"
    name_zh: str
    name_en: str
    field: TicField
    lead_unit: LeadUnit
    contacts: list[Contact] = Field(default_factory=list)
    recommender: str | None = None
    document_no: str = Field(examples=["甬政发〔2026〕12号"])
    approved_on: date
    construction_start: date
    construction_end: date
    targets: dict[str, Any] = Field(default_factory=dict, description="The responsibility-letter targets.")


class CenterRejected(RegistryEvent):
    event_name = "CenterRejected"
    reason: str
    stage: CenterStatus = Field(description="The state the center was rejected from.")


class CenterWithdrawn(RegistryEvent):
    event_name = "CenterWithdrawn"
    reason: str | None = None


class CenterTierChanged(RegistryEvent):
    event_name = "CenterTierChanged"
    from_tier: Tier
    to_tier: Tier
    document_no: str
    changed_on: date


class CenterAccepted(RegistryEvent):
    event_name = "CenterAccepted"
    accepted_on: date
    evaluation_id: uuid.UUID | None = None


class _Ended(RegistryEvent):
    reason: str
    evidence: list[str] = Field(default_factory=list, description="Event ids or evaluation ids behind it.")
    effective_on: date


class CenterCancelled(_Ended):
    event_name = "CenterCancelled"


class CenterDelisted(_Ended):
    event_name = "CenterDelisted"


# ---- evaluation ----


class EvaluationCompleted(EventData):
    producer = "evaluation"
    event_name = "EvaluationCompleted"

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    kind: EvaluationKind
    score: float = Field(ge=0, le=100)
    grade: Grade
    indicator_system: str = Field(examples=["ningbo-tic-2022"])


class EvaluationFailed(EvaluationCompleted):
    event_name = "EvaluationFailed"
    consecutive_unqualified: int = Field(ge=1)


class EvaluationExcellent(EvaluationCompleted):
    event_name = "EvaluationExcellent"


class MilestoneCheck(_Part):
    measure: str = Field(examples=["cumulative_investment_fen"])
    figure: float | None
    target: float
    met: bool


class MilestoneChecked(EventData):
    producer = "evaluation"
    event_name = "MilestoneChecked"

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    milestone: str = Field(examples=["year_2", "year_5", "end_of_construction"])
    met: bool
    checks: list[MilestoneCheck]


class AcceptanceCompleted(EventData):
    producer = "evaluation"
    event_name = "AcceptanceCompleted"

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    passed: bool
    reasons: list[str] = Field(default_factory=list)


# ---- funding ----


class _GrantEvent(EventData):
    producer = "funding"

    grant_id: uuid.UUID
    center_id: uuid.UUID
    policy: str = Field(examples=["ningbo-tic-2022"])
    funding_year: int = Field(ge=1)
    amount_fen: int = Field(ge=0)
    trace_id: uuid.UUID | None = None


class SubsidyCalculated(_GrantEvent):
    event_name = "SubsidyCalculated"


class SubsidyApproved(_GrantEvent):
    event_name = "SubsidyApproved"


class SubsidyDisbursed(_GrantEvent):
    event_name = "SubsidyDisbursed"


class ClawbackOrdered(EventData):
    producer = "funding"
    event_name = "ClawbackOrdered"

    clawback_id: uuid.UUID
    center_id: uuid.UUID
    disbursed_fen: int = Field(ge=0)
    compliant_spent_fen: int = Field(ge=0)
    amount_fen: int = Field(ge=0)
    reason_event_id: uuid.UUID


class BudgetExceeded(EventData):
    producer = "funding"
    event_name = "BudgetExceeded"

    jurisdiction: str
    year: int
    budget_fen: int = Field(ge=0)
    committed_fen: int = Field(ge=0)
    requested_fen: int = Field(ge=0)
    grant_id: uuid.UUID | None = None


# ---- notification ----


class DeliveryDeadLettered(EventData):
    producer = "notification"
    event_name = "DeliveryDeadLettered"

    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    channel: str = Field(examples=["webhook", "email"])
    recipient: str = Field(description="Who it was for; never a secret.")
    attempts: int = Field(ge=1)
    last_error: str


CATALOG: tuple[type[EventData], ...] = (
    CenterSubmitted,
    CenterReviewCompleted,
    CenterPublicNoticeStarted,
    CenterObjectionRaised,
    CenterApproved,
    CenterRejected,
    CenterWithdrawn,
    CenterTierChanged,
    CenterAccepted,
    CenterCancelled,
    CenterDelisted,
    EvaluationCompleted,
    EvaluationFailed,
    EvaluationExcellent,
    MilestoneChecked,
    AcceptanceCompleted,
    SubsidyCalculated,
    SubsidyApproved,
    SubsidyDisbursed,
    ClawbackOrdered,
    BudgetExceeded,
    DeliveryDeadLettered,
)

BY_TYPE: dict[str, type[EventData]] = {model.ce_type(): model for model in CATALOG}
