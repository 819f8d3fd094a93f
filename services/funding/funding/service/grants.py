"""Grants per center, policy and funding year: opened (on approval, on recognition, or by hand), calculated from
the projection, approved within the budget, disbursed once onto the ledger."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.calculator import Quote, SubsidyInputs, quote
from funding.domain.grants import (
    GrantAction,
    GrantStatus,
    TransitionRefused,
    award_trigger,
    budget_year,
    funding_year_at,
    months_per_funding_year,
    opens_on_approval,
    takes_investment,
    transition,
)
from funding.domain.jurisdictions import policies_of
from funding.domain.policy import Policy
from funding.service.budgets import commit_grant
from funding.service.centers import center_in_reach
from funding.service.policies import policy_named, rules
from funding.store import centers, clawbacks, grades, grants, ledger
from funding.store.records import CenterRecord, GrantRecord, LocatedGrant
from funding.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.db import Database
from tic_shared.events.catalog import SubsidyApproved, SubsidyCalculated, SubsidyDisbursed
from tic_shared.http import check_if_match, etag_for
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, NotFound, Problem, TransitionConflict
from tic_shared.reach import Reach
from tic_shared.vocabulary import Trigger


def grant_etag(located: LocatedGrant) -> str:
    return _etag(located.record)


def _etag(grant: GrantRecord) -> str:
    return etag_for("grant", grant.grant_id, grant.version)


GrantEvent = SubsidyCalculated | SubsidyApproved | SubsidyDisbursed


async def _record(session: AsyncSession, *, model: type[GrantEvent], grant: GrantRecord, district: str | None) -> None:
    event = model(
        grant_id=grant.grant_id,
        center_id=grant.center_id,
        policy=grant.policy_code,
        funding_year=grant.funding_year,
        amount_fen=grant.amount_fen or 0,
        trace_id=grant.trace_id,
        jurisdiction=grant.jurisdiction,
        district=district,
        budget_year=grant.budget_year,
        trigger=grant.trigger,
    )
    await record_event(session, messaging.outbox, event, subject=str(grant.center_id))


# ---- reads ----


async def get_grant(session: AsyncSession, *, principal: Principal, grant_id: uuid.UUID) -> LocatedGrant:
    found = await grants.located_grant(session, reach=Reach.of(principal), grant_id=grant_id)
    if found is None:
        raise NotFound("grant", grant_id)
    return found


async def list_grants(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID | None,
    budget_year: int | None,
    funding_year: int | None,
    status: GrantStatus | None,
    district: str | None,
    policy: str | None,
    after: int | None,
    limit: int,
) -> list[LocatedGrant]:
    """The grants in reach, in the order they were opened; `limit` + 1 of them when there is a next page."""
    return await grants.list_grants(
        session,
        reach=Reach.of(principal),
        center_id=center_id,
        budget_year=budget_year,
        funding_year=funding_year,
        status=status.value if status else None,
        district=district,
        policy=policy,
        after=after,
        limit=limit,
    )


# ---- opened by events (consumers) ----


async def open_grants_on_approval(session: AsyncSession, *, center: CenterRecord) -> list[GrantRecord]:
    """CenterApproved: open the year-1 grant of each share policy (awaiting the verified investment), and
    calculate the creation award of each award policy that has one for the center's tier."""
    approved_on, by = center.approved_on or today(), "registry:CenterApproved"
    opened: list[GrantRecord] = []
    for policy in policies_of(rules().policies, center.jurisdiction, approved_on):
        if opens_on_approval(policy, center.tier):
            grant = await _open(session, center=center, policy=policy, funding_year=1, trigger=None, by=by)
            if grant is not None:
                opened.append(grant)
        trigger = award_trigger(policy, center.tier)
        if trigger is not None:
            grant = await _open_award(session, center=center, policy=policy, trigger=trigger, on=approved_on, by=by)
            if grant is not None:
                opened.append(grant)
    return opened


async def open_awards_on_tier_change(
    session: AsyncSession, *, center: CenterRecord, changed_on: date
) -> list[GrantRecord]:
    """CenterTierChanged: the award a center earns by reaching its new tier, once."""
    opened: list[GrantRecord] = []
    for policy in policies_of(rules().policies, center.jurisdiction, changed_on):
        trigger = award_trigger(policy, center.tier)
        if trigger is not None:
            grant = await _open_award(
                session, center=center, policy=policy, trigger=trigger, on=changed_on, by="registry:CenterTierChanged"
            )
            if grant is not None:
                opened.append(grant)
    return opened


async def _open(
    session: AsyncSession,
    *,
    center: CenterRecord,
    policy: Policy,
    funding_year: int,
    trigger: str | None,
    by: str,
    on: date | None = None,
) -> GrantRecord | None:
    """Open a grant awaiting its calculation; None when the center already has it."""
    year = budget_year(
        approved_on=center.approved_on,
        funding_year=funding_year,
        months_per_year=months_per_funding_year(policy),
        fallback=on or center.approved_on or today(),
    )
    return await grants.insert_grant(
        session,
        values={
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
    session: AsyncSession, *, center: CenterRecord, policy: Policy, trigger: Trigger, on: date, by: str
) -> GrantRecord | None:
    """An award is calculated as it is opened: it reads nothing the bureau verifies."""
    year = funding_year_at(approved_on=center.approved_on, policy=policy, on=on)
    grant = await _open(session, center=center, policy=policy, funding_year=year, trigger=trigger, by=by, on=on)
    if grant is None:
        return None
    return await _calculate(session, grant=grant, center=center, investment=None, overlap=None, by=by)


# ---- commands ----


async def _grant_for_command(
    session: AsyncSession, *, principal: Principal, grant_id: uuid.UUID, if_match: str | None
) -> tuple[GrantRecord, CenterRecord]:
    """The grant and its center, both locked; a 404 for a grant the caller may not see, a 412 for a stale ETag."""
    grant = await grants.get_grant(session, grant_id=grant_id, lock=True)
    if grant is None:
        raise NotFound("grant", grant_id)
    center = await centers.get_center(session, center_id=grant.center_id, lock=True)
    if center is None or not Reach.of(principal).admits(district=center.district, center_id=center.center_id):
        raise NotFound("grant", grant_id)
    check_if_match(if_match, _etag(grant))
    return grant, center


def _next(*, grant: GrantRecord, action: GrantAction) -> GrantStatus:
    try:
        return transition(GrantStatus(grant.status), action)
    except TransitionRefused as error:
        raise TransitionConflict(
            "transition-refused", str(error), current_state=error.status.value, allowed_actions=error.allowed
        ) from None


async def open_grant(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    policy_code: str | None,
    funding_year: int | None,
    trigger: Trigger | None,
) -> LocatedGrant:
    """A grant opened by hand: a later funding year of a share policy, or a one-off award."""
    center = await center_in_reach(session, principal=principal, center_id=center_id, lock=True)
    if center.approved_on is None or center.lead_unit_type is None:
        raise Conflict("center-not-approved", f"center {center_id} has not been approved; no grant can be opened")
    if await clawbacks.clawback_of(session, center_id=center_id) is not None:
        raise Conflict("grants-stopped", f"center {center_id} was {center.status}; its grants have stopped")
    policy = _policy_to_open(center=center, policy_code=policy_code, trigger=trigger)
    if takes_investment(policy):
        if trigger is not None:
            raise Problem(422, "not-an-award-policy", f"body.trigger: {policy.code} pays no one-off awards")
        if funding_year is None:
            raise Problem(422, "funding-year-required", "body.funding_year is required for a share policy")
        grant = await _open(
            session, center=center, policy=policy, funding_year=funding_year, trigger=None, by=principal.subject
        )
    else:
        if trigger is None:
            raise Problem(422, "trigger-required", f"body.trigger is required for the award policy {policy.code}")
        on = today()
        year = funding_year or funding_year_at(approved_on=center.approved_on, policy=policy, on=on)
        grant = await _open(
            session, center=center, policy=policy, funding_year=year, trigger=trigger, by=principal.subject, on=on
        )
        if grant is not None:
            grant = await _calculate(
                session, grant=grant, center=center, investment=None, overlap=None, by=principal.subject
            )
    if grant is None:
        raise Conflict(
            "grant-exists",
            f"center {center_id} already has this grant under {policy.code}"
            + (f" ({trigger})" if trigger else f" for funding year {funding_year}"),
        )
    return LocatedGrant(grant, center.district)


def _policy_to_open(*, center: CenterRecord, policy_code: str | None, trigger: Trigger | None) -> Policy:
    """The policy named, if it is the center's jurisdiction's; else the one in force there for this kind of grant."""
    if policy_code is not None:
        policy = policy_named(policy_code)
        if policy.jurisdiction != center.jurisdiction:
            raise Problem(
                422,
                "policy-not-applicable",
                f"body.policy: {policy_code} is a {policy.jurisdiction} policy; center {center.center_id} is in "
                f"{center.jurisdiction or 'no funded jurisdiction'}",
            )
        return policy
    matching = [
        p
        for p in policies_of(rules().policies, center.jurisdiction, today())
        if takes_investment(p) == (trigger is None)
    ]
    if not matching:
        raise Problem(
            422,
            "no-policy",
            f"body.policy: no {'award' if trigger else 'share'} policy applies to district {center.district}",
        )
    return matching[0]


async def calculate_grant(
    session: AsyncSession,
    *,
    principal: Principal,
    grant_id: uuid.UUID,
    investment: int | None,
    overlap: int,
    if_match: str | None,
) -> LocatedGrant:
    """Calculate from the projection (tier, status, lead unit, grade, what was granted); the client gives only
    the verified investment and another program's grant for the year."""
    grant, center = await _grant_for_command(session, principal=principal, grant_id=grant_id, if_match=if_match)
    _next(grant=grant, action=GrantAction.CALCULATE)
    policy = rules().policies[grant.policy_code]
    if takes_investment(policy) and investment is None:
        raise Problem(422, "investment-required", f"body.verified_investment_fen is required under {policy.code}")
    updated = await _calculate(
        session, grant=grant, center=center, investment=investment, overlap=overlap, by=principal.subject
    )
    return LocatedGrant(updated, center.district)


async def _calculate(
    session: AsyncSession,
    *,
    grant: GrantRecord,
    center: CenterRecord,
    investment: int | None,
    overlap: int | None,
    by: str,
) -> GrantRecord:
    others = await grants.other_live_grants(session, grant=grant)
    inputs = SubsidyInputs.model_validate(
        {
            "tier": center.tier,
            "status": center.status,
            "lead_unit_type": center.lead_unit_type or "other",
            "funding_year": grant.funding_year,
            "verified_investment_fen": investment or 0,
            "previous_grade": await grades.latest_annual_grade(session, center_id=center.center_id),
            "granted_so_far_fen": sum(o.amount_fen or 0 for o in others if o.trigger is None),
            "overlapping_grant_fen": overlap or 0,
            "trigger": grant.trigger,
            "awards_already_received": sorted({o.trigger for o in others if o.trigger is not None}),
        }
    )
    result = quote(rules().policies[grant.policy_code], inputs)
    updated = await grants.update_grant(
        session,
        grant_id=grant.grant_id,
        values={
            "status": _next(grant=grant, action=GrantAction.CALCULATE).value,
            "verified_investment_fen": investment,
            "overlapping_grant_fen": overlap,
            "amount_fen": result.amount_fen,
            "trace_id": uuid.uuid4(),
            "trace": stored_trace(inputs=inputs, result=result),
            "calculated_at": datetime.now(UTC),
            "calculated_by": by,
        },
    )
    await _record(session, model=SubsidyCalculated, grant=updated, district=center.district)
    return updated


def stored_trace(*, inputs: SubsidyInputs, result: Quote) -> dict[str, Any]:
    """What a grant keeps of its calculation: the inputs taken from the projection and every step."""
    return {
        "policy_code": result.policy_code,
        "amount_fen": result.amount_fen,
        "inputs": inputs.model_dump(mode="json"),
        "steps": [step.model_dump(mode="json") for step in result.trace],
    }


async def approve_grant(
    session: AsyncSession, *, db: Database, principal: Principal, grant_id: uuid.UUID, if_match: str | None
) -> LocatedGrant:
    """Approve within the year's budget (a refusal is a 409 and a BudgetExceeded event)."""
    grant, center = await _grant_for_command(session, principal=principal, grant_id=grant_id, if_match=if_match)
    status = _next(grant=grant, action=GrantAction.APPROVE)
    await commit_grant(session, db=db, grant=grant)
    stamps = {"approved_at": datetime.now(UTC), "approved_by": principal.subject}
    return await _advance(session, grant=grant, center=center, status=status, event=SubsidyApproved, stamps=stamps)


async def disburse_grant(
    session: AsyncSession, *, principal: Principal, grant_id: uuid.UUID, if_match: str | None
) -> LocatedGrant:
    """Pay an approved grant onto the center's ledger, once."""
    grant, center = await _grant_for_command(session, principal=principal, grant_id=grant_id, if_match=if_match)
    status = _next(grant=grant, action=GrantAction.DISBURSE)
    if grant.amount_fen:
        await ledger.add_entry(
            session,
            values={
                "center_id": grant.center_id,
                "kind": "disbursement",
                "amount_fen": grant.amount_fen,
                "grant_id": grant.grant_id,
                "occurred_on": today(),
                "recorded_by": principal.subject,
                "description": f"{grant.policy_code} funding year {grant.funding_year}"
                + (f" ({grant.trigger})" if grant.trigger else ""),
            },
        )
    stamps = {"disbursed_at": datetime.now(UTC), "disbursed_by": principal.subject}
    return await _advance(session, grant=grant, center=center, status=status, event=SubsidyDisbursed, stamps=stamps)


async def _advance(
    session: AsyncSession,
    *,
    grant: GrantRecord,
    center: CenterRecord,
    status: GrantStatus,
    event: type[GrantEvent],
    stamps: dict[str, Any],
) -> LocatedGrant:
    """Move the grant on to `status`, stamped with who and when, and say so."""
    updated = await grants.update_grant(session, grant_id=grant.grant_id, values={"status": status.value, **stamps})
    await _record(session, model=event, grant=updated, district=center.district)
    return LocatedGrant(updated, center.district)
