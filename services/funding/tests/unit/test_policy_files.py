"""The policy data files: they validate, every parameter cites its clause, bad files are refused."""

import ast
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from funding.domain.jurisdictions import packaged_jurisdictions, policies_of
from funding.domain.policy import (
    CLAUSE_PATTERN,
    POLICY_DIR,
    Award,
    CapabilityInvestmentShareRule,
    InvalidPolicyError,
    OneOffAwardsRule,
    Parameter,
    Policy,
    load_policies,
    load_policy_file,
)

DOMAIN_DIR = POLICY_DIR.parent / "domain"
NINGBO_FILE = POLICY_DIR / "ningbo-tic-2022.toml"


def parameters_of(policy: Policy) -> dict[str, Parameter[object]]:
    return {name: value for name, value in policy.rule if isinstance(value, Parameter)}


def test_every_policy_file_validates() -> None:
    policies = load_policies()

    assert set(policies) == {"ningbo-tic-2022", "weihai-2018"}
    assert isinstance(policies["ningbo-tic-2022"].rule, CapabilityInvestmentShareRule)
    assert isinstance(policies["weihai-2018"].rule, OneOffAwardsRule)


@pytest.mark.parametrize("code", ["ningbo-tic-2022", "weihai-2018"])
def test_every_parameter_has_a_clause_a_date_and_a_description(code: str) -> None:
    policy = load_policies()[code]
    cited: list[Parameter[object] | Award] = list(parameters_of(policy).values())
    if isinstance(policy.rule, OneOffAwardsRule):
        cited += policy.rule.awards

    assert cited
    for parameter in cited:
        assert re.fullmatch(CLAUSE_PATTERN, parameter.clause)
        assert parameter.effective_from >= policy.effective.starts_on
        assert parameter.zh.strip() and parameter.en.strip()


def test_ningbo_parameters_are_those_of_policy_section_5() -> None:
    rule = load_policies()["ningbo-tic-2022"].rule
    assert isinstance(rule, CapabilityInvestmentShareRule)

    assert rule.rate.value == Decimal("0.30")
    assert rule.first_year_cap_fen.value == 500_000_000
    assert rule.total_cap_fen.value == 1_000_000_000
    assert rule.funded_years.value == 3
    assert rule.eligible_tiers.value == ["municipal_tic"]
    assert set(rule.tiers_funded_elsewhere.value) == {"national_tic", "provincial_tic"}
    assert rule.eligible_statuses.value == ["building"]
    assert set(rule.qualifying_grades.value) == {"excellent", "good", "qualified"}
    assert all(rule.multiplier_for(g) == 1 for g in rule.qualifying_grades.value)
    assert rule.highest_never_stacked.value is True
    assert rule.rounding_unit_fen.value == 100


def test_defaults_the_texts_leave_open_are_marked_default() -> None:
    defaults = {
        name for name, p in parameters_of(load_policies()["ningbo-tic-2022"]).items() if p.clause == "[default]"
    }
    assert defaults == {"funding_year_months", "grade_multipliers", "rounding_unit_fen"}


def test_policy_is_effective_from_its_start_with_no_end() -> None:
    policy = load_policies()["ningbo-tic-2022"]

    assert policy.effective.starts_on.isoformat() == "2022-10-26"
    assert not policy.is_effective_on(policy.effective.starts_on.replace(day=25))
    assert policy.is_effective_on(policy.effective.starts_on.replace(year=2030))


def test_business_numbers_live_only_in_data() -> None:
    amounts = {500_000_000, 1_000_000_000, 200_000_000, 300_000_000}
    for source in DOMAIN_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        constants = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
        assert not amounts & constants, source.name
        assert not {"0.30", "0.3"} & constants, source.name


def test_nothing_reads_the_shared_specs_at_run_time() -> None:
    package = POLICY_DIR.parent
    for source in [*package.rglob("*.py"), *package.rglob("*.toml")]:
        assert "/work/shared" not in source.read_text(encoding="utf-8"), source.name


def write_variant(tmp_path: Path, old: str, new: str, *, name: str = "ningbo-tic-2022.toml") -> Path:
    text = NINGBO_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ('value = "0.30"', "value = 0.30", "decimal string"),
        ('value = "0.30"', 'value = "thirty"', "not a decimal number"),
        ('value = "0.30"', 'value = "1.30"', "between 0 and 1"),
        ("value = 500_000_000", "value = -1", "rule.first_year_cap_fen.value"),
        ("value = 500_000_000", "value = 5000000.5", "rule.first_year_cap_fen.value"),
        ("value = 500_000_000", "value = 2_000_000_000", "first_year_cap_fen exceeds total_cap_fen"),
        ('clause = "001 §3(4)"', 'clause = "the guide"', "rule.rate.clause"),
        ('clause = "001 §3(4)"\n', "", "rule.rate.clause"),
        ('kind = "capability_investment_share"', 'kind = "lottery"', "lottery"),
        (
            'value = ["municipal_tic"]',
            'value = ["municipal_tic", "national_tic"]',
            "both eligible and funded",
        ),
        ('value = ["building"]', 'value = ["constructing"]', "rule.eligible_statuses.value"),
        (
            'value = { excellent = "1",',
            'value = { unqualified = "1", excellent = "1",',
            "not a qualifying grade",
        ),
        ("value = true", 'value = "yes"', "rule.highest_never_stacked.value"),
        ("from = 2022-10-26", "from = 2022-10-26\nto = 2021-01-01", "ends before it starts"),
        ("jurisdiction = ", "region = ", "jurisdiction"),
    ],
)
def test_a_malformed_policy_file_is_refused_with_a_clear_error(
    tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    path = write_variant(tmp_path, old, new)

    with pytest.raises(InvalidPolicyError, match=re.escape(complaint)) as refused:
        load_policy_file(path)
    assert "ningbo-tic-2022.toml" in str(refused.value)


def test_a_policy_file_named_unlike_its_code_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "code = ", "code = ", name="ningbo.toml")

    with pytest.raises(InvalidPolicyError, match="name the file after it"):
        load_policy_file(path)


def test_a_policy_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "[rule]", "[rule")

    with pytest.raises(InvalidPolicyError, match="not valid TOML"):
        load_policy_file(path)


def test_two_awards_for_the_same_event_and_lead_unit_are_refused(tmp_path: Path) -> None:
    text = (POLICY_DIR / "weihai-2018.toml").read_text(encoding="utf-8")
    path = tmp_path / "weihai-2018.toml"
    path.write_text(text.replace('lead_unit_types = ["university", "research_institute"]', "", 1), encoding="utf-8")

    with pytest.raises(InvalidPolicyError, match="cover the same lead-unit type"):
        load_policy_file(path)


def test_load_policies_reads_a_directory_and_skips_the_categories(tmp_path: Path) -> None:
    (tmp_path / "expenditure-categories.toml").write_text("[[category]]\n", encoding="utf-8")
    (tmp_path / "ningbo-tic-2022.toml").write_text(NINGBO_FILE.read_text(encoding="utf-8"), encoding="utf-8")

    assert list(load_policies(tmp_path)) == ["ningbo-tic-2022"]


def test_every_policy_is_versioned_data_of_one_jurisdiction_with_an_effective_period() -> None:
    policies = load_policies()
    assert {(p.code, p.jurisdiction, p.effective.starts_on) for p in policies.values()} == {
        ("ningbo-tic-2022", "ningbo", date(2022, 10, 26)),
        ("weihai-2018", "weihai", date(2018, 11, 30)),
    }
    jurisdictions = packaged_jurisdictions()
    assert all(p.jurisdiction in jurisdictions.by_code for p in policies.values())
    assert jurisdictions.of_district("zhenhai") == "ningbo"
    # A policy applies only inside its own jurisdiction and its own period.
    assert [p.code for p in policies_of(policies, "ningbo", date(2026, 1, 1))] == ["ningbo-tic-2022"]
    assert policies_of(policies, "ningbo", date(2022, 10, 25)) == []
    assert [p.code for p in policies_of(policies, "weihai", date(2026, 1, 1))] == ["weihai-2018"]
    assert policies_of(policies, None, date(2026, 1, 1)) == []
