"""Policies as data, the pure calculator and policy simulation: nothing here is stored."""

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from funding import service
from funding.api.schemas import QuoteRequest, QuoteResponse, SimulationRequest
from funding.domain.calculator import quote
from funding.domain.ledger import ExpenditureCategory
from funding.domain.policy import InvalidPolicyError
from funding.domain.simulation import SimulationResult
from tic_shared.auth import Principal, scoped
from tic_shared.problems import Forbidden, NotFound, Problem
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["policies"])

Reader = Annotated[Principal, scoped("funding:read")]


class PolicySummary(BaseModel):
    code: str
    jurisdiction: str
    title_zh: str
    title_en: str
    effective_from: str
    effective_to: str | None
    rule_kind: str


@router.get("/policies", response_model=list[PolicySummary], summary="The subsidy policies loaded at start")
async def list_policies(_: Reader) -> list[PolicySummary]:
    return [
        PolicySummary(
            code=p.code,
            jurisdiction=p.jurisdiction,
            title_zh=p.title.zh,
            title_en=p.title.en,
            effective_from=p.effective.starts_on.isoformat(),
            effective_to=p.effective.ends_on.isoformat() if p.effective.ends_on else None,
            rule_kind=p.rule.kind,
        )
        for p in sorted(service.rules().policies.values(), key=lambda p: p.code)
    ]


@router.get("/policies/{policy_code}", summary="One policy: every parameter with its value, date and clause")
async def get_policy(policy_code: str, _: Reader) -> dict[str, Any]:
    policy = service.rules().policies.get(policy_code)
    if policy is None:
        raise NotFound("policy", policy_code)
    return policy.model_dump(mode="json", by_alias=True)


@router.get(
    "/expenditure-categories",
    response_model=list[ExpenditureCategory],
    summary="What subsidy may and may not be spent on (001 §3(4))",
)
async def list_expenditure_categories(_: Reader) -> list[ExpenditureCategory]:
    return list(service.rules().categories.values())


@router.post(
    "/subsidies/quote",
    response_model=QuoteResponse,
    summary="Quote a subsidy with its bilingual trace (pure; nothing stored, so a retry is its own replay)",
)
async def quote_subsidy(body: QuoteRequest, _: Reader) -> QuoteResponse:
    policy = service.policy_named(body.policy)  # type: ignore[attr-defined]
    result = quote(policy, body.inputs())  # type: ignore[attr-defined]
    return QuoteResponse(policy=result.policy_code, amount_fen=result.amount_fen, trace=result.trace)


@router.post(
    "/simulations",
    response_model=SimulationResult,
    summary="Run a funding year for the real centers under a policy and a variant of it; nothing stored",
)
async def simulate_policy(body: SimulationRequest, session: SessionDep, principal: Reader) -> SimulationResult:
    if not principal.sees_everything:
        raise Forbidden("a simulation runs over every center of a jurisdiction; it is for bureau roles")
    policy = service.policy_named(body.policy)
    try:
        result, _ = await service.run_simulation(
            session,
            policy=policy,
            overrides=body.overrides,
            on=body.on or service.today(),
            budget_fen=body.budget_fen,
            assumed_investment_fen=body.assumed_investment_fen,
            trigger=body.trigger,
        )
    except InvalidPolicyError as error:
        raise Problem(422, "invalid-variant", f"body.overrides: {error}") from None
    return result
