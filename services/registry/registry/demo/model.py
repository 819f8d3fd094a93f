"""What a demo center is made of, and the lifecycle steps that bring it to its stage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from registry.domain.lifecycle import Action, ApprovalCheck, Outcome, State, Step, public_notice_end
from registry.domain.naming import Domain
from registry.domain.policy import Field, LeadUnitType, Milestone, Origin, Tier, jurisdiction_of_district


@dataclass(frozen=True)
class Unit:
    """A lead unit or co-builder (依托单位 / 共建单位)."""

    name: str
    credit_code: str
    type: LeadUnitType
    district: str


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    role: str


@dataclass(frozen=True)
class Recommender:
    """Who recommended the application (推荐单位): a district government or committee, or a department."""

    kind: str
    name: str
    district: str | None


@dataclass(frozen=True)
class PlanItem:
    code: str
    title_zh: str
    text: str


@dataclass(frozen=True)
class PlanSection:
    """One section of the construction plan, following plan-outline.toml."""

    number: int
    code: str
    title_zh: str
    text: str
    items: tuple[PlanItem, ...] = ()


@dataclass(frozen=True)
class EndTargets:
    transfer_bases: int
    partner_enterprises: int
    spinoffs: int
    enterprises_served: int


@dataclass(frozen=True)
class ResponsibilityTargets:
    """The targets of the construction responsibility letter (建设责任书); money in fen."""

    year_2: Milestone
    year_5: Milestone
    end_of_construction: EndTargets


@dataclass(frozen=True)
class Member:
    name: str
    title: str
    affiliation: str
    role: str


@dataclass(frozen=True)
class GovernanceBody:
    """council (理事会), director (主任), chief_scientist (首席科学家) or expert_committee (专家委员会)."""

    kind: str
    members: tuple[Member, ...]
    term_start: date
    term_end: date


@dataclass(frozen=True)
class Base:
    """The core (强核心) or one of the bases (多基地) of a center."""

    kind: str
    name: str
    district: str
    address: str
    host_unit: str


@dataclass(frozen=True)
class Actor:
    role: str
    name: str


@dataclass(frozen=True)
class ExpertReview:
    """The expert panel's review (论证) of the construction plan."""

    passed: bool
    score: int
    opinion: str
    experts: tuple[str, ...]


@dataclass(frozen=True)
class DemoStep:
    """One lifecycle action, with what the service needs to record it."""

    action: Action
    on: date
    actor: Actor
    outcome: Outcome | None = None
    reason: str | None = None
    meeting_ref: str | None = None
    document_no: str | None = None
    review: ExpertReview | None = None
    objection: str | None = None
    from_tier: Tier | None = None
    to_tier: Tier | None = None
    construction_years: int | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCenter:
    id: uuid.UUID
    key: str
    name_zh: str
    name_en: str
    domain: Domain
    field: Field
    industrial_chain: str
    tier: Tier
    district: str
    origin: Origin
    recommender: Recommender | None
    lead_unit: Unit
    co_builders: tuple[Unit, ...]
    contacts: tuple[Contact, ...]
    plan: tuple[PlanSection, ...]
    targets: ResponsibilityTargets
    governance: tuple[GovernanceBody, ...]
    bases: tuple[Base, ...]
    independent_legal_person: bool
    created_on: date
    steps: tuple[DemoStep, ...]
    final_state: State

    @property
    def final_tier(self) -> Tier:
        """The tier after the last tier change, if any."""
        changes = [s.to_tier for s in self.steps if s.action == Action.CHANGE_TIER and s.to_tier]
        return changes[-1] if changes else self.tier


def lifecycle_steps(center: DemoCenter) -> list[Step]:
    """The center's actions as lifecycle Steps, approval carrying its guard's facts."""
    steps: list[Step] = []
    notice_start: date | None = None
    dismissed: date | None = None
    for s in center.steps:
        approval = None
        if s.action == Action.START_PUBLIC_NOTICE:
            notice_start = s.on
        if s.action == Action.RESOLVE_OBJECTION and s.outcome == Outcome.DISMISSED:
            dismissed = s.on
        if s.action == Action.APPROVE:
            assert notice_start is not None, "approval without a public notice"
            end = public_notice_end(jurisdiction_of_district(center.district), notice_start, last_dismissal=dismissed)
            approval = ApprovalCheck(today=s.on, notice_end=end, open_objections=0)
        steps.append(Step(s.action, s.outcome, approval))
    return steps
