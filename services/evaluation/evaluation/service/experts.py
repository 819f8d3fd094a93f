"""The experts' part of an evaluation: assigning an expert the qualitative indicators, and their scores."""

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.catalog import rules_for_year
from evaluation.domain.evaluation import Action
from evaluation.domain.indicators import IndicatorKind
from evaluation.service.evaluations import EvaluationView, get_evaluation, locked_for, record
from evaluation.store import experts as expert_store
from tic_shared.auth import Principal
from tic_shared.problems import Problem, plain_number


async def assign_expert(
    session: AsyncSession,
    *,
    principal: Principal,
    evaluation_id: uuid.UUID,
    expert: str,
    indicators: list[str] | None,
    if_match: str | None,
) -> EvaluationView:
    """Assign an expert the qualitative indicators they will score (all of them when none are named)."""
    row = await locked_for(
        session, principal=principal, evaluation_id=evaluation_id, action=Action.ASSIGN_EXPERT, if_match=if_match
    )
    _, system = rules_for_year(row.year)
    qualitative = [i.code for i in system.indicators if i.kind is IndicatorKind.QUALITATIVE]
    chosen = qualitative if indicators is None else list(dict.fromkeys(indicators))
    wrong = [code for code in chosen if code not in qualitative]
    if wrong:
        raise Problem(
            422,
            "not-a-qualitative-indicator",
            f"body.indicators: {', '.join(wrong)} are not qualitative indicators of {system.code}",
        )
    await expert_store.upsert_assignment(
        session,
        values={
            "evaluation_id": evaluation_id,
            "expert": expert,
            "indicators": chosen,
            "assigned_by": principal.subject,
        },
    )
    await record(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        action=Action.ASSIGN_EXPERT,
        detail={"expert": expert, "indicators": chosen},
    )
    return await get_evaluation(session, principal=principal, evaluation_id=evaluation_id)


async def score(
    session: AsyncSession,
    *,
    principal: Principal,
    evaluation_id: uuid.UUID,
    scores: dict[str, Decimal],
    if_match: str | None,
) -> EvaluationView:
    """An expert scores qualitative indicators — only those assigned to them, within the rules' range."""
    row = await locked_for(
        session, principal=principal, evaluation_id=evaluation_id, action=Action.SCORE, if_match=if_match
    )
    assignment = await expert_store.get_assignment(session, evaluation_id=evaluation_id, expert=principal.subject)
    if assignment is None:
        raise Problem(403, "not-assigned", f"you are not assigned to evaluation {evaluation_id}")
    not_assigned = [code for code in scores if code not in assignment.indicators]
    if not_assigned:
        raise Problem(
            403,
            "not-assigned",
            f"body.scores: {', '.join(sorted(not_assigned))} are not assigned to you",
            assigned=list(assignment.indicators),
        )
    rules, _ = rules_for_year(row.year)
    low, high = rules.expert_scoring.score_min, rules.expert_scoring.score_max
    out_of_range = [code for code, value in scores.items() if not low <= value <= high]
    if out_of_range:
        raise Problem(
            422,
            "score-out-of-range",
            f"body.scores: {', '.join(sorted(out_of_range))} must lie within {low}–{high}",
            score_min=plain_number(low),
            score_max=plain_number(high),
        )
    await expert_store.upsert_scores(
        session,
        rows=[
            {"evaluation_id": evaluation_id, "expert": principal.subject, "indicator": code, "score": value}
            for code, value in scores.items()
        ],
    )
    await record(
        session,
        principal=principal,
        evaluation_id=evaluation_id,
        action=Action.SCORE,
        detail={code: str(value) for code, value in sorted(scores.items())},
    )
    return await get_evaluation(session, principal=principal, evaluation_id=evaluation_id)
