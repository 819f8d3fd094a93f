"""The notification rules, read-only: they ship as a versioned data file (`notification/data/rules.toml`)."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from notification.domain.rules import Rule, package_rules
from tic_shared.auth import Principal, scoped
from tic_shared.problems import NotFound

router = APIRouter(tags=["rules"])


class NotifyOut(BaseModel):
    who: str = Field(
        examples=["lead_unit_contacts"],
        description="lead_unit_contacts, center_users, district_officers, lead_department, co_departments "
        "(a plan's), role:<role> or subscribers",
    )
    channels: list[str] = Field(examples=[["email"]])


class ConditionOut(BaseModel):
    field: str = Field(examples=["amount_fen"])
    above: int = Field(examples=[0])


class RuleOut(BaseModel):
    event_name: str = Field(examples=["CenterApproved"])
    template: str = Field(examples=["CenterApproved"])
    description: str
    notify: list[NotifyOut]
    people_only_if: ConditionOut | None = Field(
        default=None, description="People are told only when data.<field> is above the figure; systems always"
    )


class RuleSet(BaseModel):
    version: int = Field(description="Bumped with every change of the rules file.")
    rules: list[RuleOut]


def _out(rule: Rule) -> RuleOut:
    return RuleOut(
        event_name=rule.event_name,
        template=rule.template,
        description=rule.description,
        notify=[NotifyOut(who=n.who, channels=list(n.channels)) for n in rule.notify],
        people_only_if=(
            ConditionOut(field=rule.people_only_if.field, above=rule.people_only_if.above)
            if rule.people_only_if
            else None
        ),
    )


@router.get("/rules", response_model=RuleSet, summary="Who is told of which event, on which channel")
async def list_rules(_: Annotated[Principal, scoped("notification:manage")]) -> RuleSet:
    rules = package_rules()
    return RuleSet(version=rules.version, rules=[_out(rule) for rule in rules.rules.values()])


@router.get("/rules/{event_name}", response_model=RuleOut, summary="The rule of one event type")
async def get_rule(
    _: Annotated[Principal, scoped("notification:manage")],
    event_name: Annotated[str, Path(max_length=100, examples=["CenterApproved"])],
) -> RuleOut:
    rule = package_rules().for_event(event_name)
    if rule is None:
        raise NotFound("rule of event type", event_name)
    return _out(rule)
