"""The event catalog: the `data` of every integration event, typed. These field names are the contract."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tic_shared.events.envelope import EventData
from tic_shared.vocabulary import CenterStatus, Email, EvaluationKind, Grade, LeadUnitType, Origin, Tier
from tic_shared.vocabulary import Field as TicField


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class LeadUnit(_Part):
    name: str = Field(examples=["宁波材料科技有限公司"])
    credit_code: str = Field(examples=["91330200MA2GQ3XK4B"], description="Unified social credit code.")
    type: LeadUnitType


class Contact(_Part):
    name: str
    email: Email | None = None
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
    jurisdiction: str | None = Field(
        default=None,
        examples=["ningbo"],
        description="The jurisdiction of the district (tic_shared jurisdictions): whose names, code, notice, "
        "construction period, evaluation, subsidies and plans apply. Absent from events before it was added.",
    )
    sequence: int = Field(ge=1, description="Per center, +1 per event: projections ignore stale ones.")
    name_zh: str | None = Field(
        default=None, examples=["宁波市先进高分子材料技术创新中心"], description="The official name once approved."
    )
    name_en: str | None = Field(default=None, examples=["Ningbo Municipal Innovation Center of Polymer Technology"])


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
    document_no: str | None = Field(
        default=None,
        examples=["甬科发〔2026〕31号"],
        description="The bureau's document; none when the registry ended the center on an evaluation's result.",
    )
    basis_years: list[int] = Field(
        default_factory=list, description="The years of the unqualified evaluations a delisting follows."
    )
    reason_en: str | None = Field(
        default=None, description="The reason in English, where the platform itself wrote it (not a person)."
    )


class CenterCancelled(_Ended):
    event_name = "CenterCancelled"


class CenterDelisted(_Ended):
    event_name = "CenterDelisted"


class CenterReinstated(RegistryEvent):
    """The bureau reversed a delisting or cancellation (a correction, a ruling): its consequences are undone."""

    event_name = "CenterReinstated"
    reverses: str = Field(examples=["CenterDelisted"], description="The event type reversed.")
    reverses_event_id: uuid.UUID | None = Field(default=None, description="The id of the event reversed.")
    document_no: str = Field(examples=["甬科发〔2027〕3号"])
    decided_on: date
    reason: str


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
    round_id: uuid.UUID | None = None
    rules: str | None = Field(default=None, examples=["ningbo-tic-2022"], description="The rule set applied.")
    district: str | None = None
    revision: int = Field(
        default=1,
        ge=1,
        description="1 for the first finalize; a reopened and re-finalized evaluation sends its corrected "
        "result with the next revision, which supersedes the earlier ones of the same evaluation_id.",
    )


class EvaluationFailed(EvaluationCompleted):
    event_name = "EvaluationFailed"
    consecutive_unqualified: int = Field(ge=1)
    evidence: list[str] = Field(
        default_factory=list,
        description="The evaluation ids of the consecutive unqualified annual results, oldest first.",
    )
    delist_due: bool | None = Field(
        default=None, description="Whether the count reaches the rules' figure for delisting (摘牌)."
    )
    delisting_clause: str | None = None


class EvaluationExcellent(EvaluationCompleted):
    event_name = "EvaluationExcellent"
    priority_support: bool | None = Field(
        default=None, description="Within its construction period: priority support in major special projects."
    )
    priority_support_clause: str | None = None


class MilestoneCheck(_Part):
    measure: str = Field(examples=["cumulative_investment_fen"])
    figure: float | None
    target: float
    met: bool
    name_zh: str | None = None
    from_letter: bool | None = Field(default=None, description="The target is the center's responsibility letter's.")


class MilestoneChecked(EventData):
    producer = "evaluation"
    event_name = "MilestoneChecked"

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    milestone: str = Field(examples=["two_years", "five_years", "end_of_construction"])
    met: bool
    checks: list[MilestoneCheck]
    year: int | None = None
    revision: int = Field(default=1, ge=1)


class AcceptanceCompleted(EventData):
    producer = "evaluation"
    event_name = "AcceptanceCompleted"

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    passed: bool
    reasons: list[str] = Field(default_factory=list, description="In Chinese; `reasons_en` in English.")
    reasons_en: list[str] = Field(default_factory=list)
    year: int | None = None
    grade: Grade | None = Field(default=None, description="The grade of the acceptance year's evaluation.")
    revision: int = Field(default=1, ge=1)


class _PlanFigure(EventData):
    producer = "evaluation"

    report_id: uuid.UUID
    plan: str = Field(examples=["linhai-315-2023"])
    jurisdiction: str = Field(examples=["linhai"])
    indicator: str = Field(examples=["rd_intensity"])
    year: int = Field(ge=1949, le=2200)
    value: str = Field(examples=["3.4"], description="The figure as a decimal string, in the indicator's unit.")
    unit: str = Field(examples=["percent"])
    revision: int = Field(ge=1, description="1 for the first figure of the year; a correction is the next.")
    department: str = Field(examples=["linhai.science_technology"], description="The lead department.")
    plan_title_zh: str
    plan_title_en: str
    name_zh: str = Field(description="The indicator's name.")
    name_en: str
    unit_zh: str = Field(examples=["%"])
    unit_en: str = Field(examples=["%"])
    department_zh: str
    department_en: str


class IndicatorReported(_PlanFigure):
    """A department reported a plan indicator's figure of a year; it awaits the bureau."""

    event_name = "IndicatorReported"

    reported_by: str
    correction_reason: str | None = Field(default=None, description="Why an accepted figure is being corrected.")


class IndicatorAccepted(_PlanFigure):
    """The bureau accepted a reported figure: it now counts for the indicator's progress."""

    event_name = "IndicatorAccepted"

    accepted_by: str


class TargetAtRisk(EventData):
    """An indicator's progress turned to behind: the lead department and the bureau are told once per turn."""

    producer = "evaluation"
    event_name = "TargetAtRisk"

    plan: str = Field(examples=["linhai-315-2023"])
    jurisdiction: str = Field(examples=["linhai"])
    indicator: str = Field(examples=["rd_intensity"])
    name_zh: str
    name_en: str
    department: str = Field(description="The lead department.")
    co_departments: list[str] = Field(default_factory=list)
    latest_year: int | None = None
    latest_value: str | None = None
    expected: str | None = Field(default=None, description="Where the path says the figure should be by now.")
    target_year: int
    target: str
    reason_zh: str
    reason_en: str
    plan_title_zh: str
    plan_title_en: str
    unit_zh: str = Field(examples=["%"])
    unit_en: str = Field(examples=["%"])
    department_zh: str
    department_en: str


# ---- funding ----


class _GrantEvent(EventData):
    producer = "funding"

    grant_id: uuid.UUID
    center_id: uuid.UUID
    policy: str = Field(examples=["ningbo-tic-2022"])
    funding_year: int = Field(ge=1)
    amount_fen: int = Field(ge=0)
    trace_id: uuid.UUID | None = None
    jurisdiction: str | None = Field(default=None, examples=["ningbo"])
    district: str | None = Field(default=None, examples=["yinzhou"], description="The center's district.")
    budget_year: int | None = Field(default=None, description="The calendar year whose budget the grant draws on.")
    trigger: str | None = Field(default=None, description="The award event of a one-off award, if it is one.")


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
    non_compliant_spent_fen: int | None = Field(default=None, ge=0)
    reason_event_type: str | None = Field(default=None, examples=["tic.registry.CenterDelisted.v1"])
    district: str | None = Field(default=None, examples=["yinzhou"], description="The center's district.")


class ClawbackReversed(EventData):
    """A clawback undone because the ending behind it was reversed (CenterReinstated)."""

    producer = "funding"
    event_name = "ClawbackReversed"

    clawback_id: uuid.UUID
    center_id: uuid.UUID
    amount_fen: int = Field(ge=0, description="What the reversed order asked for.")
    repaid_fen: int = Field(ge=0, description="What was repaid on it before the reversal, to be settled.")
    reason_event_id: uuid.UUID = Field(description="The CenterReinstated event.")
    district: str | None = Field(default=None, examples=["yinzhou"])


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
    subscription_id: uuid.UUID | None = Field(default=None, description="The webhook subscription, if any.")


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
    CenterReinstated,
    EvaluationCompleted,
    EvaluationFailed,
    EvaluationExcellent,
    MilestoneChecked,
    AcceptanceCompleted,
    IndicatorReported,
    IndicatorAccepted,
    TargetAtRisk,
    SubsidyCalculated,
    SubsidyApproved,
    SubsidyDisbursed,
    ClawbackOrdered,
    ClawbackReversed,
    BudgetExceeded,
    DeliveryDeadLettered,
)

BY_TYPE: dict[str, type[EventData]] = {model.ce_type(): model for model in CATALOG}
