"""A grant's life (补助) per center, policy and funding year: opened, calculated, approved, disbursed, or stopped."""

from datetime import date
from enum import StrEnum

from funding.domain.calculator import _add_months, funding_year_of
from funding.domain.policy import CapabilityInvestmentShareRule, OneOffAwardsRule, Policy
from tic_shared.vocabulary import CenterStatus, Tier, Trigger


class GrantStatus(StrEnum):
    AWAITING_INVESTMENT = "awaiting_investment"  # opened; the verified investment is not in yet
    CALCULATED = "calculated"
    APPROVED = "approved"
    DISBURSED = "disbursed"
    STOPPED = "stopped"  # the center was delisted or cancelled before it was paid


class GrantAction(StrEnum):
    CALCULATE = "calculate"
    APPROVE = "approve"
    DISBURSE = "disburse"
    STOP = "stop"


_ALLOWED: dict[GrantStatus, tuple[GrantAction, ...]] = {
    GrantStatus.AWAITING_INVESTMENT: (GrantAction.CALCULATE, GrantAction.STOP),
    GrantStatus.CALCULATED: (GrantAction.CALCULATE, GrantAction.APPROVE, GrantAction.STOP),
    GrantStatus.APPROVED: (GrantAction.DISBURSE, GrantAction.STOP),
    GrantStatus.DISBURSED: (),
    GrantStatus.STOPPED: (),
}

_AFTER: dict[GrantAction, GrantStatus] = {
    GrantAction.CALCULATE: GrantStatus.CALCULATED,
    GrantAction.APPROVE: GrantStatus.APPROVED,
    GrantAction.DISBURSE: GrantStatus.DISBURSED,
    GrantAction.STOP: GrantStatus.STOPPED,
}

# Grants that count against the total cap, the once-per-center rule and the budget once they carry an amount.
LIVE_STATUSES = (GrantStatus.CALCULATED, GrantStatus.APPROVED, GrantStatus.DISBURSED)
COMMITTED_STATUSES = (GrantStatus.APPROVED, GrantStatus.DISBURSED)
OPEN_STATUSES = (GrantStatus.AWAITING_INVESTMENT, GrantStatus.CALCULATED, GrantStatus.APPROVED)


class TransitionRefused(ValueError):
    def __init__(self, status: GrantStatus, action: GrantAction) -> None:
        self.status = status
        self.action = action
        self.allowed = [a.value for a in _ALLOWED[status]]
        super().__init__(
            f"a grant that is {status.value} cannot {action.value}; allowed: {', '.join(self.allowed) or 'nothing'}"
        )


def allowed_actions(status: GrantStatus) -> list[str]:
    return [a.value for a in _ALLOWED[status]]


def transition(status: GrantStatus, action: GrantAction) -> GrantStatus:
    """The status after `action`, or TransitionRefused naming the current state and what it allows."""
    if action not in _ALLOWED[status]:
        raise TransitionRefused(status, action)
    return _AFTER[action]


def takes_investment(policy: Policy) -> bool:
    """Whether the policy's grants wait for a verified investment (the share rule) or are fixed awards."""
    return isinstance(policy.rule, CapabilityInvestmentShareRule)


def opens_on_approval(policy: Policy, tier: str) -> bool:
    """CenterApproved opens the year-1 grant of a share policy when the data makes the tier eligible."""
    return isinstance(policy.rule, CapabilityInvestmentShareRule) and tier in policy.rule.eligible_tiers.value


def months_per_funding_year(policy: Policy) -> int | None:
    """How long a funding year lasts under the policy; None for policies that have no funding years."""
    if isinstance(policy.rule, CapabilityInvestmentShareRule):
        return policy.rule.funding_year_months.value
    return None


def funding_year_starts_on(approved_on: date, funding_year: int, months_per_year: int) -> date:
    """The first day of funding year k: k−1 funding years after approval."""
    return _add_months(approved_on, (funding_year - 1) * months_per_year)


def funding_year_at(*, approved_on: date | None, policy: Policy, on: date) -> int:
    """The funding year running on `on` under the policy; 1 before the approval or when it is unknown."""
    if approved_on is None or on < approved_on:
        return 1
    return funding_year_of(approved_on, on, months_per_year=months_per_funding_year(policy) or 12)


def budget_year(*, approved_on: date | None, funding_year: int, months_per_year: int | None, fallback: date) -> int:
    """The calendar year whose program budget a grant draws on: the year its funding year starts.

    A grant without a funding-year clock (a one-off award, or a center whose approval date is unknown) draws
    on the year of `fallback` (the day of the event that triggered it).
    """
    if approved_on is None or months_per_year is None:
        return fallback.year
    return funding_year_starts_on(approved_on, funding_year, months_per_year).year


_TIER_TRIGGERS: dict[str, Trigger] = {
    Tier.MUNICIPAL_TIC: Trigger.MUNICIPAL_TIC_ESTABLISHED,
    Tier.PROVINCIAL_TIC: Trigger.RECOGNIZED_AS_PROVINCIAL_TIC,
    Tier.NATIONAL_TIC: Trigger.RECOGNIZED_AS_NATIONAL_TIC,
}

# A center delisted or cancelled is paid nothing more: its open grants stop and it is ordered to pay back
# (`service.clawbacks.order_clawback`), whatever room its policy's cap would leave.
GRANTS_STOPPED_STATUSES = frozenset({CenterStatus.DELISTED, CenterStatus.CANCELLED})

# A center in one of these states is over: a late approval opens nothing for it.
ENDED_STATUSES = frozenset(
    {CenterStatus.CANCELLED, CenterStatus.DELISTED, CenterStatus.REJECTED, CenterStatus.WITHDRAWN}
)


def award_trigger(policy: Policy, tier: str) -> Trigger | None:
    """The one-off award event a center reaching `tier` triggers under an award policy, if it has one."""
    if not isinstance(policy.rule, OneOffAwardsRule):
        return None
    trigger = _TIER_TRIGGERS.get(tier)
    if trigger is None or not any(a.trigger == trigger for a in policy.rule.awards):
        return None
    return trigger
