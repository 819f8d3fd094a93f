"""Policies as data, the pure calculator and policy simulation: nothing here is stored."""

from typing import Annotated, Any

from fastapi import APIRouter

from funding.api.schemas import PolicySummary, QuoteRequest, QuoteResponse, SimulationRequest
from funding.domain.ledger import ExpenditureCategory
from funding.domain.simulation import SimulationResult
from funding.service import policies, simulation
from tic_shared.auth import Principal, scoped
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["policies"])

Reader = Annotated[Principal, scoped("funding:read")]


@router.get("/policies", response_model=list[PolicySummary], summary="The subsidy policies loaded at start")
async def list_policies(_: Reader) -> list[PolicySummary]:
    return [PolicySummary.of(policy) for policy in policies.list_policies()]


@router.get("/policies/{policy_code}", summary="One policy: every parameter with its value, date and clause")
async def get_policy(policy_code: str, _: Reader) -> dict[str, Any]:
    return policies.get_policy(code=policy_code).model_dump(mode="json", by_alias=True)


@router.get(
    "/expenditure-categories",
    response_model=list[ExpenditureCategory],
    summary="What subsidy may and may not be spent on (001 §3(4))",
)
async def list_expenditure_categories(_: Reader) -> list[ExpenditureCategory]:
    return policies.list_expenditure_categories()


@router.post(
    "/subsidies/quote",
    response_model=QuoteResponse,
    summary="Quote a subsidy with its bilingual trace (pure; nothing stored, so a retry is its own replay)",
)
async def quote_subsidy(body: QuoteRequest, _: Reader) -> QuoteResponse:
    return QuoteResponse.of(policies.quote_subsidy(policy_code=body.policy, inputs=body.inputs()))  # type: ignore[attr-defined]


@router.post(
    "/simulations",
    response_model=SimulationResult,
    summary="Run a funding year for the real centers under a policy and a variant of it; nothing stored",
)
async def simulate_policy(body: SimulationRequest, session: SessionDep, principal: Reader) -> SimulationResult:
    return await simulation.run_simulation(
        session,
        principal=principal,
        policy_code=body.policy,
        overrides=body.overrides,
        on=body.on,
        budget_fen=body.budget_fen,
        assumed_investment_fen=body.assumed_investment_fen,
        trigger=body.trigger,
    )
