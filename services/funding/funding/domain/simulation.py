"""Policy simulation: run a population under a baseline policy and a variant of it and compare."""

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from funding.domain.calculator import SubsidyInputs, quote
from funding.domain.policy import Policy, with_overrides


class CenterDifference(BaseModel):
    model_config = ConfigDict(frozen=True)

    center_id: str
    baseline_fen: int
    variant_fen: int
    difference_fen: int


class BudgetFit(BaseModel):
    """How a scenario's total sits against the budget: exactly one of over_by / under_by can be positive."""

    model_config = ConfigDict(frozen=True)

    budget_fen: int
    total_fen: int
    within_budget: bool
    over_by_fen: int
    under_by_fen: int


class SimulationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    baseline_policy: str
    centers: int
    baseline_total_fen: int
    variant_total_fen: int
    difference_fen: int
    # Only the centers whose grant differs, in population order.
    differences: list[CenterDifference]
    changed: int
    increased: int
    decreased: int
    unchanged: int
    baseline_budget: BudgetFit | None
    variant_budget: BudgetFit | None


def _fit(budget_fen: int, total_fen: int) -> BudgetFit:
    return BudgetFit(
        budget_fen=budget_fen,
        total_fen=total_fen,
        within_budget=total_fen <= budget_fen,
        over_by_fen=max(0, total_fen - budget_fen),
        under_by_fen=max(0, budget_fen - total_fen),
    )


def simulate(
    population: Sequence[tuple[str, SubsidyInputs]],
    baseline_policy: Policy,
    variant_overrides: Mapping[str, Any],
    budget_fen: int | None = None,
) -> SimulationResult:
    """Quote every center under the baseline and under the baseline with ``variant_overrides`` applied.

    The variant is validated like a policy file (InvalidPolicyError). Each center appears once.
    """
    if budget_fen is not None and (isinstance(budget_fen, bool) or budget_fen < 0):
        raise ValueError(f"budget_fen must be a non-negative integer, not {budget_fen!r}")
    variant = with_overrides(baseline_policy, variant_overrides)
    seen: set[str] = set()
    differences: list[CenterDifference] = []
    baseline_total = variant_total = increased = decreased = 0
    for center_id, inputs in population:
        if center_id in seen:
            raise ValueError(f"center {center_id!r} appears twice in the population")
        seen.add(center_id)
        before = quote(baseline_policy, inputs).amount_fen
        after = quote(variant, inputs).amount_fen
        baseline_total += before
        variant_total += after
        if after != before:
            differences.append(
                CenterDifference(
                    center_id=center_id, baseline_fen=before, variant_fen=after, difference_fen=after - before
                )
            )
            increased += after > before
            decreased += after < before
    return SimulationResult(
        baseline_policy=baseline_policy.code,
        centers=len(seen),
        baseline_total_fen=baseline_total,
        variant_total_fen=variant_total,
        difference_fen=variant_total - baseline_total,
        differences=differences,
        changed=len(differences),
        increased=increased,
        decreased=decreased,
        unchanged=len(seen) - len(differences),
        baseline_budget=None if budget_fen is None else _fit(budget_fen, baseline_total),
        variant_budget=None if budget_fen is None else _fit(budget_fen, variant_total),
    )
