"""Which indicator system and rules a round of a given year is scored with: the latest in force that year."""

from datetime import date
from functools import cache

from evaluation.domain.indicators import IndicatorSystem, load_indicator_system
from evaluation.domain.rules import EvaluationRules, list_rules, load_rules


class NoRulesInForce(LookupError):
    """No evaluation rules were in force in that year."""


@cache
def rules_for_year(year: int) -> tuple[EvaluationRules, IndicatorSystem]:
    """The rules (and the indicator system they score) in force by the end of `year`, latest first."""
    in_force = [rules for rules in map(load_rules, list_rules()) if rules.effective_from <= date(year, 12, 31)]
    if not in_force:
        raise NoRulesInForce(f"no evaluation rules were in force in {year}")
    rules = max(in_force, key=lambda r: (r.effective_from, r.version))
    return rules, load_indicator_system(rules.indicator_system)
