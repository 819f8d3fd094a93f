"""The plans, their departments and the progress rule, read from the evaluation package's data files and checked.

`data/plans/{code}.toml` is one plan; `data/departments/{jurisdiction}.toml` the units its plans make
responsible; `data/plan_rules/{code}.toml` a rule for judging progress. A plan that names a department its
jurisdiction does not list, or a rule that does not exist, is refused on load.
"""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from evaluation.domain import datafiles
from evaluation.plans.departments import Departments
from evaluation.plans.model import Plan
from evaluation.plans.progress_rule import ProgressRule

_Model = TypeVar("_Model", bound=BaseModel)


class PlanDataError(ValueError):
    """A plan file, a departments file or a progress rule breaks its own rules or refers to what does not exist."""


def _read(model: type[_Model], kind: str, code: str) -> _Model:
    try:
        return model.model_validate(datafiles.read_toml(kind, code))
    except ValidationError as error:
        raise PlanDataError(f"{kind.replace('_', ' ')} {code}: {error}") from None


@cache
def load_departments(jurisdiction: str) -> Departments:
    """The departments of `jurisdiction`; an unknown jurisdiction raises `UnknownDataFile`."""
    departments = _read(Departments, "departments", jurisdiction)
    if departments.jurisdiction != jurisdiction:
        raise PlanDataError(f"departments/{jurisdiction}.toml says it is {departments.jurisdiction!r}'s")
    return departments


@cache
def load_progress_rule(code: str) -> ProgressRule:
    """The progress rule `data/plan_rules/{code}.toml`; an unknown code raises `UnknownDataFile`."""
    return _read(ProgressRule, "plan_rules", code)


@cache
def load_plan(code: str) -> Plan:
    """The plan `data/plans/{code}.toml`, checked against its departments and its rule.

    An unknown code raises `UnknownDataFile`.
    """
    plan = _read(Plan, "plans", code)
    if plan.code != code:
        raise PlanDataError(f"plans/{code}.toml carries the code {plan.code!r}")
    unknown = sorted(plan.departments() - load_departments(plan.jurisdiction).codes)
    if unknown:
        raise PlanDataError(f"plan {code} names departments {plan.jurisdiction} does not list: {unknown}")
    load_progress_rule(plan.progress_rule)
    return plan


def list_plans() -> list[str]:
    """The codes of every plan in the package's data, sorted."""
    return datafiles.list_codes("plans")


def plans_of(jurisdiction: str) -> list[Plan]:
    """The plans of one jurisdiction, by code."""
    return [plan for plan in map(load_plan, list_plans()) if plan.jurisdiction == jurisdiction]
