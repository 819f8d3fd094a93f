"""The subsidy ledger's arithmetic (专账核算): categories, balances, clawbacks and budget checks."""

import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from funding.domain.policy import CLAUSE_PATTERN, EXPENDITURE_CATEGORIES_FILE, POLICY_DIR

Fen = Annotated[int, Field(strict=True, ge=0)]


class UnknownCategoryError(ValueError):
    """An expenditure category the data file does not list: refused rather than guessed."""


class BudgetExceededError(ValueError):
    """Approving a grant would take the jurisdiction past its yearly program budget."""


class ExpenditureCategory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    compliant: bool
    clause: Annotated[str, StringConstraints(pattern=CLAUSE_PATTERN)]
    zh: Annotated[str, StringConstraints(min_length=1)]
    en: Annotated[str, StringConstraints(min_length=1)]


class _CategoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: list[ExpenditureCategory] = Field(min_length=1)


def load_expenditure_categories(path: Path | None = None) -> Mapping[str, ExpenditureCategory]:
    """The allowed and forbidden uses of subsidy, by code (default: the packaged data file)."""
    source = path or POLICY_DIR / EXPENDITURE_CATEGORIES_FILE
    try:
        parsed = _CategoryFile.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise ValueError(f"expenditure categories {source.name} are invalid: {error}") from None
    categories: dict[str, ExpenditureCategory] = {}
    for category in parsed.category:
        if category.code in categories:
            raise ValueError(f"expenditure categories {source.name} list {category.code!r} twice")
        categories[category.code] = category
    return MappingProxyType(categories)


@cache
def _packaged_categories() -> Mapping[str, ExpenditureCategory]:
    return load_expenditure_categories()


def category_of(code: str, categories: Mapping[str, ExpenditureCategory] | None = None) -> ExpenditureCategory:
    known = _packaged_categories() if categories is None else categories
    try:
        return known[code]
    except KeyError:
        raise UnknownCategoryError(
            f"unknown expenditure category {code!r} (known: {', '.join(sorted(known))})"
        ) from None


def classify(category: str, categories: Mapping[str, ExpenditureCategory] | None = None) -> bool:
    """Whether spending in this category is a compliant use of subsidy; an unknown category is an error."""
    return category_of(category, categories).compliant


def _fen(name: str, value: int) -> int:
    # bool is an int to Python, never to a ledger.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer amount of fen, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative: {value}")
    return value


def clawback_fen(disbursed_fen: int, compliant_spent_fen: int) -> int:
    """What is ordered back: the unspent balance plus non-compliant spending, i.e. disbursed − compliant."""
    return max(0, _fen("disbursed_fen", disbursed_fen) - _fen("compliant_spent_fen", compliant_spent_fen))


class Expenditure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    category: str
    amount_fen: Fen


class LedgerBalance(BaseModel):
    """A center's subsidy ledger summed; a forbidden expenditure counts as non-compliant, never dropped."""

    model_config = ConfigDict(frozen=True)

    disbursed_fen: int
    compliant_spent_fen: int
    non_compliant_spent_fen: int
    # Negative when more was booked than disbursed.
    balance_fen: int

    @property
    def clawback_fen(self) -> int:
        return clawback_fen(self.disbursed_fen, self.compliant_spent_fen)


def summarize(
    disbursed_fen: int,
    expenditures: Iterable[Expenditure],
    categories: Mapping[str, ExpenditureCategory] | None = None,
) -> LedgerBalance:
    """Sum a center's subsidy ledger by compliance."""
    compliant = non_compliant = 0
    for expenditure in expenditures:
        if classify(expenditure.category, categories):
            compliant += expenditure.amount_fen
        else:
            non_compliant += expenditure.amount_fen
    disbursed = _fen("disbursed_fen", disbursed_fen)
    return LedgerBalance(
        disbursed_fen=disbursed,
        compliant_spent_fen=compliant,
        non_compliant_spent_fen=non_compliant,
        balance_fen=disbursed - compliant - non_compliant,
    )


def check_budget(*, budget_fen: int | None, committed_fen: int, amount_fen: int) -> None:
    """Refuse an approval that takes the year's committed grants past the budget (None: no budget)."""
    _fen("committed_fen", committed_fen)
    _fen("amount_fen", amount_fen)
    if budget_fen is None:
        return
    _fen("budget_fen", budget_fen)
    if committed_fen + amount_fen > budget_fen:
        raise BudgetExceededError(
            f"approving {amount_fen} fen would commit {committed_fen + amount_fen} fen against a budget of "
            f"{budget_fen} fen ({committed_fen + amount_fen - budget_fen} fen over)"
        )
