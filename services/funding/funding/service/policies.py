"""The rules funding runs on — policies, expenditure categories, jurisdictions — and the pure quote."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from funding.domain.calculator import Quote, SubsidyInputs, quote
from funding.domain.jurisdictions import Jurisdictions, packaged_jurisdictions
from funding.domain.ledger import ExpenditureCategory, load_expenditure_categories
from funding.domain.policy import Policy, load_policies
from tic_shared.problems import NotFound, Problem


@dataclass(frozen=True)
class Rules:
    """The data the service runs on, loaded and validated once: policies, categories, jurisdictions."""

    policies: Mapping[str, Policy]
    categories: Mapping[str, ExpenditureCategory]
    jurisdictions: Jurisdictions


@cache
def rules() -> Rules:
    loaded = Rules(
        policies=load_policies(),
        categories=load_expenditure_categories(),
        jurisdictions=packaged_jurisdictions(),
    )
    # The jurisdiction files name their subsidy policies; each must be a loaded policy of that jurisdiction, and
    # each policy must belong to a known jurisdiction (a jurisdiction may have none, e.g. Linhai's text pays none).
    for code, jurisdiction in loaded.jurisdictions.by_code.items():
        for policy_code in jurisdiction.subsidy.policies:
            policy = loaded.policies.get(policy_code)
            if policy is None or policy.jurisdiction != code:
                raise ValueError(f"jurisdiction {code!r} names the policy {policy_code!r}, which is not its own file")
    for policy in loaded.policies.values():
        if policy.jurisdiction not in loaded.jurisdictions.by_code:
            raise ValueError(f"policy {policy.code!r} belongs to the unknown jurisdiction {policy.jurisdiction!r}")
    return loaded


def policy_named(code: str, *, field: str = "body.policy") -> Policy:
    """The policy a request names, or a 422 naming the field and the policies there are."""
    policy = rules().policies.get(code)
    if policy is None:
        known = ", ".join(sorted(rules().policies))
        raise Problem(422, "unknown-policy", f"{field}: there is no policy {code!r} (known: {known})")
    return policy


def list_policies() -> list[Policy]:
    return sorted(rules().policies.values(), key=lambda p: p.code)


def get_policy(*, code: str) -> Policy:
    policy = rules().policies.get(code)
    if policy is None:
        raise NotFound("policy", code)
    return policy


def list_expenditure_categories() -> list[ExpenditureCategory]:
    return list(rules().categories.values())


def quote_subsidy(*, policy_code: str, inputs: SubsidyInputs) -> Quote:
    """What the policy grants for these inputs, with its trace; nothing is read or stored."""
    return quote(policy_named(policy_code), inputs)
