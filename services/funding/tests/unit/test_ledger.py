"""POLICY §5 use of funds: categories, the ledger balance, clawback = disbursed − compliant, budgets."""

import pytest

from funding.domain.ledger import (
    BudgetExceededError,
    Expenditure,
    UnknownCategoryError,
    category_of,
    check_budget,
    classify,
    clawback_fen,
    load_expenditure_categories,
    summarize,
)

ALLOWED = ["research_projects", "equipment", "talent"]
FORBIDDEN = ["infrastructure", "sponsorship", "donation", "investment", "fines", "debt_repayment"]


@pytest.mark.parametrize("category", ALLOWED)
def test_research_equipment_and_talent_are_compliant_uses(category: str) -> None:
    assert classify(category) is True
    assert category_of(category).clause == "001 §3(4)"


@pytest.mark.parametrize("category", FORBIDDEN)
def test_infrastructure_sponsorship_donation_investment_fines_and_debt_are_forbidden(category: str) -> None:
    assert classify(category) is False
    assert category_of(category).clause == "001 §3(4)"


def test_the_categories_file_lists_exactly_the_allowed_and_forbidden_uses() -> None:
    assert set(load_expenditure_categories()) == set(ALLOWED) | set(FORBIDDEN)


def test_an_unknown_category_is_an_error() -> None:
    with pytest.raises(UnknownCategoryError, match="'catering'"):
        classify("catering")


@pytest.mark.parametrize(
    ("disbursed", "compliant", "expected"),
    [
        (5_000_000_00, 3_000_000_00, 2_000_000_00),
        (5_000_000_00, 5_000_000_00, 0),
        (5_000_000_00, 5_000_000_01, 0),  # never negative
        (0, 0, 0),
        (101, 1, 100),
    ],
)
def test_clawback_is_disbursed_minus_compliant_never_negative(disbursed: int, compliant: int, expected: int) -> None:
    assert clawback_fen(disbursed, compliant) == expected


@pytest.mark.parametrize(("disbursed", "compliant"), [(-1, 0), (0, -1)])
def test_clawback_refuses_negative_amounts(disbursed: int, compliant: int) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        clawback_fen(disbursed, compliant)


@pytest.mark.parametrize(("disbursed", "compliant"), [(1.0, 0), (0, True), ("100", 0)])
def test_clawback_refuses_anything_but_integer_fen(disbursed: object, compliant: object) -> None:
    with pytest.raises(TypeError, match="integer amount of fen"):
        clawback_fen(disbursed, compliant)  # type: ignore[arg-type]


def test_forbidden_spending_is_recorded_as_non_compliant_never_dropped() -> None:
    balance = summarize(
        10_000_000,
        [
            Expenditure(category="research_projects", amount_fen=4_000_000),
            Expenditure(category="equipment", amount_fen=1_000_001),
            Expenditure(category="infrastructure", amount_fen=2_000_000),
            Expenditure(category="fines", amount_fen=500_000),
        ],
    )

    assert balance.disbursed_fen == 10_000_000
    assert balance.compliant_spent_fen == 5_000_001
    assert balance.non_compliant_spent_fen == 2_500_000
    assert balance.balance_fen == 2_499_999


def test_clawback_is_the_unspent_balance_plus_non_compliant_spending() -> None:
    balance = summarize(
        10_000_000,
        [
            Expenditure(category="talent", amount_fen=6_000_000),
            Expenditure(category="donation", amount_fen=1_000_000),
        ],
    )

    assert balance.clawback_fen == balance.balance_fen + balance.non_compliant_spent_fen == 4_000_000


def test_a_ledger_with_an_unknown_category_is_refused() -> None:
    with pytest.raises(UnknownCategoryError):
        summarize(100, [Expenditure(category="travel", amount_fen=1)])


def test_an_expenditure_amount_must_be_non_negative_integer_fen() -> None:
    with pytest.raises(ValueError, match="amount_fen"):
        Expenditure(category="talent", amount_fen=-1)
    with pytest.raises(ValueError, match="amount_fen"):
        Expenditure(category="talent", amount_fen=1.5)  # type: ignore[arg-type]


def test_approving_beyond_the_yearly_budget_is_refused() -> None:
    check_budget(budget_fen=1_000, committed_fen=600, amount_fen=400)  # exactly the budget
    check_budget(budget_fen=None, committed_fen=10**12, amount_fen=10**12)  # no budget set

    with pytest.raises(BudgetExceededError, match="1 fen over"):
        check_budget(budget_fen=1_000, committed_fen=600, amount_fen=401)
