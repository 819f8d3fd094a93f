"""Fixtures of the funding tests: the packaged policies and a builder of calculator inputs."""

from collections.abc import Callable
from typing import Any

import pytest

from funding.domain.calculator import SubsidyInputs
from funding.domain.policy import Policy, load_policies

InputsFactory = Callable[..., SubsidyInputs]


@pytest.fixture(scope="session")
def policies() -> dict[str, Policy]:
    return load_policies()


@pytest.fixture(scope="session")
def ningbo(policies: dict[str, Policy]) -> Policy:
    return policies["ningbo-tic-2022"]


@pytest.fixture(scope="session")
def weihai(policies: dict[str, Policy]) -> Policy:
    return policies["weihai-2018"]


@pytest.fixture(scope="session")
def inputs() -> InputsFactory:
    """An enterprise-led municipal TIC in construction, year 1, nothing invested; override the rest."""

    def make(**changes: Any) -> SubsidyInputs:
        fields: dict[str, Any] = {
            "tier": "municipal_tic",
            "status": "building",
            "lead_unit_type": "enterprise",
            "funding_year": 1,
        }
        fields.update(changes)
        return SubsidyInputs(**fields)

    return make
