"""Schemathesis against each service as `tic dev` serves it: every operation of the committed OpenAPI document,
valid and invalid inputs, a bounded number of each. Not one server error, not one answer outside the contract
(status code, content type, headers, body schema), and every invalid input refused with a 4xx.

Each service runs on a database and a NATS of this test's own (what the fuzzer writes stays there) under a
bureau admin's token, so that what is tried reaches the validation and the use cases behind it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.live import serving
from tic_platform.contract import SERVICES, openapi_path

EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 6}
"""Per operation and mode. Deterministic (derandomized), so a failure found here is found again."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _describe(mode: GenerationMode, case: Any, response: Any, exc: BaseException) -> str:
    found = getattr(exc, "exceptions", None) or (exc,)
    titles = "; ".join(getattr(failure, "title", None) or str(failure).splitlines()[0] for failure in found)
    where = f"{mode.value} {case.method} {case.formatted_path} -> {response.status_code}"
    return f"{where}: {titles}\n    {response.text[:240]}"


def _fuzz(
    operation: Any, mode: GenerationMode, base_url: str, session: requests.Session, headers: dict[str, str]
) -> list[str]:
    failures: list[str] = []
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:  # every failure of the run, not only the first
            failures.append(_describe(mode, case, response, exc))

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_the_fuzzer_finds_no_server_error_and_no_answer_outside_the_contract(
    service: str,
    own_database_url: str,
    own_nats: Any,
    make_settings: Callable[..., Any],
    token: Callable[..., str],
) -> None:
    document = json.loads(openapi_path(service).read_text(encoding="utf-8"))
    schema = schemathesis.openapi.from_dict(document)
    overrides: dict[str, Any] = {"database_url": own_database_url, "nats_url": own_nats.admin_url}
    if service == "notification":
        overrides["delivery_worker_enabled"] = False  # the fuzzer's webhook URLs are never called
    headers = {"Authorization": f"Bearer {token(subject='fuzzer', roles=['bureau_admin'])}"}
    failures: list[str] = []
    with serving(service, make_settings(service, **overrides)) as base_url, requests.Session() as session:
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations
        for operation in operations:
            for mode in EXAMPLES:
                failures.extend(_fuzz(operation, mode, base_url, session, headers))
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(set(failures))[:80])
