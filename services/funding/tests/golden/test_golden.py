"""Golden cases, one file per clause: each case's inputs must quote exactly its expected amount."""

import tomllib
from pathlib import Path
from typing import Any

import pytest

from funding.domain.calculator import SubsidyInputs, quote
from funding.domain.policy import load_policies

GOLDEN_DIR = Path(__file__).parent
POLICIES = load_policies()


def _cases() -> list[Any]:
    cases = []
    for path in sorted(GOLDEN_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for case in data["case"]:
            cases.append(pytest.param(data["clause"], data["policy"], case, id=f"{path.stem}: {case['name']}"))
    return cases


def test_there_is_a_golden_file_per_clause() -> None:
    clauses = {tomllib.loads(p.read_text(encoding="utf-8"))["clause"] for p in GOLDEN_DIR.glob("*.toml")}

    assert clauses == {"001 §3(4)", "000 §4(3)", "001 §5(4)", "003 §4(3)", "[default]"}


@pytest.mark.parametrize(("clause", "policy_code", "case"), _cases())
def test_golden_case(clause: str, policy_code: str, case: dict[str, Any]) -> None:
    result = quote(POLICIES[policy_code], SubsidyInputs(**case["inputs"]))

    assert result.amount_fen == case["expected_amount_fen"]
    # the file's clause is one the calculation actually applied
    assert any(clause in step.clause for step in result.trace)
    if "zeroed_by" in case:
        assert next(s.code for s in result.trace if s.result_fen == 0) == case["zeroed_by"]
