"""Policy simulation: a funding year of the real centers under a policy and a variant of it; nothing is stored."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.calculator import SubsidyInputs
from funding.domain.grants import LIVE_STATUSES, funding_year_at
from funding.domain.policy import InvalidPolicyError, Policy
from funding.domain.simulation import SimulationResult, simulate
from funding.service.policies import policy_named
from funding.store import budgets, centers, grades, grants
from funding.store.records import CenterRecord, GrantRecord
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.problems import Forbidden, Problem, field_error
from tic_shared.vocabulary import Trigger


async def run_simulation(
    session: AsyncSession,
    *,
    principal: Principal,
    policy_code: str,
    overrides: dict[str, Any],
    on: date | None,
    budget_fen: int | None,
    assumed_investment_fen: int,
    trigger: Trigger | None,
) -> SimulationResult:
    """The funding year running on `on` (today by default) for every approved center of the policy's
    jurisdiction, under the policy and under its variant, against the budget (by default the stored one)."""
    if not principal.sees_everything:
        raise Forbidden("a simulation runs over every center of a jurisdiction; it is for bureau roles")
    policy = policy_named(policy_code)
    on = on or today()
    population = await _population(
        session, policy=policy, on=on, assumed_investment_fen=assumed_investment_fen, trigger=trigger
    )
    if budget_fen is None:
        stored = await budgets.get_budget(session, jurisdiction=policy.jurisdiction, year=on.year)
        budget_fen = None if stored is None else stored.budget_fen
    try:
        return simulate(population, policy, overrides, budget_fen)
    except InvalidPolicyError as error:
        raise Problem(
            422,
            "invalid-variant",
            f"body.overrides: {error}",
            errors=[field_error(f"body.overrides.{e['parameter']}", e) for e in error.errors] or None,
        ) from None


async def _population(
    session: AsyncSession, *, policy: Policy, on: date, assumed_investment_fen: int, trigger: Trigger | None
) -> list[tuple[str, SubsidyInputs]]:
    approved = await centers.approved_centers(session, jurisdiction=policy.jurisdiction, by=on)
    ids = [center.center_id for center in approved]
    latest_grades = await grades.latest_annual_grades(session, center_ids=ids)
    by_center: dict[uuid.UUID, list[GrantRecord]] = {}
    for grant in await grants.grants_under_policy(session, center_ids=ids, policy_code=policy.code):
        by_center.setdefault(grant.center_id, []).append(grant)
    return [
        (
            str(center.center_id),
            _inputs(
                center=center,
                policy=policy,
                on=on,
                mine=by_center.get(center.center_id, []),
                grade=latest_grades.get(center.center_id),
                assumed_investment_fen=assumed_investment_fen,
                trigger=trigger,
            ),
        )
        for center in approved
    ]


def _inputs(
    *,
    center: CenterRecord,
    policy: Policy,
    on: date,
    mine: list[GrantRecord],
    grade: str | None,
    assumed_investment_fen: int,
    trigger: Trigger | None,
) -> SubsidyInputs:
    """One center's year as the calculator would read it: what its grant of that year verified, else assumed."""
    year = funding_year_at(approved_on=center.approved_on, policy=policy, on=on)
    this_year = next((g for g in mine if g.trigger is None and g.funding_year == year), None)
    live = [g for g in mine if g.status in LIVE_STATUSES]
    verified = None if this_year is None else this_year.verified_investment_fen
    return SubsidyInputs.model_validate(
        {
            "tier": center.tier,
            "status": center.status,
            "lead_unit_type": center.lead_unit_type or "other",
            "funding_year": year,
            "verified_investment_fen": assumed_investment_fen if verified is None else verified,
            "previous_grade": grade,
            "granted_so_far_fen": sum(g.amount_fen or 0 for g in live if g.trigger is None and g.funding_year != year),
            "overlapping_grant_fen": (this_year.overlapping_grant_fen or 0) if this_year is not None else 0,
            "trigger": trigger,
            "awards_already_received": sorted({g.trigger for g in live if g.trigger is not None}),
        }
    )
