"""Request and response bodies of the funding API; money is integer fen everywhere."""

import uuid
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, Union, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from funding.domain.calculator import Quote, SubsidyInputs, TraceStep
from funding.domain.grants import GRANTS_STOPPED_STATUSES, GrantStatus, allowed_actions
from funding.domain.policy import Policy, load_policies
from funding.service.budgets import BudgetStanding, YearStanding
from funding.service.caps import CapStanding
from funding.service.history import FundingHistory as CenterFunding
from funding.service.ledger import LedgerPage, LedgerStanding, RecordedSpending
from funding.store.records import CenterRecord, LedgerEntryRecord, LocatedClawback, LocatedGrant
from tic_shared.bounds import Fen, PositiveFen
from tic_shared.pagination import Page, page_of
from tic_shared.request_model import RequestModel
from tic_shared.vocabulary import CenterStatus, Grade, LeadUnitType, Tier, Trigger

T = TypeVar("T")
R = TypeVar("R")


# ---- the vocabulary's words ----

# The statuses in the order the quote's schema has always listed them.
_STATUSES_AS_PUBLISHED = (
    CenterStatus.DRAFT,
    CenterStatus.SUBMITTED,
    CenterStatus.UNDER_REVIEW,
    CenterStatus.REVIEWED,
    CenterStatus.DECIDED,
    CenterStatus.REJECTED,
    CenterStatus.WITHDRAWN,
    CenterStatus.PUBLIC_NOTICE,
    CenterStatus.OBJECTION_REVIEW,
    CenterStatus.BUILDING,
    CenterStatus.OPERATING,
    CenterStatus.CANCELLED,
    CenterStatus.DELISTED,
)
if set(_STATUSES_AS_PUBLISHED) != set(CenterStatus):
    raise RuntimeError("a center status is missing from the funding quote's list of statuses")


def _spelled_out(words: Iterable[StrEnum]) -> Any:
    return Literal[tuple(word.value for word in words)]


# The funding contract spells the vocabulary's words out where a field takes them (no shared schema to refer to),
# and takes and gives them as plain strings, as it always has; the type checker sees the vocabulary's enums.
if TYPE_CHECKING:
    TierWord = Tier
    StatusWord = CenterStatus
    GradeWord = Grade
    LeadUnitWord = LeadUnitType
    TriggerWord = Trigger
else:
    TierWord = _spelled_out(Tier)
    StatusWord = _spelled_out(_STATUSES_AS_PUBLISHED)
    GradeWord = _spelled_out(Grade)
    LeadUnitWord = _spelled_out(LeadUnitType)
    TriggerWord = _spelled_out(Trigger)


class _Request(RequestModel):
    # Amounts are strict (Fen); dates and ids come as JSON strings, so the model as a whole cannot be.
    pass


# ---- quotes ----


class _QuoteBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    tier: TierWord

    def inputs(self) -> SubsidyInputs:
        return SubsidyInputs.model_validate(self.model_dump(exclude={"policy"}))


class InvestmentShareQuote(_QuoteBody):
    """What a capability-investment-share policy reads (e.g. ningbo-tic-2022, 001 §3(4)): the year's verified
    investment, the funding year, the registry status, the previous grade, what was granted, any overlap."""

    status: StatusWord
    funding_year: Annotated[int, Field(ge=1, le=100)]
    verified_investment_fen: Fen = 0
    previous_grade: GradeWord | None = None
    granted_so_far_fen: Fen = 0
    overlapping_grant_fen: Fen = 0


class OneOffAwardQuote(_QuoteBody):
    """What a one-off award policy reads (e.g. weihai-2018, 003 §4(3)): the award event, who leads the center,
    and the awards it already received."""

    lead_unit_type: LeadUnitWord
    trigger: TriggerWord
    awards_already_received: list[TriggerWord] = Field(default_factory=list, max_length=10)


_BODY_OF_RULE: dict[str, type[_QuoteBody]] = {
    "capability_investment_share": InvestmentShareQuote,
    "one_off_awards": OneOffAwardQuote,
}
_EXAMPLES: dict[str, dict[str, Any]] = {
    "capability_investment_share": {
        "tier": "municipal_tic",
        "status": "building",
        "funding_year": 1,
        "verified_investment_fen": 2_000_000_000,
    },
    "one_off_awards": {"tier": "municipal_tic", "lead_unit_type": "enterprise", "trigger": "municipal_tic_established"},
}


def _quote_body(policy: Policy) -> type[_QuoteBody]:
    """The request of one policy: its code as the discriminator, and the fields its rule reads, nothing more."""
    base = _BODY_OF_RULE[policy.rule.kind]
    name = "Quote_" + "".join(part.capitalize() for part in policy.code.replace("-", "_").split("_"))
    code: Any = Literal[policy.code]  # a type made from data: one literal per policy file
    model = cast(
        type[_QuoteBody],
        create_model(name, __base__=base, __doc__=f"A quote under {policy.code}: {base.__doc__}", policy=(code, ...)),
    )
    model.model_config["json_schema_extra"] = {"examples": [{"policy": policy.code, **_EXAMPLES[policy.rule.kind]}]}
    return model


# The body is shaped by the policy it names: each policy asks for what its rule reads and refuses the rest.
QUOTE_BODIES = tuple(_quote_body(policy) for policy in sorted(load_policies().values(), key=lambda p: p.code))
QuoteRequest = Annotated[Union[QUOTE_BODIES], Field(discriminator="policy")]  # type: ignore[valid-type]  # noqa: UP007


class QuoteResponse(BaseModel):
    policy: str
    amount_fen: int
    trace: list[TraceStep]

    @classmethod
    def of(cls, result: Quote) -> "QuoteResponse":
        return cls(policy=result.policy_code, amount_fen=result.amount_fen, trace=result.trace)


class PolicySummary(BaseModel):
    code: str
    jurisdiction: str
    title_zh: str
    title_en: str
    effective_from: str
    effective_to: str | None
    rule_kind: str

    @classmethod
    def of(cls, policy: Policy) -> "PolicySummary":
        return cls(
            code=policy.code,
            jurisdiction=policy.jurisdiction,
            title_zh=policy.title.zh,
            title_en=policy.title.en,
            effective_from=policy.effective.starts_on.isoformat(),
            effective_to=policy.effective.ends_on.isoformat() if policy.effective.ends_on else None,
            rule_kind=policy.rule.kind,
        )


# ---- grants ----


class GrantTrace(BaseModel):
    policy_code: str
    amount_fen: int
    inputs: dict[str, Any] = Field(description="What the calculation took, from the projection and the request.")
    steps: list[TraceStep]


class Grant(BaseModel):
    grant_id: uuid.UUID
    center_id: uuid.UUID
    district: str | None = None
    policy: str
    jurisdiction: str
    funding_year: int
    budget_year: int
    trigger: TriggerWord | None
    status: GrantStatus
    allowed_actions: list[str]
    verified_investment_fen: int | None
    overlapping_grant_fen: int | None
    amount_fen: int | None
    trace_id: uuid.UUID | None
    trace: GrantTrace | None = None
    version: int
    opened_at: datetime
    opened_by: str
    calculated_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    disbursed_at: datetime | None
    disbursed_by: str | None
    stopped_at: datetime | None

    @classmethod
    def of(cls, located: LocatedGrant, *, with_trace: bool = True) -> "Grant":
        row = located.record
        status = GrantStatus(row.status)
        return cls(
            grant_id=row.grant_id,
            center_id=row.center_id,
            district=located.district,
            policy=row.policy_code,
            jurisdiction=row.jurisdiction,
            funding_year=row.funding_year,
            budget_year=row.budget_year,
            trigger=cast(Trigger | None, row.trigger),
            status=status,
            allowed_actions=allowed_actions(status),
            verified_investment_fen=row.verified_investment_fen,
            overlapping_grant_fen=row.overlapping_grant_fen,
            amount_fen=row.amount_fen,
            trace_id=row.trace_id,
            trace=GrantTrace.model_validate(row.trace) if with_trace and row.trace is not None else None,
            version=row.version,
            opened_at=row.opened_at,
            opened_by=row.opened_by,
            calculated_at=row.calculated_at,
            approved_at=row.approved_at,
            approved_by=row.approved_by,
            disbursed_at=row.disbursed_at,
            disbursed_by=row.disbursed_by,
            stopped_at=row.stopped_at,
        )


class OpenGrant(_Request):
    center_id: uuid.UUID
    policy: Annotated[str | None, Field(max_length=60)] = None
    funding_year: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    trigger: TriggerWord | None = None


class CalculateGrant(_Request):
    """Only what the bureau verifies; tier, status, lead unit and grade come from the projection."""

    verified_investment_fen: Fen | None = None
    overlapping_grant_fen: Fen = 0


# ---- centers and the ledger ----


class Center(BaseModel):
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

    @classmethod
    def of(cls, center: CenterRecord) -> "Center":
        return cls.model_validate(center, from_attributes=True)


class NewExpenditure(_Request):
    category: Annotated[str, Field(min_length=1, max_length=40, examples=["equipment"])]
    amount_fen: PositiveFen
    spent_on: date | None = None
    description: Annotated[str | None, Field(max_length=1000)] = None


class LedgerEntry(BaseModel):
    entry_id: uuid.UUID
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

    @classmethod
    def of(cls, entry: LedgerEntryRecord) -> "LedgerEntry":
        return cls.model_validate(entry, from_attributes=True)


class LedgerSummary(BaseModel):
    """专账: what was disbursed, spent compliantly and not, repaid, and what is left."""

    disbursed_fen: int
    compliant_spent_fen: int
    non_compliant_spent_fen: int
    repaid_fen: int
    balance_fen: int = Field(description="disbursed − spent − repaid; negative when more was booked than paid.")

    @classmethod
    def of(cls, standing: LedgerStanding) -> "LedgerSummary":
        balance, repaid_fen = standing.balance, standing.repaid_fen
        return cls(
            disbursed_fen=balance.disbursed_fen,
            compliant_spent_fen=balance.compliant_spent_fen,
            non_compliant_spent_fen=balance.non_compliant_spent_fen,
            repaid_fen=repaid_fen,
            balance_fen=balance.balance_fen - repaid_fen,
        )


class RecordedExpenditure(BaseModel):
    entry: LedgerEntry
    flagged_non_compliant: bool
    ledger: LedgerSummary

    @classmethod
    def of(cls, recorded: RecordedSpending) -> "RecordedExpenditure":
        return cls(
            entry=LedgerEntry.of(recorded.entry),
            flagged_non_compliant=not recorded.entry.compliant,
            ledger=LedgerSummary.of(recorded.standing),
        )


class Ledger(BaseModel):
    center_id: uuid.UUID
    summary: LedgerSummary
    items: list[LedgerEntry]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: LedgerPage, *, limit: int) -> "Ledger":
        entries = page_of(
            Page[LedgerEntry], page.entries, limit=limit, present=LedgerEntry.of, position=lambda e: {"n": e.n}
        )
        return cls(
            center_id=page.center_id,
            summary=LedgerSummary.of(page.standing),
            items=entries.items,
            next_cursor=entries.next_cursor,
        )


# ---- clawbacks ----


class Clawback(BaseModel):
    clawback_id: uuid.UUID
    center_id: uuid.UUID
    district: str | None = None
    reason_event_id: uuid.UUID
    reason_event_type: str
    reason: str | None
    disbursed_fen: int
    compliant_spent_fen: int
    non_compliant_spent_fen: int
    amount_fen: int = Field(description="disbursed − compliant spending, never negative.")
    repaid_fen: int
    outstanding_fen: int
    status: str = Field(examples=["outstanding", "repaid", "nothing_due", "reversed"])
    version: int
    ordered_at: datetime
    repaid_at: datetime | None

    @classmethod
    def of(cls, located: LocatedClawback) -> "Clawback":
        row = located.record
        owed = row.amount_fen - row.repaid_fen
        return cls.model_validate({**asdict(row), "district": located.district, "outstanding_fen": owed})


class NewRepayment(_Request):
    amount_fen: PositiveFen
    repaid_on: date | None = None


# ---- budgets and totals ----


class BudgetPut(_Request):
    budget_fen: Fen


class Budget(BaseModel):
    jurisdiction: str
    year: int
    budget_fen: int
    committed_fen: int = Field(
        description="Approved and disbursed grants drawing on this budget; for a district officer or a center, "
        "only the grants it may see."
    )
    disbursed_fen: int = Field(description="Disbursed grants; scoped as committed_fen.")
    remaining_fen: int | None = Field(
        description="budget − committed; null for a caller who does not see every grant of the jurisdiction."
    )
    version: int
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, standing: BudgetStanding) -> "Budget":
        # What the caller's reach draws on the budget, not the budget's running total of every grant.
        drawn = {"committed_fen": standing.committed_fen, "disbursed_fen": standing.disbursed_fen}
        return cls.model_validate({**asdict(standing.budget), **drawn, "remaining_fen": standing.remaining_fen})


class JurisdictionTotal(BaseModel):
    jurisdiction: str
    budget_year: int
    grants: int
    calculated_fen: int = Field(description="Calculated, not yet approved.")
    committed_fen: int
    disbursed_fen: int
    budget_fen: int | None
    remaining_fen: int | None
    within_budget: bool | None

    @classmethod
    def of(cls, standing: YearStanding) -> "JurisdictionTotal":
        return cls.model_validate(
            {
                **asdict(standing.totals),
                "budget_fen": standing.budget_fen,
                "remaining_fen": standing.remaining_fen,
                "within_budget": standing.within_budget,
            }
        )


class CenterCap(BaseModel):
    center_id: uuid.UUID
    district: str
    center_status: str = Field(description="The center's status as funding last heard it.")
    grants_stopped: bool = Field(
        description="The center was delisted or cancelled: its grants have stopped, whatever room its cap would "
        "leave (`room_left_fen` still says what the cap alone would)."
    )
    policy: str
    granted_fen: int = Field(description="Calculated, approved and disbursed grants under the policy.")
    disbursed_fen: int
    total_cap_fen: int | None
    room_left_fen: int | None

    @classmethod
    def of(cls, standing: CapStanding) -> "CenterCap":
        cap = {"total_cap_fen": standing.total_cap_fen, "room_left_fen": standing.room_left_fen}
        stopped = standing.granted.center_status in GRANTS_STOPPED_STATUSES
        return cls.model_validate({**asdict(standing.granted), **cap, "grants_stopped": stopped})


# ---- funding history ----


class FundingHistory(BaseModel):
    center: Center
    grants: list[Grant]
    ledger: LedgerSummary
    clawback: Clawback | None
    caps: list[CenterCap]

    @classmethod
    def of(cls, history: CenterFunding) -> "FundingHistory":
        return cls(
            center=Center.of(history.center),
            grants=[Grant.of(grant) for grant in history.grants],
            ledger=LedgerSummary.of(history.ledger),
            clawback=None if history.clawback is None else Clawback.of(history.clawback),
            caps=[CenterCap.of(cap) for cap in history.caps],
        )


# ---- simulation ----


class SimulationRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"policy": "ningbo-tic-2022", "overrides": {"rate": "0.25"}, "on": "2027-06-30"}]
        },
    )

    policy: Annotated[str, Field(min_length=1, max_length=60)]
    overrides: dict[str, Any] = Field(default_factory=dict, description="Rule parameters of the variant, by name.")
    on: date | None = Field(default=None, description="The day whose funding year is run; today by default.")
    budget_fen: Fen | None = Field(default=None, description="Default: the stored budget of that calendar year.")
    assumed_investment_fen: Fen = Field(
        default=0, description="The investment of a center whose grant for that year has none verified yet."
    )
    trigger: TriggerWord | None = None
