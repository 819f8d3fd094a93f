"""Request and response bodies of the registry API; validation here names the field that is wrong."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from registry.domain.credit_code import validate_credit_code
from registry.domain.policy import plan_outline, registry_policy
from tic_shared.bounds import MAX_COUNT, MAX_FEN
from tic_shared.request_model import RequestModel
from tic_shared.vocabulary import CenterStatus, Email, LeadUnitType, Origin, Tier
from tic_shared.vocabulary import Field as TicField

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class _In(RequestModel):
    def stored(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The named fields (all by default) as the registry keeps them: enums by their value, nested parts as
        JSON without the keys left empty."""
        return {name: _stored(getattr(self, name)) for name in (type(self).model_fields if names is None else names)}

    def values(self) -> dict[str, Any]:
        """Every field as it was validated (dates as dates, enums as enums): the keyword arguments of the use case
        the request is for, which names its parameters after the body's fields."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def given(self, *among: str) -> dict[str, Any]:
        """`stored` of the fields the request gave (explicit nulls included), of `among` when named."""
        return self.stored(name for name in self.model_fields_set if not among or name in among)


def _stored(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [_stored(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _credit_code(value: str) -> str:
    check = validate_credit_code(value)
    if not check.valid:
        raise PydanticCustomError(
            "credit_code", "not a valid unified social credit code: {detail}", {"detail": check.detail}
        )
    return value


def _district(value: str) -> str:
    if value not in registry_policy().districts:
        known = ", ".join(sorted(registry_policy().districts))
        raise PydanticCustomError(
            "district", "unknown district '{value}'; one of: {known}", {"value": value, "known": known}
        )
    return value


class LeadUnit(_In):
    name: Text = Field(examples=["宁波甬新材料科技有限公司"])
    credit_code: str = Field(examples=["91330200MA2H4R5T0L"], description="Unified social credit code (GB 32100)")
    type: LeadUnitType

    _check_code = field_validator("credit_code")(_credit_code)


class CoBuilder(_In):
    name: Text
    credit_code: str | None = Field(default=None, description="Checked when given")
    type: LeadUnitType

    @field_validator("credit_code")
    @classmethod
    def _check(cls, value: str | None) -> str | None:
        return None if value is None else _credit_code(value)


class Contact(_In):
    name: Text
    email: Email | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{5,30}$")] | None = None
    role: Text = Field(examples=["联系人"])


class PlanItem(_In):
    code: Text
    text: LongText


class PlanSection(_In):
    code: Text = Field(description="A section code of the construction-plan outline (001 attachment 2)")
    text: LongText
    items: list[PlanItem] = Field(default_factory=list, max_length=50)


class Milestone(_In):
    investment_fen: int = Field(ge=0, le=MAX_FEN)
    team: int = Field(ge=0, le=MAX_COUNT)
    high_level_teams: int = Field(ge=0, le=MAX_COUNT)


class EndOfConstruction(_In):
    transfer_bases: int = Field(ge=0, le=MAX_COUNT)
    partner_enterprises: int = Field(ge=0, le=MAX_COUNT)
    spinoffs: int = Field(ge=0, le=MAX_COUNT)
    enterprises_served: int = Field(ge=0, le=MAX_COUNT)


class IndicatorAdjustments(_In):
    """The responsibility letter's changes to the indicator system for this center (checked by evaluation)."""

    weights: dict[str, Decimal] = Field(default_factory=dict)
    targets: dict[str, int] = Field(default_factory=dict)


class Targets(_In):
    """The construction responsibility letter (建设责任书): 2-year, 5-year and end-of-construction figures."""

    year_2: Milestone | None = None
    year_5: Milestone | None = None
    end_of_construction: EndOfConstruction | None = None
    indicator_adjustments: IndicatorAdjustments = Field(default_factory=IndicatorAdjustments)


class Member(_In):
    name: Text
    title: Text | None = None
    affiliation: Text | None = None
    role: Text = Field(examples=["主任", "成员"])


class GovernanceBody(_In):
    kind: Literal["council", "board", "director", "chief_scientist", "expert_committee"]
    members: list[Member] = Field(min_length=1, max_length=100)
    term_start: date
    term_end: date

    @model_validator(mode="after")
    def _term(self) -> Self:
        if self.term_end < self.term_start:
            raise ValueError("term_end is before term_start")
        return self


class Base(_In):
    kind: Literal["core", "base"] = Field(description="One core; any number of bases (001 §2(4))")
    name: Text
    district: str
    address: Text
    host_unit: Text

    _check_district = field_validator("district")(_district)


class _CenterFields(_In):
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = None
    recommender: Text | None = Field(default=None, description="Who recommended it, when recommended")
    industrial_chain: Text | None = Field(default=None, examples=["绿色石化"])
    co_builders: list[CoBuilder] | None = Field(default=None, max_length=50)
    contacts: list[Contact] | None = Field(default=None, max_length=50)
    plan: list[PlanSection] | None = Field(default=None, max_length=7)
    targets: Targets | None = None
    governance: list[GovernanceBody] | None = Field(default=None, max_length=20)
    bases: list[Base] | None = Field(default=None, max_length=100)
    independent_legal_person: bool | None = None

    @field_validator("plan")
    @classmethod
    def _plan(cls, sections: list[PlanSection] | None) -> list[PlanSection] | None:
        if sections is None:
            return None
        outline = {s.code: {i.code for i in s.items} for s in plan_outline()}
        seen: set[str] = set()
        for section in sections:
            if section.code not in outline:
                raise ValueError(f"unknown plan section {section.code!r}; one of: {', '.join(outline)}")
            if section.code in seen:
                raise ValueError(f"plan section {section.code!r} appears twice")
            seen.add(section.code)
            for item in section.items:
                if item.code not in outline[section.code]:
                    raise ValueError(f"unknown item {item.code!r} in plan section {section.code!r}")
        return sections

    @field_validator("bases")
    @classmethod
    def _one_core(cls, bases: list[Base] | None) -> list[Base] | None:
        if bases is not None and sum(base.kind == "core" for base in bases) > 1:
            raise ValueError("a center has exactly one core; the others are bases")
        return bases


class CenterCreate(_CenterFields):
    """A new application (a draft until submitted)."""

    name_zh: Text = Field(examples=["宁波市先进高分子材料技术创新中心"])
    tier: Tier = Tier.MUNICIPAL_TIC
    origin: Origin
    field: TicField
    industrial_chain: Text = Field(examples=["绿色石化"])
    district: str = Field(examples=["zhenhai"])
    lead_unit: LeadUnit

    _check_district = field_validator("district")(_district)

    @model_validator(mode="after")
    def _recommender(self) -> Self:
        if self.origin in registry_policy().recommender_required and not self.recommender:
            raise PydanticCustomError("recommender_required", "recommender is required for a recommended application")
        return self


class CenterUpdate(_CenterFields):
    """Changes to a draft; fields left out stay as they are."""

    name_zh: Text | None = None
    tier: Tier | None = None
    origin: Origin | None = None
    field: TicField | None = None
    district: str | None = None
    lead_unit: LeadUnit | None = None

    @field_validator("district")
    @classmethod
    def _check_district(cls, value: str | None) -> str | None:
        return None if value is None else _district(value)


class ReviewIn(_In):
    passed: bool
    score: Decimal = Field(ge=0, le=100, decimal_places=2)
    opinion: LongText
    experts: list[Text] = Field(min_length=1, max_length=50)
    reviewed_on: date | None = None


class DecisionIn(_In):
    approved: bool
    meeting_ref: Text = Field(examples=["市政府第12次常务会议"])
    decided_on: date
    reason: LongText | None = Field(default=None, description="Required when not approved")

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if not self.approved and not self.reason:
            raise PydanticCustomError("reason_required", "reason is required when the decision is not to approve")
        return self


class PublicNoticeIn(_In):
    starts_on: date


class ObjectionIn(_In):
    summary: LongText
    raised_by: Text
    raised_on: date


class ResolutionIn(_In):
    upheld: bool
    note: LongText
    resolved_on: date


class ApproveIn(_In):
    document_no: Text = Field(examples=["甬政发〔2026〕12号"])
    approved_on: date
    domain_zh: Text | None = Field(
        default=None,
        description="The ××× of the official name (宁波市/威海市/临海市×××技术创新中心, as the district's "
        "jurisdiction names it); the field by default",
    )
    domain_en: Text | None = None
    construction_start: date | None = Field(default=None, description="The approval date by default")
    construction_years: int | None = Field(
        default=None, ge=1, le=50, description="The normal period of the jurisdiction of the district by default"
    )

    @model_validator(mode="after")
    def _domain(self) -> Self:
        if (self.domain_zh is None) != (self.domain_en is None):
            raise PydanticCustomError("domains_together", "domain_zh and domain_en go together")
        return self


class ActIn(_In):
    """An act that needs nothing but its day (submission, start of the review)."""

    on: date | None = Field(default=None, description="The day the act happened; today by default")


class ReasonIn(ActIn):
    reason: LongText


class WithdrawIn(ActIn):
    reason: LongText | None = None


class TierChangeIn(_In):
    to_tier: Tier
    document_no: Text
    changed_on: date


class EndIn(_In):
    """Cancelling (取消创建资格) or delisting (摘牌) a center."""

    reason: LongText
    document_no: Text = Field(examples=["甬科发〔2026〕31号"], description="The bureau's document of the act")
    evidence: list[Text] = Field(default_factory=list, description="Evaluation ids, event ids, documents")
    effective_on: date


class ReinstateIn(_In):
    """Reversing a delisting or cancellation: a correction or a ruling, with its document."""

    document_no: Text = Field(examples=["甬科发〔2027〕3号"])
    decided_on: date
    reason: LongText


class GovernanceChangeIn(_In):
    """A dated change of the governance bodies, the bases or the legal-entity status (001 §4(1), §2(4), §4).

    The lists given replace the current ones; what is left out stays as it is.
    """

    governance: list[GovernanceBody] | None = Field(default=None, max_length=20)
    bases: list[Base] | None = Field(default=None, max_length=100)
    independent_legal_person: bool | None = None
    effective_on: date
    document_no: Text | None = None
    reason: LongText

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.governance is None and self.bases is None and self.independent_legal_person is None:
            raise ValueError("give governance, bases or independent_legal_person")
        if self.bases is not None and sum(base.kind == "core" for base in self.bases) > 1:
            raise ValueError("a center has exactly one core; the others are bases")
        return self


class AcceptanceIn(_In):
    """An acceptance (验收) concluded outside the platform, e.g. before it existed; normally evaluation sends it."""

    passed: bool
    accepted_on: date
    reasons: list[LongText] = Field(default_factory=list, description="Required when not passed")
    evaluation_ref: Text | None = Field(default=None, description="The acceptance report's reference")

    @model_validator(mode="after")
    def _reasons(self) -> Self:
        if not self.passed and not self.reasons:
            raise PydanticCustomError("reasons_required", "reasons are required when the acceptance did not pass")
        return self


class Center(BaseModel):
    id: uuid.UUID
    status: CenterStatus
    allowed_actions: list[str]
    name_zh: str
    name_en: str | None
    official_name_zh: str | None
    official_name_en: str | None
    code: str | None
    tier: Tier
    origin: Origin
    recommender: str | None
    field: TicField
    industrial_chain: str
    district: str
    lead_unit: dict[str, str]
    co_builders: list[dict[str, object]]
    contacts: list[dict[str, object]]
    plan: list[dict[str, object]]
    targets: dict[str, object]
    governance: list[dict[str, object]]
    bases: list[dict[str, object]]
    independent_legal_person: bool
    legal_entity_status: Literal["ok", "near", "passed"] | None = Field(
        description="For an approved center that is not yet an independent legal person: how near its deadline is"
    )
    review: dict[str, object] | None
    decision: dict[str, object] | None
    notice_starts_on: date | None
    notice_ends_on: date | None
    open_objections: int
    document_no: str | None
    approved_on: date | None
    construction_start: date | None
    construction_end: date | None
    ended_on: date | None
    end_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class CenterSummary(BaseModel):
    id: uuid.UUID
    status: CenterStatus
    name_zh: str
    name_en: str | None = None
    official_name_zh: str | None
    official_name_en: str | None = None
    code: str | None
    tier: Tier
    field: TicField
    district: str
    recommender: str | None
    lead_unit_name: str
    lead_unit_credit_code: str
    approved_on: date | None
    construction_end: date | None
    notice_ends_on: date | None = Field(
        default=None, description="While in public notice: the first day approval is possible"
    )
    created_at: datetime


class Validated(BaseModel):
    """An application that creating would accept; nothing was recorded."""

    valid: bool = Field(examples=[True])


class HistoryEntry(BaseModel):
    id: int
    at: datetime = Field(description="When the act was recorded")
    on: date = Field(description="The day the act happened")
    actor: str
    action: str
    from_state: str | None
    to_state: str
    reason: str | None
    details: dict[str, object]
    event_ids: list[str]
    hash: str = Field(description="This entry's link in the center's tamper-evident chain (SHA-256)")


class Objection(BaseModel):
    id: uuid.UUID
    center_id: uuid.UUID
    summary: str
    raised_by: str
    raised_on: date
    status: Literal["open", "upheld", "dismissed"]
    resolution_note: str | None
    resolved_on: date | None


class Counts(BaseModel):
    by: str
    counts: dict[str, int]
    total: int


class Deadline(BaseModel):
    center: CenterSummary
    kind: Literal["legal_entity", "construction_end"]
    deadline: date
    days_left: int
    status: Literal["near", "passed"]


class ProgramTargetProgress(BaseModel):
    tier: Tier
    target: int
    measure: Literal["new", "total"]
    counted_from: date | None
    live_count: int
    remaining: int
    note: str
    clause: str


class ProgramTargets(BaseModel):
    jurisdiction: str
    year: int
    counted_in: str = Field(description="Whose centers were counted: the whole registry or one district")
    targets: list[ProgramTargetProgress]
