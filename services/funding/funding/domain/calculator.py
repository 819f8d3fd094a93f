"""The subsidy calculator: a policy and one center's year in, an exact amount in fen and its trace out."""

import calendar
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from funding.domain.policy import (
    Award,
    CapabilityInvestmentShareRule,
    OneOffAwardsRule,
    Parameter,
    Policy,
)
from funding.domain.terms import Grade, LeadUnitType, Status, Tier, Trigger

FenAmount = Annotated[int, Field(ge=0)]


class SubsidyInputs(BaseModel):
    """What a quote needs about one center in one funding year; bad input is refused field by field."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    tier: Tier
    # What a policy does not read may be left out: a share policy reads the status and the funding year, an
    # award policy the lead unit's type.
    status: Status | None = None
    lead_unit_type: LeadUnitType | None = None
    funding_year: Annotated[int, Field(ge=1)] | None = None
    # 创新能力建设投入: the capability-building investment verified for this funding year.
    verified_investment_fen: FenAmount = 0
    # The latest finalized annual evaluation; None when there is none yet.
    previous_grade: Grade | None = None
    granted_so_far_fen: FenAmount = 0
    # Another municipal program's grant to the same center for the same year (就高不重复).
    overlapping_grant_fen: FenAmount = 0
    trigger: Trigger | None = None
    awards_already_received: list[Trigger] = Field(default_factory=list)


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


class _Trace:
    def __init__(self) -> None:
        self.steps: list[TraceStep] = []

    def add(
        self,
        code: str,
        *,
        zh: str,
        en: str,
        inputs: dict[str, InputValue],
        result_fen: int,
        clause: str,
        parameters: list[ParameterUsed],
    ) -> int:
        self.steps.append(
            TraceStep(
                code=code,
                zh=zh,
                en=en,
                inputs=inputs,
                result_fen=result_fen,
                clause=clause,
                parameters=parameters,
            )
        )
        return result_fen


def quote(policy: Policy, inputs: SubsidyInputs) -> Quote:
    """Quote what the policy grants for these inputs, with the trace of every rule applied."""
    if isinstance(policy.rule, CapabilityInvestmentShareRule):
        return _quote_investment_share(policy.code, policy.rule, inputs)
    return _quote_one_off_awards(policy.code, policy.rule, inputs)


def _quote_investment_share(code: str, rule: CapabilityInvestmentShareRule, inputs: SubsidyInputs) -> Quote:
    trace = _Trace()
    rate = rule.rate.value
    invested = inputs.verified_investment_fen

    amount = trace.add(
        "base",
        zh=f"基数 = 创新能力建设投入 {_yuan(invested)} 元 × {rate}，取整到分",
        en=f"Base = verified capability investment {_yuan(invested)} CNY × {rate}, floored to the fen",
        inputs={"verified_investment_fen": invested},
        result_fen=_times(invested, rate),
        clause=rule.rate.clause,
        parameters=[_used("rate", rule.rate)],
    )

    tier_parameters = [
        _used("eligible_tiers", rule.eligible_tiers),
        _used("tiers_funded_elsewhere", rule.tiers_funded_elsewhere),
    ]
    if inputs.tier in rule.tiers_funded_elsewhere.value:
        amount = trace.add(
            "tier",
            zh=f"{inputs.tier} 按国家、省有关规定给予支持，本政策不予支持：0",
            en=f"A {inputs.tier} is funded under national or provincial rules, not by this policy: 0",
            inputs={"tier": inputs.tier},
            result_fen=0,
            clause=rule.tiers_funded_elsewhere.clause,
            parameters=tier_parameters,
        )
    elif inputs.tier not in rule.eligible_tiers.value:
        amount = trace.add(
            "tier",
            zh=f"{inputs.tier} 不属于本政策支持对象：0",
            en=f"A {inputs.tier} is not covered by this policy: 0",
            inputs={"tier": inputs.tier},
            result_fen=0,
            clause=rule.eligible_tiers.clause,
            parameters=tier_parameters,
        )
    else:
        amount = trace.add(
            "tier",
            zh=f"{inputs.tier} 属于本政策支持对象，金额不变",
            en=f"A {inputs.tier} is covered by this policy; amount unchanged",
            inputs={"tier": inputs.tier},
            result_fen=amount,
            clause=rule.eligible_tiers.clause,
            parameters=tier_parameters,
        )

    if inputs.status in rule.eligible_statuses.value:
        amount = trace.add(
            "status",
            zh=f"登记状态为 {inputs.status}，处于建设期内，金额不变",
            en=f"Registry status {inputs.status} is within construction; amount unchanged",
            inputs={"status": inputs.status},
            result_fen=amount,
            clause=rule.eligible_statuses.clause,
            parameters=[_used("eligible_statuses", rule.eligible_statuses)],
        )
    else:
        amount = trace.add(
            "status",
            zh=f"登记状态为 {inputs.status}，不在建设期内，不予支持：0",
            en=f"Registry status {inputs.status} is not construction; no grant: 0",
            inputs={"status": inputs.status},
            result_fen=0,
            clause=rule.eligible_statuses.clause,
            parameters=[_used("eligible_statuses", rule.eligible_statuses)],
        )

    if inputs.funding_year is None:
        raise ValueError(f"{code} reads the funding year: give funding_year")
    year = inputs.funding_year
    last_year = rule.funded_years.value
    within = year <= last_year
    amount = trace.add(
        "funding_year",
        zh=(
            f"第{year}个资助年度在前{last_year}年创建期内，金额不变"
            if within
            else f"第{year}个资助年度超出前{last_year}年创建期，不予支持：0"
        ),
        en=(
            f"Funding year {year} is within the first {last_year} years; amount unchanged"
            if within
            else f"Funding year {year} is after the first {last_year} years; no grant: 0"
        ),
        inputs={"funding_year": year},
        result_fen=amount if within else 0,
        clause=rule.funded_years.clause,
        parameters=[_used("funded_years", rule.funded_years)],
    )

    if year == 1:
        cap = rule.first_year_cap_fen.value
        amount = trace.add(
            "first_year_cap",
            zh=f"首年创建经费不超过 {_yuan(cap)} 元：取 {_yuan(amount)} 与上限的较小者",
            en=f"The first-year grant is at most {_yuan(cap)} CNY: the lesser of {_yuan(amount)} and the cap",
            inputs={"amount_fen": amount},
            result_fen=min(amount, cap),
            clause=rule.first_year_cap_fen.clause,
            parameters=[_used("first_year_cap_fen", rule.first_year_cap_fen)],
        )
    else:
        amount = _apply_previous_grade(trace, rule, inputs.previous_grade, amount)

    cap = rule.total_cap_fen.value
    room = max(0, cap - inputs.granted_so_far_fen)
    amount = trace.add(
        "total_cap",
        zh=(f"合计不超过 {_yuan(cap)} 元：已支持 {_yuan(inputs.granted_so_far_fen)} 元，剩余额度 {_yuan(room)} 元"),
        en=(
            f"Total at most {_yuan(cap)} CNY: {_yuan(inputs.granted_so_far_fen)} CNY already granted, "
            f"{_yuan(room)} CNY of room left"
        ),
        inputs={"amount_fen": amount, "granted_so_far_fen": inputs.granted_so_far_fen, "room_left_fen": room},
        result_fen=min(amount, room),
        clause=rule.total_cap_fen.clause,
        parameters=[_used("total_cap_fen", rule.total_cap_fen)],
    )

    overlap = inputs.overlapping_grant_fen
    if rule.highest_never_stacked.value:
        amount = trace.add(
            "highest_never_stacked",
            zh=(
                f"就高不重复：同年其他市级资金 {_yuan(overlap)} 元，"
                f"只补足差额 max(0, {_yuan(amount)} − {_yuan(overlap)})"
            ),
            en=(
                f"Highest, never stacked: another municipal program granted {_yuan(overlap)} CNY this year; "
                f"only the top-up max(0, {_yuan(amount)} − {_yuan(overlap)}) is paid"
            ),
            inputs={"amount_fen": amount, "overlapping_grant_fen": overlap},
            result_fen=max(0, amount - overlap),
            clause=rule.highest_never_stacked.clause,
            parameters=[_used("highest_never_stacked", rule.highest_never_stacked)],
        )
    else:
        amount = trace.add(
            "highest_never_stacked",
            zh="本政策不扣减其他市级资金，金额不变",
            en="This policy does not deduct other municipal grants; amount unchanged",
            inputs={"amount_fen": amount, "overlapping_grant_fen": overlap},
            result_fen=amount,
            clause=rule.highest_never_stacked.clause,
            parameters=[_used("highest_never_stacked", rule.highest_never_stacked)],
        )

    return Quote(policy_code=code, amount_fen=_round_down(trace, rule.rounding_unit_fen, amount), trace=trace.steps)


def _apply_previous_grade(trace: _Trace, rule: CapabilityInvestmentShareRule, grade: Grade | None, amount: int) -> int:
    parameters = [
        _used("qualifying_grades", rule.qualifying_grades),
        _used("grade_multipliers", rule.grade_multipliers),
    ]
    clause = rule.qualifying_grades.clause
    if grade is None:
        return trace.add(
            "previous_grade",
            zh="第2年起根据上一年度绩效评价给予支持：尚无定论的年度评价，不予支持：0",
            en="From year 2 support follows the previous annual evaluation; none is finalized: 0",
            inputs={"amount_fen": amount, "previous_grade": None},
            result_fen=0,
            clause=clause,
            parameters=parameters,
        )
    if grade not in rule.qualifying_grades.value:
        return trace.add(
            "previous_grade",
            zh=f"上一年度绩效评价为 {grade}，不予支持：0",
            en=f"The previous annual evaluation is {grade}, which does not qualify: 0",
            inputs={"amount_fen": amount, "previous_grade": grade},
            result_fen=0,
            clause=clause,
            parameters=parameters,
        )
    factor = rule.multiplier_for(grade)
    return trace.add(
        "previous_grade",
        zh=f"上一年度绩效评价为 {grade}，按系数 {factor} 支持，取整到分",
        en=f"The previous annual evaluation is {grade}: paid at factor {factor}, floored to the fen",
        inputs={"amount_fen": amount, "previous_grade": grade},
        result_fen=_times(amount, factor),
        clause=clause,
        parameters=parameters,
    )


def _round_down(trace: _Trace, unit: Parameter[int], amount: int) -> int:
    return trace.add(
        "round_down",
        zh=f"向下取整到 {unit.value} 分（整元）",
        en=f"Floored to a multiple of {unit.value} fen (the whole yuan)",
        inputs={"amount_fen": amount},
        result_fen=amount // unit.value * unit.value,
        clause=unit.clause,
        parameters=[_used("rounding_unit_fen", unit)],
    )


def _quote_one_off_awards(code: str, rule: OneOffAwardsRule, inputs: SubsidyInputs) -> Quote:
    trace = _Trace()
    trigger = inputs.trigger
    same_event = [a for a in rule.awards if a.trigger == trigger]
    award = rule.award_for(trigger, inputs.lead_unit_type) if trigger is not None else None
    event_inputs: dict[str, InputValue] = {"trigger": trigger, "lead_unit_type": inputs.lead_unit_type}

    if trigger is None:
        amount = trace.add(
            "award_event",
            zh="未给出奖补事项（组建、认定省级或国家级），不予奖补：0",
            en="No award event (creation, provincial or national recognition) was given: 0",
            inputs=event_inputs,
            result_fen=0,
            clause=rule.awards[0].clause,
            parameters=[_award_used(a) for a in rule.awards],
        )
    elif award is None:
        amount = trace.add(
            "award_event",
            zh=f"政策未对 {inputs.lead_unit_type} 牵头的中心规定 {trigger} 奖补金额：0",
            en=f"The policy sets no {trigger} award for a center led by a {inputs.lead_unit_type}: 0",
            inputs=event_inputs,
            result_fen=0,
            clause=same_event[0].clause if same_event else rule.awards[0].clause,
            parameters=[_award_used(a) for a in same_event or rule.awards],
        )
    else:
        amount = trace.add(
            "award_event",
            zh=f"{award.zh}：{_yuan(award.amount_fen)} 元",
            en=f"{award.en}: {_yuan(award.amount_fen)} CNY",
            inputs=event_inputs,
            result_fen=award.amount_fen,
            clause=award.clause,
            parameters=[_award_used(award)],
        )

    received = sorted(set(inputs.awards_already_received))
    once_inputs: dict[str, InputValue] = {
        "amount_fen": amount,
        "trigger": trigger,
        "awards_already_received": list(received),
    }
    if rule.once_per_center.value and trigger is not None and trigger in received:
        amount = trace.add(
            "once_per_center",
            zh=f"该中心已获得 {trigger} 奖补，每项奖补只给予一次：0",
            en=f"The center already received the {trigger} award, which is paid once per center: 0",
            inputs=once_inputs,
            result_fen=0,
            clause=rule.once_per_center.clause,
            parameters=[_used("once_per_center", rule.once_per_center)],
        )
    else:
        amount = trace.add(
            "once_per_center",
            zh="该中心此前未获得此项奖补，金额不变",
            en="The center has not received this award before; amount unchanged",
            inputs=once_inputs,
            result_fen=amount,
            clause=rule.once_per_center.clause,
            parameters=[_used("once_per_center", rule.once_per_center)],
        )

    return Quote(policy_code=code, amount_fen=_round_down(trace, rule.rounding_unit_fen, amount), trace=trace.steps)


def _award_used(award: Award) -> ParameterUsed:
    covered = "|".join(award.lead_unit_types) if award.lead_unit_types is not None else "any"
    return ParameterUsed(
        name=f"award.{award.trigger}.{covered}",
        value=award.amount_fen,
        effective_from=award.effective_from,
        clause=award.clause,
    )


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
