"""The subsidy calculator: a policy and one center's year in, an exact amount in fen and its trace out.

Each rule of a policy is one small function that takes the amount so far and returns its trace step (the step's
result is the new amount); a quote runs the rule kind's steps in order. What a step says comes from the policy
file, beside the clause it applies.
"""

import calendar
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict

from funding.domain.policy import (
    Award,
    CapabilityInvestmentShareRule,
    OneOffAwardsRule,
    Parameter,
    Policy,
)
from tic_shared.vocabulary import CenterStatus, Grade, LeadUnitType, Tier, Trigger

FenAmount = Annotated[int, Field(ge=0)]
# The inputs are strict (no "100" for 100 fen); a word of the vocabulary is still taken by its value.
_BY_VALUE = Strict(False)


class SubsidyInputs(BaseModel):
    """What a quote needs about one center in one funding year; bad input is refused field by field."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    tier: Annotated[Tier, _BY_VALUE]
    # What a policy does not read may be left out: a share policy reads the status and the funding year, an
    # award policy the lead unit's type.
    status: Annotated[CenterStatus, _BY_VALUE] | None = None
    lead_unit_type: Annotated[LeadUnitType, _BY_VALUE] | None = None
    funding_year: Annotated[int, Field(ge=1)] | None = None
    # 创新能力建设投入: the capability-building investment verified for this funding year.
    verified_investment_fen: FenAmount = 0
    # The latest finalized annual evaluation; None when there is none yet.
    previous_grade: Annotated[Grade, _BY_VALUE] | None = None
    granted_so_far_fen: FenAmount = 0
    # Another municipal program's grant to the same center for the same year (就高不重复).
    overlapping_grant_fen: FenAmount = 0
    trigger: Annotated[Trigger, _BY_VALUE] | None = None
    awards_already_received: list[Annotated[Trigger, _BY_VALUE]] = Field(default_factory=list)


ParameterValue = str | int | bool | list[str] | dict[str, str]
InputValue = str | int | bool | None | list[str]


class ParameterUsed(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    value: ParameterValue
    effective_from: date
    clause: str


class TraceStep(BaseModel):
    """One step of a calculation, as OpenFisca's trace shows it: what went in, what came out, and why."""

    model_config = ConfigDict(frozen=True)

    code: str
    zh: str
    en: str
    inputs: dict[str, InputValue]
    result_fen: int
    clause: str
    parameters: list[ParameterUsed]


class Quote(BaseModel):
    """A subsidy quote (补助测算): the amount and every step that led to it; nothing is stored."""

    model_config = ConfigDict(frozen=True)

    policy_code: str
    amount_fen: int
    trace: list[TraceStep]


R = TypeVar("R", CapabilityInvestmentShareRule, OneOffAwardsRule)
# One rule: the policy's rule, the inputs and the amount so far in; its step (and so the new amount) out.
Step = Callable[[R, SubsidyInputs, int], TraceStep]


def quote(policy: Policy, inputs: SubsidyInputs) -> Quote:
    """Quote what the policy grants for these inputs, with the trace of every rule applied."""
    if isinstance(policy.rule, CapabilityInvestmentShareRule):
        trace = _run(policy.rule, inputs, INVESTMENT_SHARE_STEPS)
    else:
        trace = _run(policy.rule, inputs, ONE_OFF_AWARD_STEPS)
    return Quote(policy_code=policy.code, amount_fen=trace[-1].result_fen, trace=trace)


def _run(rule: R, inputs: SubsidyInputs, steps: Sequence[Step[R]]) -> list[TraceStep]:
    trace: list[TraceStep] = []
    amount = 0
    for step in steps:
        trace.append(step(rule, inputs, amount))
        amount = trace[-1].result_fen
    return trace


# ---- the parts of a step ----


def _render(value: object) -> ParameterValue:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot show a parameter of type {type(value).__name__}")


def _used(name: str, parameter: Parameter[Any]) -> ParameterUsed:
    return ParameterUsed(
        name=name,
        value=_render(parameter.value),
        effective_from=parameter.effective_from,
        clause=parameter.clause,
    )


def _times(amount_fen: int, factor: Decimal) -> int:
    """amount × factor floored to the fen, in integers so no binary rounding can creep in."""
    numerator, denominator = factor.as_integer_ratio()
    return amount_fen * numerator // denominator


def _yuan(value_fen: int) -> str:
    return f"{value_fen // 100:,}.{value_fen % 100:02d}"


def _step(
    code: str,
    said: tuple[str, str],
    *,
    inputs: dict[str, InputValue],
    result_fen: int,
    clause: str,
    parameters: list[ParameterUsed],
) -> TraceStep:
    zh, en = said
    return TraceStep(
        code=code, zh=zh, en=en, inputs=inputs, result_fen=result_fen, clause=clause, parameters=parameters
    )


# ---- a yearly share of the verified investment (e.g. ningbo-tic-2022) ----


def _base(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, _: int) -> TraceStep:
    rate, invested = rule.rate, inputs.verified_investment_fen
    return _step(
        "base",
        rate.trace["base"].says(investment=_yuan(invested), rate=rate.value),
        inputs={"verified_investment_fen": invested},
        result_fen=_times(invested, rate.value),
        clause=rate.clause,
        parameters=[_used("rate", rate)],
    )


def _tier(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    if inputs.tier in rule.tiers_funded_elsewhere.value:
        deciding, outcome, result = rule.tiers_funded_elsewhere, "funded_elsewhere", 0
    elif inputs.tier not in rule.eligible_tiers.value:
        deciding, outcome, result = rule.eligible_tiers, "not_covered", 0
    else:
        deciding, outcome, result = rule.eligible_tiers, "covered", amount
    return _step(
        "tier",
        deciding.trace[outcome].says(tier=inputs.tier),
        inputs={"tier": inputs.tier},
        result_fen=result,
        clause=deciding.clause,
        parameters=[
            _used("eligible_tiers", rule.eligible_tiers),
            _used("tiers_funded_elsewhere", rule.tiers_funded_elsewhere),
        ],
    )


def _status(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    statuses = rule.eligible_statuses
    within = inputs.status in statuses.value
    return _step(
        "status",
        statuses.trace["within" if within else "outside"].says(status=inputs.status),
        inputs={"status": inputs.status},
        result_fen=amount if within else 0,
        clause=statuses.clause,
        parameters=[_used("eligible_statuses", statuses)],
    )


def _funding_year(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    year, funded = inputs.funding_year, rule.funded_years
    if year is None:
        raise ValueError("a share policy reads the funding year: give funding_year")
    within = year <= funded.value
    return _step(
        "funding_year",
        funded.trace["within" if within else "after"].says(year=year, last_year=funded.value),
        inputs={"funding_year": year},
        result_fen=amount if within else 0,
        clause=funded.clause,
        parameters=[_used("funded_years", funded)],
    )


def _first_year_cap_or_previous_grade(
    rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int
) -> TraceStep:
    """Year 1 is capped; from year 2 the grant follows the previous annual evaluation."""
    if inputs.funding_year == 1:
        return _first_year_cap(rule, inputs, amount)
    return _previous_grade(rule, inputs, amount)


def _first_year_cap(rule: CapabilityInvestmentShareRule, _: SubsidyInputs, amount: int) -> TraceStep:
    cap = rule.first_year_cap_fen
    return _step(
        "first_year_cap",
        cap.trace["capped"].says(cap=_yuan(cap.value), amount=_yuan(amount)),
        inputs={"amount_fen": amount},
        result_fen=min(amount, cap.value),
        clause=cap.clause,
        parameters=[_used("first_year_cap_fen", cap)],
    )


def _previous_grade(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    grade, grades = inputs.previous_grade, rule.qualifying_grades
    if grade is None:
        said, result = grades.trace["no_grade"].says(), 0
    elif grade not in grades.value:
        said, result = grades.trace["not_qualifying"].says(grade=grade), 0
    else:
        factor = rule.multiplier_for(grade)
        said, result = grades.trace["qualifying"].says(grade=grade, factor=factor), _times(amount, factor)
    return _step(
        "previous_grade",
        said,
        inputs={"amount_fen": amount, "previous_grade": grade},
        result_fen=result,
        clause=grades.clause,
        parameters=[_used("qualifying_grades", grades), _used("grade_multipliers", rule.grade_multipliers)],
    )


def _total_cap(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    cap, granted = rule.total_cap_fen, inputs.granted_so_far_fen
    room = max(0, cap.value - granted)
    return _step(
        "total_cap",
        cap.trace["capped"].says(cap=_yuan(cap.value), granted=_yuan(granted), room=_yuan(room)),
        inputs={"amount_fen": amount, "granted_so_far_fen": granted, "room_left_fen": room},
        result_fen=min(amount, room),
        clause=cap.clause,
        parameters=[_used("total_cap_fen", cap)],
    )


def _highest_never_stacked(rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    """就高不重复: highest, never stacked."""
    never_stacked, overlap = rule.highest_never_stacked, inputs.overlapping_grant_fen
    outcome = "top_up" if never_stacked.value else "not_deducted"
    return _step(
        "highest_never_stacked",
        never_stacked.trace[outcome].says(overlap=_yuan(overlap), amount=_yuan(amount)),
        inputs={"amount_fen": amount, "overlapping_grant_fen": overlap},
        result_fen=max(0, amount - overlap) if never_stacked.value else amount,
        clause=never_stacked.clause,
        parameters=[_used("highest_never_stacked", never_stacked)],
    )


def _round_down(rule: CapabilityInvestmentShareRule | OneOffAwardsRule, _: SubsidyInputs, amount: int) -> TraceStep:
    unit = rule.rounding_unit_fen
    return _step(
        "round_down",
        unit.trace["floored"].says(unit=unit.value),
        inputs={"amount_fen": amount},
        result_fen=amount // unit.value * unit.value,
        clause=unit.clause,
        parameters=[_used("rounding_unit_fen", unit)],
    )


INVESTMENT_SHARE_STEPS: tuple[Step[CapabilityInvestmentShareRule], ...] = (
    _base,
    _tier,
    _status,
    _funding_year,
    _first_year_cap_or_previous_grade,
    _total_cap,
    _highest_never_stacked,
    _round_down,
)


# ---- one-off awards on events (e.g. weihai-2018) ----


def _award_used(award: Award) -> ParameterUsed:
    covered = "|".join(award.lead_unit_types) if award.lead_unit_types is not None else "any"
    return ParameterUsed(
        name=f"award.{award.trigger}.{covered}",
        value=award.amount_fen,
        effective_from=award.effective_from,
        clause=award.clause,
    )


def _award_event(rule: OneOffAwardsRule, inputs: SubsidyInputs, _: int) -> TraceStep:
    trigger, lead = inputs.trigger, inputs.lead_unit_type
    award = rule.award_for(trigger, lead) if trigger is not None else None
    if award is not None:
        said = rule.award_event["awarded"].says(award_zh=award.zh, award_en=award.en, amount=_yuan(award.amount_fen))
        result, cited = award.amount_fen, [award]
    elif trigger is None:
        said, result, cited = rule.award_event["no_event"].says(), 0, rule.awards
    else:
        said = rule.award_event["not_set"].says(trigger=trigger, lead_unit_type=lead)
        result, cited = 0, [a for a in rule.awards if a.trigger == trigger] or rule.awards
    return _step(
        "award_event",
        said,
        inputs={"trigger": trigger, "lead_unit_type": lead},
        result_fen=result,
        clause=cited[0].clause,
        parameters=[_award_used(a) for a in cited],
    )


def _once_per_center(rule: OneOffAwardsRule, inputs: SubsidyInputs, amount: int) -> TraceStep:
    once, trigger = rule.once_per_center, inputs.trigger
    received = sorted(set(inputs.awards_already_received))
    again = once.value and trigger is not None and trigger in received
    return _step(
        "once_per_center",
        once.trace["already_received"].says(trigger=trigger) if again else once.trace["first_time"].says(),
        inputs={"amount_fen": amount, "trigger": trigger, "awards_already_received": list(received)},
        result_fen=0 if again else amount,
        clause=once.clause,
        parameters=[_used("once_per_center", once)],
    )


ONE_OFF_AWARD_STEPS: tuple[Step[OneOffAwardsRule], ...] = (_award_event, _once_per_center, _round_down)


# ---- funding years ----


def _add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks (Feb 29, the 31st) becomes its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def funding_year_of(approved_on: date, on: date, *, months_per_year: int = 12) -> int:
    """The funding year k that `on` falls in: the k-th run of `months_per_year` months from approval.

    Each anniversary is counted from the approval date itself, so an approval on Feb 29 has its
    anniversaries on Feb 28 in common years and back on Feb 29 in leap years.
    """
    if on < approved_on:
        raise ValueError(f"{on.isoformat()} is before the approval date {approved_on.isoformat()}")
    if months_per_year < 1:
        raise ValueError("a funding year lasts at least one month")
    elapsed = (on.year - approved_on.year) * 12 + on.month - approved_on.month
    done = max(0, elapsed // months_per_year)
    while done > 0 and _add_months(approved_on, done * months_per_year) > on:
        done -= 1
    while _add_months(approved_on, (done + 1) * months_per_year) <= on:
        done += 1
    return done + 1
