"""Subsidy policies as data: the models that load, validate and vary the files in ``funding/policies``."""

import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from string import Formatter
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tic_shared.vocabulary import NAMES, CenterStatus, Grade, LeadUnitType, Tier, Trigger

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
# Lives next to the policies but is not one; the ledger loads it.
EXPENDITURE_CATEGORIES_FILE = "expenditure-categories.toml"

# "001 §3(4)", "000 §4(3); 001 §5(4)", or "[default]" for a choice the texts leave open.
CLAUSE_PATTERN = r"^(\[default\]|\d{3} §\d+(\(\d+\))?(; \d{3} §\d+(\(\d+\))?)*)$"


class InvalidPolicyError(ValueError):
    """A policy file or a policy variant that does not validate; the message lists every bad field, `errors` names
    each rule parameter refused (`parameter`: `rate`) with pydantic's error for it (`msg`, `type`, `ctx`)."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def _exact_decimal(value: object) -> Decimal:
    # A float has already lost the exact rate it was written as, so only strings (or Decimals) are taken.
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(f'write it as a decimal string such as "0.30", not {type(value).__name__}')
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise PydanticCustomError(
            "decimal_parsing", "{value} is not a decimal number", {"value": repr(value)}
        ) from None
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return parsed


def _share(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(1):
        raise PydanticCustomError("rate_range", "a rate must lie between 0 and 1")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("a multiplier cannot be negative")
    return value


Rate = Annotated[Decimal, BeforeValidator(_exact_decimal), AfterValidator(_share)]
Multiplier = Annotated[Decimal, BeforeValidator(_exact_decimal), AfterValidator(_non_negative)]
Fen = Annotated[int, Field(strict=True, ge=0)]
PositiveFen = Annotated[int, Field(strict=True, gt=0)]
PositiveInt = Annotated[int, Field(strict=True, gt=0)]
Clause = Annotated[str, StringConstraints(pattern=CLAUSE_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

T = TypeVar("T")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sentence(_Frozen):
    """What one outcome of a calculation step says in its trace, in both languages; `{name}` is filled in from
    the step (amounts as yuan, 1,234.56; a word of the vocabulary, a tier or a grade, by its name in the
    sentence's language, never its code)."""

    zh: Text
    en: Text

    def says(self, **values: object) -> tuple[str, str]:
        named = {key: NAMES[value] for key, value in values.items() if isinstance(value, StrEnum)}
        return (
            self.zh.format(**(values | {key: name.zh for key, name in named.items()})),
            self.en.format(**(values | {key: name.en for key, name in named.items()})),
        )

    def names(self) -> set[str]:
        return {name for text in (self.zh, self.en) for _, name, _, _ in Formatter().parse(text) if name is not None}


Sentences = dict[str, Sentence]


class Parameter(_Frozen, Generic[T]):
    """One number or choice of a policy, with the clause it comes from and what the trace says when it applies."""

    value: T
    clause: Clause
    effective_from: date
    zh: Text
    en: Text
    trace: Sentences = Field(default_factory=dict)


class LocalizedText(_Frozen):
    zh: Text
    en: Text


class EffectivePeriod(_Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    starts_on: date = Field(alias="from")
    ends_on: date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> "EffectivePeriod":
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("the period ends before it starts")
        return self

    def contains(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


def _no_duplicates(values: list[Any], what: str) -> None:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"{what} lists {seen[0]!r} twice")


# What the calculator's trace can say, per part of a rule: each outcome's sentence and the names it may fill in.
SentencesWanted = Mapping[str, Mapping[str, frozenset[str]]]


def _says_what_is_wanted(rule: BaseModel, wanted: SentencesWanted) -> None:
    for part, outcomes in wanted.items():
        given = getattr(rule, part)
        sentences: Sentences = given if isinstance(given, dict) else given.trace
        where = f"{part}.trace" if isinstance(given, Parameter) else part
        if set(sentences) != set(outcomes):
            raise ValueError(f"{where} must say exactly {sorted(outcomes)}, not {sorted(sentences)}")
        for outcome, sentence in sentences.items():
            unknown = sentence.names() - outcomes[outcome]
            if unknown:
                raise ValueError(
                    f"{where}.{outcome} names {sorted(unknown)[0]!r}; it may name {sorted(outcomes[outcome])}"
                )


class CapabilityInvestmentShareRule(_Frozen):
    """A yearly share of verified capability investment (创新能力建设投入), capped per year and in total."""

    kind: Literal["capability_investment_share"]
    rate: Parameter[Rate]
    first_year_cap_fen: Parameter[Fen]
    total_cap_fen: Parameter[Fen]
    funded_years: Parameter[PositiveInt]
    funding_year_months: Parameter[PositiveInt]
    eligible_tiers: Parameter[list[Tier]]
    tiers_funded_elsewhere: Parameter[list[Tier]]
    eligible_statuses: Parameter[list[CenterStatus]]
    qualifying_grades: Parameter[list[Grade]]
    grade_multipliers: Parameter[dict[Grade, Multiplier]]
    highest_never_stacked: Parameter[Annotated[bool, Field(strict=True)]]
    rounding_unit_fen: Parameter[PositiveFen]

    SENTENCES: ClassVar[SentencesWanted] = {
        "rate": {"base": frozenset({"investment", "rate"})},
        "eligible_tiers": {"covered": frozenset({"tier"}), "not_covered": frozenset({"tier"})},
        "tiers_funded_elsewhere": {"funded_elsewhere": frozenset({"tier"})},
        "eligible_statuses": {"within": frozenset({"status"}), "outside": frozenset({"status"})},
        "funded_years": {"within": frozenset({"year", "last_year"}), "after": frozenset({"year", "last_year"})},
        "funding_year_months": {},
        "first_year_cap_fen": {"capped": frozenset({"cap", "amount"})},
        "qualifying_grades": {
            "no_grade": frozenset(),
            "not_qualifying": frozenset({"grade"}),
            "qualifying": frozenset({"grade", "factor"}),
        },
        "grade_multipliers": {},
        "total_cap_fen": {"capped": frozenset({"cap", "granted", "room"})},
        "highest_never_stacked": {
            "top_up": frozenset({"overlap", "amount"}),
            "not_deducted": frozenset({"overlap", "amount"}),
        },
        "rounding_unit_fen": {"floored": frozenset({"unit"})},
    }

    @model_validator(mode="after")
    def _coherent(self) -> "CapabilityInvestmentShareRule":
        _says_what_is_wanted(self, self.SENTENCES)
        if self.first_year_cap_fen.value > self.total_cap_fen.value:
            raise ValueError("first_year_cap_fen exceeds total_cap_fen")
        _no_duplicates(self.eligible_tiers.value, "eligible_tiers")
        _no_duplicates(self.tiers_funded_elsewhere.value, "tiers_funded_elsewhere")
        _no_duplicates(self.eligible_statuses.value, "eligible_statuses")
        _no_duplicates(self.qualifying_grades.value, "qualifying_grades")
        both = set(self.eligible_tiers.value) & set(self.tiers_funded_elsewhere.value)
        if both:
            raise ValueError(f"tier {sorted(both)[0]!r} is both eligible and funded elsewhere")
        stray = set(self.grade_multipliers.value) - set(self.qualifying_grades.value)
        if stray:
            raise ValueError(f"grade_multipliers names {sorted(stray)[0]!r}, which is not a qualifying grade")
        return self

    def multiplier_for(self, grade: Grade) -> Decimal:
        """The factor for a qualifying grade; a grade the data leaves out is paid in full."""
        return self.grade_multipliers.value.get(grade, Decimal(1))


class Award(_Frozen):
    """One one-off award: paid when its event happens to a center led by one of its lead-unit types."""

    trigger: Trigger
    # None: any lead-unit type.
    lead_unit_types: list[LeadUnitType] | None = None
    amount_fen: Fen
    clause: Clause
    effective_from: date
    zh: Text
    en: Text

    def covers(self, lead_unit_type: LeadUnitType | None) -> bool:
        return self.lead_unit_types is None or lead_unit_type in self.lead_unit_types


class OneOffAwardsRule(_Frozen):
    """Fixed awards on events (creation, recognition as provincial or national TIC)."""

    kind: Literal["one_off_awards"]
    awards: list[Award] = Field(min_length=1)
    # What the trace says of the award event; its clause is the award's own.
    award_event: Sentences
    once_per_center: Parameter[Annotated[bool, Field(strict=True)]]
    rounding_unit_fen: Parameter[PositiveFen]

    SENTENCES: ClassVar[SentencesWanted] = {
        "award_event": {
            "no_event": frozenset(),
            "not_set": frozenset({"trigger", "lead_unit_type"}),
            "awarded": frozenset({"award_zh", "award_en", "amount"}),
        },
        "once_per_center": {"already_received": frozenset({"trigger"}), "first_time": frozenset()},
        "rounding_unit_fen": {"floored": frozenset({"unit"})},
    }

    @model_validator(mode="after")
    def _unambiguous(self) -> "OneOffAwardsRule":
        _says_what_is_wanted(self, self.SENTENCES)
        for i, award in enumerate(self.awards):
            for other in self.awards[:i]:
                if award.trigger != other.trigger:
                    continue
                # No list means every lead-unit type.
                mine = set(award.lead_unit_types or LeadUnitType)
                theirs = set(other.lead_unit_types or LeadUnitType)
                if mine & theirs:
                    raise ValueError(f"two awards for {award.trigger!r} cover the same lead-unit type")
        return self

    def award_for(self, trigger: Trigger, lead_unit_type: LeadUnitType | None) -> Award | None:
        return next((a for a in self.awards if a.trigger == trigger and a.covers(lead_unit_type)), None)


Rule = Annotated[CapabilityInvestmentShareRule | OneOffAwardsRule, Field(discriminator="kind")]
RULE_KINDS = ("capability_investment_share", "one_off_awards")


class Policy(_Frozen):
    """A versioned subsidy policy of one jurisdiction."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    title: LocalizedText
    jurisdiction: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
    effective: EffectivePeriod
    rule: Rule

    def is_effective_on(self, day: date) -> bool:
        return self.effective.contains(day)


def _located(item: Mapping[str, Any]) -> list[Any]:
    loc = list(item["loc"])
    # pydantic names the rule kind it tried inside the location; the file has no such key.
    if loc[:1] == ["rule"] and len(loc) > 1 and loc[1] in RULE_KINDS:
        del loc[1]
    return loc


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in _located(item)) or "(file)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def _parameter_errors(error: ValidationError) -> list[dict[str, Any]]:
    """Each bad rule parameter (`rule.rate.value` → `rate`) with the error pydantic gave for it."""
    return [
        {"parameter": str(loc[1]), **item}
        for item in error.errors()
        if (loc := _located(item))[:1] == ["rule"] and len(loc) > 1
    ]


def parse_policy(data: Mapping[str, Any], *, source: str = "<data>") -> Policy:
    """Validate already-parsed policy data; refuse it with every bad field named."""
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise InvalidPolicyError(f"policy {source} is invalid:\n{_describe(error)}", _parameter_errors(error)) from None


def load_policy_file(path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InvalidPolicyError(f"policy {path.name} is not valid TOML: {error}") from None
    policy = parse_policy(data, source=path.name)
    # The file name is how people find a policy, so it must not drift from the code inside.
    if policy.code != path.stem:
        raise InvalidPolicyError(f"policy {path.name} declares code {policy.code!r}; name the file after it")
    return policy


def load_policies(directory: Path | None = None) -> dict[str, Policy]:
    """Every policy file of the directory (default: the packaged ``funding/policies``), by code."""
    folder = directory or POLICY_DIR
    policies: dict[str, Policy] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name == EXPENDITURE_CATEGORIES_FILE:
            continue
        policy = load_policy_file(path)
        policies[policy.code] = policy
    return policies


def with_overrides(policy: Policy, overrides: Mapping[str, Any]) -> Policy:
    """A variant of the policy: named rule parameters get new values, validated like a policy file.

    A parameter keeps its clause and dates; only its value changes. ``awards`` replaces the award list.
    """
    rule = policy.rule.model_dump(mode="python")
    for name, value in overrides.items():
        if name == "kind" or name not in rule:
            known = ", ".join(sorted(k for k in rule if k != "kind"))
            message = f"policy {policy.code} has no parameter {name!r} (known: {known})"
            raise InvalidPolicyError(message, [{"parameter": name, "msg": message, "type": "extra_forbidden"}])
        if isinstance(rule[name], dict) and "value" in rule[name] and "clause" in rule[name]:
            rule[name]["value"] = value
        else:
            rule[name] = value
    data = policy.model_dump(mode="python", by_alias=True)
    data["rule"] = rule
    return parse_policy(data, source=f"{policy.code} (variant)")
