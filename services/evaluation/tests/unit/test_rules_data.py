"""The rules file carries every figure of POLICY §3 with its clause; incoherent rules are refused."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from evaluation.domain import datafiles
from evaluation.domain.datafiles import UnknownDataFile
from evaluation.domain.rules import EvaluationRules, list_rules, load_rules


def test_rules_figures_and_clauses(rules: EvaluationRules) -> None:
    assert rules.indicator_system == "ningbo-tic-2022"
    assert (rules.rounding.decimals, rules.rounding.mode) == (2, ROUND_HALF_UP)
    trimming = rules.expert_scoring
    assert (trimming.min_experts_to_trim, trimming.trim_highest, trimming.trim_lowest) == (5, 1, 1)
    assert (trimming.score_min, trimming.score_max) == (Decimal(0), Decimal(100))
    assert rules.consequences.consecutive_unqualified_to_delist == 2
    assert rules.consequences.priority_support_grade == "excellent"
    assert "[default]" in rules.rounding.clause
    assert "[default]" in trimming.clause
    assert rules.construction.clause.startswith("001 §3(1)")
    assert rules.effective_from.isoformat() == "2022-10-26"


def test_rules_are_listed() -> None:
    assert list_rules() == ["ningbo-tic-2022"]


def test_unknown_rules_refused() -> None:
    with pytest.raises(UnknownDataFile):
        load_rules("weihai-2018")


def _raw() -> dict[str, Any]:
    return datafiles.read_toml("rules", "ningbo-tic-2022")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["grades"].reverse(), "best first"),
        (lambda raw: raw["grades"][1].update(min_score="95"), "fall strictly"),
        (lambda raw: raw["grades"][3].update(min_score="10"), "start at 0"),
        (lambda raw: raw["rounding"].update(mode="ROUND_SOMETIMES"), "unknown rounding mode"),
        (lambda raw: raw["expert_scoring"].update(min_experts_to_trim=2), "at least one score"),
        (lambda raw: raw["milestones"][0]["figures"][1].update(report_fields=["team.ghosts"]), "team.ghosts"),
        (lambda raw: raw["acceptance"].update(required_checkpoints=["two_years", "ten_years"]), "ten_years"),
    ],
)
def test_incoherent_rules_refused(change: Any, message: str) -> None:
    raw = _raw()
    change(raw)
    with pytest.raises(ValueError, match=message):
        EvaluationRules.model_validate(raw)
