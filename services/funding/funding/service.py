"""Funding's use cases: projections from events, grants, the budget, the ledger and clawbacks. Never commits."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.calculator import Quote, SubsidyInputs, funding_year_of, quote
from funding.domain.grants import (
    GrantAction,
    GrantStatus,
    TransitionRefused,
    award_trigger,
    budget_year,
    months_per_funding_year,
    opens_on_approval,
    takes_investment,
    transition,
)
from funding.domain.jurisdictions import Jurisdictions, packaged_jurisdictions, policies_of
from funding.domain.ledger import (
    BudgetExceededError,
    ExpenditureCategory,
    LedgerBalance,
    UnknownCategoryError,
    category_of,
    check_budget,
    clawback_fen,
    load_expenditure_categories,
)
from funding.domain.policy import Policy, load_policies
from funding.domain.simulation import SimulationResult, simulate
from funding.domain.terms import Trigger
from funding.store import queries
from funding.store.queries import AnyRow
from funding.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.bounds import MAX_FEN
from tic_shared.dated_acts import DatedAct, DateRefused, check_act_date
from tic_shared.dated_acts import today as local_today
from tic_shared.db import Database
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    BudgetExceeded,
    ClawbackOrdered,
    ClawbackReversed,
    RegistryEvent,
    SubsidyApproved,
    SubsidyCalculated,
    SubsidyDisbursed,
)
from tic_shared.events.envelope import EventData
from tic_shared.http import check_if_match, etag_for
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, NotFound, Problem, TransitionConflict


@dataclass(frozen=True)
class Rules:
    """The data the service runs on, loaded and validated once: policies, categories, jurisdictions."""

    policies: Mapping[str, Policy]
    categories: Mapping[str, ExpenditureCategory]
    jurisdictions: Jurisdictions


@cache
def rules() -> Rules:
    loaded = Rules(
        policies=load_policies(),
        categories=load_expenditure_categories(),
        jurisdictions=packaged_jurisdictions(),
    )
    # The jurisdiction files name their subsidy policies; each must be a loaded policy of that jurisdiction, and
    # each policy must belong to a known jurisdiction (a jurisdiction may have none, e.g. Linhai's text pays none).
    for code, jurisdiction in loaded.jurisdictions.by_code.items():
        for policy_code in jurisdiction.subsidy.policies:
            policy = loaded.policies.get(policy_code)
            if policy is None or policy.jurisdiction != code:
                raise ValueError(f"jurisdiction {code!r} names the policy {policy_code!r}, which is not its own file")
    for policy in loaded.policies.values():
        if policy.jurisdiction not in loaded.jurisdictions.by_code:
            raise ValueError(f"policy {policy.code!r} belongs to the unknown jurisdiction {policy.jurisdiction!r}")
    return loaded


def policy_named(code: str, *, field: str = "body.policy") -> Policy:
    policy = rules().policies.get(code)
    if policy is None:
        known = ", ".join(sorted(rules().policies))
        raise Problem(422, "unknown-policy", f"{field}: there is no policy {code!r} (known: {known})")
    return policy


def today() -> date:
    return local_today()


def grant_etag(row: AnyRow) -> str:
    return etag_for("grant", row.grant_id, row.version)


def clawback_etag(row: AnyRow) -> str:
    return etag_for("clawback", row.clawback_id, row.version)


def budget_etag(jurisdiction: str, year: int, version: int) -> str:
    return etag_for("budget", jurisdiction, year, version)


async def _emit(session: AsyncSession, data: EventData, center_id: uuid.UUID) -> None:
    await record_event(session, messaging.outbox, data, subject=str(center_id))


GrantEvent = TypeVar("GrantEvent", SubsidyCalculated, SubsidyApproved, SubsidyDisbursed)


def _grant_event(model: type[GrantEvent], row: AnyRow, district: str | None) -> GrantEvent:
    return model(
        grant_id=row.grant_id,
        center_id=row.center_id,
        policy=row.policy_code,
        funding_year=row.funding_year,
        amount_fen=row.amount_fen or 0,
        trace_id=row.trace_id,
        jurisdiction=row.jurisdiction,
        district=district,
        budget_year=row.budget_year,
        trigger=row.trigger,
    )


# ---- projections (consumers) ----


def _center_values(data: RegistryEvent, **extra: Any) -> dict[str, Any]:
    return {
        "center_id": data.center_id,
        "code": data.code,
        "tier": str(data.tier),
        "status": str(data.status),
        "district": data.district,
        "jurisdiction": rules().jurisdictions.of_district(data.district),
        "sequence": data.sequence,
        **extra,
    }


async def project_center(session: AsyncSession, data: RegistryEvent, **extra: Any) -> AnyRow | None:
    """Apply a registry event to the projection; the center as it now is, or None for a stale event.

    A stale event still gives the facts it alone carries (see `queries.upsert_center`).
    """
    if not await queries.upsert_center(session, _center_values(data, **extra)):
        return None
    return await queries.center(session, data.center_id, lock=True)


ENDED_STATUSES = frozenset({"cancelled", "delisted", "rejected", "withdrawn"})


async def project_approval(
    session: AsyncSession, data: RegistryEvent, *, name_zh: str, lead_unit_type: str, approved_on: date
) -> AnyRow | None:
    """CenterApproved, in whatever order it arrives: its facts are kept, and the center is funded from it unless
    a later event has already ended the center. None when there is nothing to open."""
    await queries.upsert_center(
        session, _center_values(data, name_zh=name_zh, lead_unit_type=lead_unit_type, approved_on=approved_on)
    )
    center = await queries.center(session, data.center_id, lock=True)
    if center is None or center.status in ENDED_STATUSES:
        return None
    return center


async def open_grants_on_approval(session: AsyncSession, center: AnyRow) -> list[AnyRow]:
    """CenterApproved: open the year-1 grant of each share policy (awaiting the verified investment), and
    calculate the creation award of each award policy that has one for the center's tier."""
    opened: list[AnyRow] = []
    for policy in policies_of(rules().policies, center.jurisdiction, center.approved_on):
        if opens_on_approval(policy, center.tier):
            row = await _open(session, center, policy, funding_year=1, trigger=None, by="registry:CenterApproved")
            if row is not None:
                opened.append(row)
        trigger = award_trigger(policy, center.tier)
        if trigger is not None:
            row = await _open_award(
                session, center, policy, trigger, on=center.approved_on, by="registry:CenterApproved"
            )
            if row is not None:
                opened.append(row)
    return opened


async def open_awards_on_tier_change(session: AsyncSession, center: AnyRow, changed_on: date) -> list[AnyRow]:
    opened: list[AnyRow] = []
    for policy in policies_of(rules().policies, center.jurisdiction, changed_on):
        trigger = award_trigger(policy, center.tier)
        if trigger is not None:
            row = await _open_award(session, center, policy, trigger, on=changed_on, by="registry:CenterTierChanged")
            if row is not None:
                opened.append(row)
    return opened


def _funding_year_at(center: AnyRow, policy: Policy, on: date) -> int:
    months = months_per_funding_year(policy) or 12
    if center.approved_on is None or on < center.approved_on:
        return 1
    return funding_year_of(center.approved_on, on, months_per_year=months)


async def _open(
    session: AsyncSession,
    center: AnyRow,
    policy: Policy,
    *,
    funding_year: int,
    trigger: Trigger | None,
    by: str,
    on: date | None = None,
) -> AnyRow | None:
    year = budget_year(
        approved_on=center.approved_on,
        funding_year=funding_year,
        months_per_year=months_per_funding_year(policy),
        fallback=on or center.approved_on or today(),
    )
    return await queries.insert_grant(
        session,
        {
            "grant_id": uuid.uuid4(),
            "center_id": center.center_id,
            "policy_code": policy.code,
            "jurisdiction": policy.jurisdiction,
            "funding_year": funding_year,
            "budget_year": year,
            "trigger": trigger,
            "status": GrantStatus.AWAITING_INVESTMENT.value,
            "opened_by": by,
        },
    )


async def _open_award(
    session: AsyncSession, center: AnyRow, policy: Policy, trigger: Trigger, *, on: date, by: str
) -> AnyRow | None:
    row = await _open(
        session, center, policy, funding_year=_funding_year_at(center, policy, on), trigger=trigger, by=by, on=on
    )
    if row is None:
        return None
    return await _calculate(session, row, center, investment=None, overlap=None, by=by)


async def record_grade(session: AsyncSession, values: dict[str, Any]) -> None:
    await queries.upsert_grade(session, values)


async def reverse_ending(session: AsyncSession, center: AnyRow, event: CloudEvent) -> AnyRow | None:
    """CenterReinstated: the ending is undone — its stopped grants come back, its clawback is reversed.

    Money already repaid on the reversed clawback stays on the ledger as repaid; the event says how much, so
    the bureau can settle it (a refund is not this service's to make).
    """
    await queries.restore_stopped_grants(session, center.center_id)
    clawback = await queries.clawback_of(session, center.center_id, lock=True)
    if clawback is None:
        return None
    reversed_row = await queries.reverse_clawback(session, clawback.clawback_id, event.id)
    await _emit(
        session,
        ClawbackReversed(
            clawback_id=reversed_row.clawback_id,
            center_id=reversed_row.center_id,
            amount_fen=reversed_row.amount_fen,
            repaid_fen=reversed_row.repaid_fen,
            reason_event_id=event.id,
            district=center.district,
        ),
        center.center_id,
    )
    return reversed_row


async def order_clawback(session: AsyncSession, center: AnyRow, event: CloudEvent, reason: str | None) -> AnyRow | None:
    """CenterDelisted / CenterCancelled: stop the open grants, order back disbursed − compliant spending, once."""
    if await queries.clawback_of(session, center.center_id) is not None:
        return None
    released = await queries.lock_approved_amounts(session, center.center_id)
    await queries.stop_open_grants(session, center.center_id)
    for (jurisdiction, year), amount in sorted(released.items()):
        await queries.hold_budget_year(session, jurisdiction, year)
        await queries.add_to_committed(session, jurisdiction, year, -amount)
    balance = await ledger_balance(session, center.center_id)
    amount = clawback_fen(balance.disbursed_fen, balance.compliant_spent_fen)
    row = await queries.insert_clawback(
        session,
        {
            "clawback_id": uuid.uuid4(),
            "center_id": center.center_id,
            "reason_event_id": event.id,
            "reason_event_type": event.type,
            "reason": reason,
            "disbursed_fen": balance.disbursed_fen,
            "compliant_spent_fen": balance.compliant_spent_fen,
            "non_compliant_spent_fen": balance.non_compliant_spent_fen,
            "amount_fen": amount,
            "status": "outstanding" if amount > 0 else "nothing_due",
        },
    )
    if row is None:
        return None
    await _emit(
        session,
        ClawbackOrdered(
            clawback_id=row.clawback_id,
            center_id=row.center_id,
            disbursed_fen=row.disbursed_fen,
            compliant_spent_fen=row.compliant_spent_fen,
            amount_fen=row.amount_fen,
            reason_event_id=event.id,
            non_compliant_spent_fen=row.non_compliant_spent_fen,
            reason_event_type=event.type,
            district=center.district,
        ),
        center.center_id,
    )
    return row


# ---- grants ----


async def _visible_center(
    session: AsyncSession, principal: Principal, center_id: uuid.UUID, *, lock: bool = False
) -> AnyRow:
    row = await queries.center(session, center_id, lock=lock)
    if row is None or not queries.can_see(principal, row):
        raise NotFound("center", center_id)
    return row


async def _grant_for_command(
    session: AsyncSession, principal: Principal, grant_id: uuid.UUID, if_match: str | None
) -> tuple[AnyRow, AnyRow]:
    row = await queries.grant(session, grant_id, lock=True)
    if row is None:
        raise NotFound("grant", grant_id)
    center = await queries.center(session, row.center_id, lock=True)
    if center is None or not queries.can_see(principal, center):
        raise NotFound("grant", grant_id)
    check_if_match(if_match, grant_etag(row))
    return row, center


@dataclass(frozen=True)
class GrantOutcome:
    """A grant as a command left it, with its center's district (for the answer and its events)."""

    row: AnyRow
    district: str | None


def _refused(error: TransitionRefused) -> Problem:
    return TransitionConflict(
        "transition-refused", str(error), current_state=error.status.value, allowed_actions=error.allowed
    )


async def open_grant(
    session: AsyncSession,
    principal: Principal,
    *,
    center_id: uuid.UUID,
    policy_code: str | None,
    funding_year: int | None,
    trigger: Trigger | None,
) -> GrantOutcome:
    """A grant opened by hand: a later funding year of a share policy, or a one-off award."""
    center = await _visible_center(session, principal, center_id, lock=True)
    if center.approved_on is None or center.lead_unit_type is None:
        raise Conflict("center-not-approved", f"center {center_id} has not been approved; no grant can be opened")
    if await queries.clawback_of(session, center_id) is not None:
        raise Conflict("grants-stopped", f"center {center_id} was {center.status}; its grants have stopped")
    candidates = policies_of(rules().policies, center.jurisdiction, today())
    if policy_code is not None:
        policy = policy_named(policy_code)
        if policy.jurisdiction != center.jurisdiction:
            raise Problem(
                422,
                "policy-not-applicable",
                f"body.policy: {policy_code} is a {policy.jurisdiction} policy; center {center_id} is in "
                f"{center.jurisdiction or 'no funded jurisdiction'}",
            )
    else:
        matching = [p for p in candidates if takes_investment(p) == (trigger is None)]
        if not matching:
            raise Problem(
                422,
                "no-policy",
                f"body.policy: no {'award' if trigger else 'share'} policy applies to district {center.district}",
            )
        policy = matching[0]
    if takes_investment(policy):
        if trigger is not None:
            raise Problem(422, "not-an-award-policy", f"body.trigger: {policy.code} pays no one-off awards")
        if funding_year is None:
            raise Problem(422, "funding-year-required", "body.funding_year is required for a share policy")
        row = await _open(session, center, policy, funding_year=funding_year, trigger=None, by=principal.subject)
    else:
        if trigger is None:
            raise Problem(422, "trigger-required", f"body.trigger is required for the award policy {policy.code}")
        row = await _open(
            session,
            center,
            policy,
            funding_year=funding_year or _funding_year_at(center, policy, today()),
            trigger=trigger,
            by=principal.subject,
            on=today(),
        )
        if row is not None:
            row = await _calculate(session, row, center, investment=None, overlap=None, by=principal.subject)
    if row is None:
        raise Conflict(
            "grant-exists",
            f"center {center_id} already has this grant under {policy.code}"
            + (f" ({trigger})" if trigger else f" for funding year {funding_year}"),
        )
    return GrantOutcome(row, center.district)


async def _calculate(
    session: AsyncSession, row: AnyRow, center: AnyRow, *, investment: int | None, overlap: int | None, by: str
) -> AnyRow:
    policy = rules().policies[row.policy_code]
    others = await queries.other_live_grants(session, row)
    inputs = SubsidyInputs(
        tier=center.tier,
        status=center.status,
        lead_unit_type=center.lead_unit_type or "other",
        funding_year=row.funding_year,
        verified_investment_fen=investment or 0,
        previous_grade=await queries.latest_annual_grade(session, center.center_id),  # type: ignore[arg-type]
        granted_so_far_fen=sum(o.amount_fen or 0 for o in others if o.trigger is None),
        overlapping_grant_fen=overlap or 0,
        trigger=row.trigger,
        awards_already_received=sorted({o.trigger for o in others if o.trigger is not None}),
    )
    result = quote(policy, inputs)
    updated = await queries.update_grant(
        session,
        row.grant_id,
        {
            "status": transition(GrantStatus(row.status), GrantAction.CALCULATE).value,
            "verified_investment_fen": investment,
            "overlapping_grant_fen": overlap,
            "amount_fen": result.amount_fen,
            "trace_id": uuid.uuid4(),
            "trace": stored_trace(inputs, result),
            "calculated_at": datetime.now(UTC),
            "calculated_by": by,
        },
    )
    await _emit(session, _grant_event(SubsidyCalculated, updated, center.district), center.center_id)
    return updated


def stored_trace(inputs: SubsidyInputs, result: Quote) -> dict[str, Any]:
    """What a grant keeps of its calculation: the inputs taken from the projection and every step."""
    return {
        "policy_code": result.policy_code,
        "amount_fen": result.amount_fen,
        "inputs": inputs.model_dump(mode="json"),
        "steps": [step.model_dump(mode="json") for step in result.trace],
    }


async def calculate_grant(
    session: AsyncSession,
    principal: Principal,
    grant_id: uuid.UUID,
    *,
    investment: int | None,
    overlap: int,
    if_match: str | None,
) -> GrantOutcome:
    """Calculate from the projection (tier, status, lead unit, grade, what was granted); the client gives only
    the verified investment and another program's grant for the year."""
    row, center = await _grant_for_command(session, principal, grant_id, if_match)
    try:
        transition(GrantStatus(row.status), GrantAction.CALCULATE)
    except TransitionRefused as error:
        raise _refused(error) from None
    policy = rules().policies[row.policy_code]
    if takes_investment(policy) and investment is None:
        raise Problem(422, "investment-required", f"body.verified_investment_fen is required under {policy.code}")
    updated = await _calculate(session, row, center, investment=investment, overlap=overlap, by=principal.subject)
    return GrantOutcome(updated, center.district)


async def approve_grant(
    session: AsyncSession, db: Database, principal: Principal, grant_id: uuid.UUID, *, if_match: str | None
) -> GrantOutcome:
    row, center = await _grant_for_command(session, principal, grant_id, if_match)
    try:
        status = transition(GrantStatus(row.status), GrantAction.APPROVE)
    except TransitionRefused as error:
        raise _refused(error) from None
    # The budget row's lock serializes approvals within a budget; its running total is what they commit.
    await queries.hold_budget_year(session, row.jurisdiction, row.budget_year)
    budget = await queries.budget(session, row.jurisdiction, row.budget_year, lock=True)
    committed = 0 if budget is None else budget.committed_fen
    amount = row.amount_fen or 0
    try:
        check_budget(
            budget_fen=None if budget is None else budget.budget_fen, committed_fen=committed, amount_fen=amount
        )
    except BudgetExceededError as error:
        assert budget is not None
        # The refusal rolls the request back; the event that reports it must survive, so it commits on its own.
        async with db.transaction() as own:
            await _emit(
                own,
                BudgetExceeded(
                    jurisdiction=row.jurisdiction,
                    year=row.budget_year,
                    budget_fen=budget.budget_fen,
                    committed_fen=committed,
                    requested_fen=amount,
                    grant_id=row.grant_id,
                ),
                row.center_id,
            )
        raise Conflict(
            "budget-exceeded",
            f"the {row.jurisdiction} budget for {row.budget_year}: {error}",
            budget_fen=budget.budget_fen,
            committed_fen=committed,
            requested_fen=amount,
        ) from None
    if budget is not None and amount:
        await queries.add_to_committed(session, row.jurisdiction, row.budget_year, amount)
    updated = await queries.update_grant(
        session,
        row.grant_id,
        {"status": status.value, "approved_at": datetime.now(UTC), "approved_by": principal.subject},
    )
    await _emit(session, _grant_event(SubsidyApproved, updated, center.district), center.center_id)
    return GrantOutcome(updated, center.district)


async def disburse_grant(
    session: AsyncSession, principal: Principal, grant_id: uuid.UUID, *, if_match: str | None
) -> GrantOutcome:
    row, center = await _grant_for_command(session, principal, grant_id, if_match)
    try:
        status = transition(GrantStatus(row.status), GrantAction.DISBURSE)
    except TransitionRefused as error:
        raise _refused(error) from None
    if row.amount_fen:
        await queries.add_entry(
            session,
            {
                "center_id": row.center_id,
                "kind": "disbursement",
                "amount_fen": row.amount_fen,
                "grant_id": row.grant_id,
                "occurred_on": today(),
                "recorded_by": principal.subject,
                "description": f"{row.policy_code} funding year {row.funding_year}"
                + (f" ({row.trigger})" if row.trigger else ""),
            },
        )
    updated = await queries.update_grant(
        session,
        row.grant_id,
        {"status": status.value, "disbursed_at": datetime.now(UTC), "disbursed_by": principal.subject},
    )
    await _emit(session, _grant_event(SubsidyDisbursed, updated, center.district), center.center_id)
    return GrantOutcome(updated, center.district)


# ---- the ledger ----


async def ledger_balance(session: AsyncSession, center_id: uuid.UUID) -> LedgerBalance:
    sums = await queries.ledger_sums(session, center_id)
    return LedgerBalance(
        disbursed_fen=sums["disbursed"],
        compliant_spent_fen=sums["compliant"],
        non_compliant_spent_fen=sums["non_compliant"],
        balance_fen=sums["disbursed"] - sums["compliant"] - sums["non_compliant"],
    )


async def record_expenditure(
    session: AsyncSession,
    principal: Principal,
    center_id: uuid.UUID,
    *,
    category: str,
    amount_fen: int,
    spent_on: date,
    description: str | None,
) -> AnyRow:
    center = await _visible_center(session, principal, center_id, lock=True)
    try:
        known = category_of(category, rules().categories)
    except UnknownCategoryError as error:
        raise Problem(422, "unknown-category", f"body.category: {error}") from None
    clawback = await queries.clawback_of(session, center_id)
    if clawback is not None:
        # The ledger closed when the clawback was ordered: what is owed was fixed on the spending recorded by
        # then. Spending after the center ended is not subsidy use, and spending before it is corrected by
        # reversing the ending, not by changing the sum behind a legal order.
        raise Conflict(
            "ledger-closed",
            f"the ledger of center {center_id} closed when clawback {clawback.clawback_id} was ordered; only "
            "repayments are recorded now",
            clawback_id=str(clawback.clawback_id),
        )
    check_spent_on(center, spent_on)
    # The ledger's sums are stored (a clawback keeps what was spent) as bigint: they too stay within MAX_FEN.
    # The center's row is locked above, so no other expenditure slips in between the sum and the insert.
    spent = await ledger_balance(session, center_id)
    if spent.compliant_spent_fen + spent.non_compliant_spent_fen + amount_fen > MAX_FEN:
        raise Problem(
            422,
            "ledger-bound",
            f"body.amount_fen: the center's recorded spending would pass {MAX_FEN} fen, the bound of any sum",
        )
    return await queries.add_entry(
        session,
        {
            "center_id": center_id,
            "kind": "expenditure",
            "amount_fen": amount_fen,
            "category": known.code,
            "compliant": known.compliant,
            "description": description,
            "occurred_on": spent_on,
            "recorded_by": principal.subject,
        },
    )


def _earliest_policy(jurisdiction: str | None) -> DatedAct:
    own = [p for p in rules().policies.values() if p.jurisdiction == jurisdiction] or list(rules().policies.values())
    first = min(own, key=lambda p: p.effective.starts_on)
    return DatedAct(f"policy {first.code}", first.effective.starts_on)


def check_spent_on(center: AnyRow, spent_on: date) -> None:
    """An expenditure is dated like every act (POLICY §4a): not in the future, not before the approval."""
    approved = DatedAct("approval of the center", center.approved_on) if center.approved_on else None
    try:
        check_act_date(
            field="body.spent_on",
            act="expenditure",
            on=spent_on,
            today=today(),
            in_force=_earliest_policy(center.jurisdiction),
            follows=approved,
        )
    except DateRefused as refused:
        raise Problem(
            422,
            "act-date-refused",
            f"{refused.field}: {refused.detail}",
            errors=[{"field": refused.field, "message": refused.detail, "type": "date_refused"}],
        ) from refused


async def visible_center(session: AsyncSession, principal: Principal, center_id: uuid.UUID) -> AnyRow:
    return await _visible_center(session, principal, center_id)


# ---- clawbacks ----


async def record_repayment(
    session: AsyncSession,
    principal: Principal,
    clawback_id: uuid.UUID,
    *,
    amount_fen: int,
    repaid_on: date,
    if_match: str | None,
) -> AnyRow:
    row = await queries.visible_clawback(session, principal, clawback_id, lock=True)
    if row is None:
        raise NotFound("clawback", clawback_id)
    check_if_match(if_match, clawback_etag(row))
    owed = row.amount_fen - row.repaid_fen
    if owed == 0:
        raise Conflict("clawback-settled", f"clawback {clawback_id} is {row.status}; nothing is owed")
    if amount_fen > owed:
        raise Conflict("overpayment", f"body.amount_fen {amount_fen} exceeds the {owed} fen still owed", owed_fen=owed)
    await queries.add_entry(
        session,
        {
            "center_id": row.center_id,
            "kind": "repayment",
            "amount_fen": amount_fen,
            "clawback_id": clawback_id,
            "occurred_on": repaid_on,
            "recorded_by": principal.subject,
        },
    )
    repaid = row.repaid_fen + amount_fen
    values: dict[str, Any] = {"repaid_fen": repaid}
    if repaid == row.amount_fen:
        values |= {"status": "repaid", "repaid_at": datetime.now(UTC)}
    return await queries.update_clawback(session, clawback_id, values)


# ---- budgets ----


async def set_budget(
    session: AsyncSession, principal: Principal, *, jurisdiction: str, year: int, budget_fen: int, if_match: str | None
) -> AnyRow:
    if jurisdiction not in rules().jurisdictions.by_code:
        raise NotFound("jurisdiction", jurisdiction)
    # Before the row lock, as approvals take them: a budget created now counts the year's commitments once.
    await queries.hold_budget_year(session, jurisdiction, year, exclusive=True)
    current = await queries.budget(session, jurisdiction, year, lock=True)
    if current is not None:
        check_if_match(if_match, budget_etag(jurisdiction, year, current.version))
    return await queries.put_budget(
        session, jurisdiction=jurisdiction, year=year, budget_fen=budget_fen, by=principal.subject
    )


# ---- simulation ----


async def run_simulation(
    session: AsyncSession,
    *,
    policy: Policy,
    overrides: Mapping[str, Any],
    on: date,
    budget_fen: int | None,
    assumed_investment_fen: int,
    trigger: Trigger | None,
) -> tuple[SimulationResult, int]:
    """The funding year running on `on` for every approved center of the policy's jurisdiction, under the
    policy and under its variant; nothing is stored. Returns the result and the budget year used."""
    population_rows = await queries.centers_of(session, policy.jurisdiction, on)
    ids = [c.center_id for c in population_rows]
    grades = await queries.latest_annual_grades(session, ids)
    by_center: dict[uuid.UUID, list[AnyRow]] = {}
    for g in await queries.center_policy_grants(session, ids, policy.code):
        by_center.setdefault(g.center_id, []).append(g)
    population: list[tuple[str, SubsidyInputs]] = []
    for c in population_rows:
        year = _funding_year_at(c, policy, on)
        mine = by_center.get(c.center_id, [])
        this_year = next((g for g in mine if g.trigger is None and g.funding_year == year), None)
        live = [g for g in mine if g.status in ("calculated", "approved", "disbursed")]
        population.append(
            (
                str(c.center_id),
                SubsidyInputs(
                    tier=c.tier,
                    status=c.status,
                    lead_unit_type=c.lead_unit_type or "other",
                    funding_year=year,
                    verified_investment_fen=(
                        this_year.verified_investment_fen
                        if this_year is not None and this_year.verified_investment_fen is not None
                        else assumed_investment_fen
                    ),
                    previous_grade=grades.get(c.center_id),  # type: ignore[arg-type]
                    granted_so_far_fen=sum(
                        g.amount_fen or 0 for g in live if g.trigger is None and g.funding_year != year
                    ),
                    overlapping_grant_fen=(this_year.overlapping_grant_fen or 0) if this_year is not None else 0,
                    trigger=trigger,
                    awards_already_received=sorted({g.trigger for g in live if g.trigger is not None}),
                ),
            )
        )
    year = on.year
    if budget_fen is None:
        stored = await queries.budget(session, policy.jurisdiction, year)
        budget_fen = None if stored is None else stored.budget_fen
    return simulate(population, policy, overrides, budget_fen), year
