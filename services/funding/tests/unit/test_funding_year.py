"""Funding year k is the k-th twelve months from the approval date ([default]), Feb 29 included."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funding.domain.calculator import funding_year_of


@pytest.mark.parametrize(
    ("approved_on", "on", "year"),
    [
        (date(2023, 3, 10), date(2023, 3, 10), 1),  # the approval day itself
        (date(2023, 3, 10), date(2024, 3, 9), 1),  # last day of the first twelve months
        (date(2023, 3, 10), date(2024, 3, 10), 2),  # first anniversary
        (date(2023, 3, 10), date(2026, 3, 9), 3),
        (date(2023, 3, 10), date(2026, 3, 10), 4),
        (date(2023, 12, 31), date(2024, 12, 30), 1),
        (date(2023, 12, 31), date(2024, 12, 31), 2),
    ],
)
def test_funding_year_is_the_kth_twelve_months_from_approval(approved_on: date, on: date, year: int) -> None:
    assert funding_year_of(approved_on, on) == year


@pytest.mark.parametrize(
    ("on", "year"),
    [
        (date(2025, 2, 27), 1),
        (date(2025, 2, 28), 2),  # no Feb 29 in 2025: the anniversary is the month's last day
        (date(2025, 3, 1), 2),
        (date(2027, 2, 28), 4),
        (date(2028, 2, 28), 4),  # 2028 is a leap year: the anniversary is Feb 29 again
        (date(2028, 2, 29), 5),
    ],
)
def test_funding_year_of_a_feb_29_approval(on: date, year: int) -> None:
    assert funding_year_of(date(2024, 2, 29), on) == year


def test_funding_year_before_approval_is_refused() -> None:
    with pytest.raises(ValueError, match="before the approval date"):
        funding_year_of(date(2024, 5, 1), date(2024, 4, 30))


@given(
    approved_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    days=st.integers(min_value=0, max_value=3650),
)
def test_funding_year_grows_by_at_most_one_a_day(approved_on: date, days: int) -> None:
    on = approved_on + timedelta(days=days)
    today = funding_year_of(approved_on, on)
    tomorrow = funding_year_of(approved_on, on + timedelta(days=1))

    assert today >= 1
    assert tomorrow - today in (0, 1)
    # twelve months last 365 or 366 days
    assert days // 366 + 1 <= today <= days // 365 + 1
