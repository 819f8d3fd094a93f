"""Official names, registry codes, construction period and the legal-entity deadline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.domain.naming import (
    DeadlineStatus,
    Domain,
    NamingError,
    add_years,
    construction_end,
    deadline_status,
    deadline_within,
    legal_entity_deadline,
    legal_entity_status,
    official_names,
    registry_code,
)
from registry.domain.policy import Field, jurisdiction_of_district, registry_policy
from tic_shared.jurisdictions import jurisdictions

NINGBO, WEIHAI, LINHAI = (jurisdictions()[code] for code in ("ningbo", "weihai", "linhai"))


def test_official_names_follow_001_3_3() -> None:
    names = official_names(NINGBO, Field.NEW_MATERIALS, Domain("先进高分子材料", "Advanced Polymer Materials"))
    assert names.zh == "宁波市先进高分子材料技术创新中心"
    assert names.en == "Ningbo Municipal Innovation Center of Advanced Polymer Materials Technology"


@pytest.mark.parametrize(
    ("field", "zh", "en"),
    [
        (
            Field.NEW_MATERIALS,
            "宁波市新材料技术创新中心",
            "Ningbo Municipal Innovation Center of New Materials Technology",
        ),
        (
            Field.INDUSTRIAL_INTERNET,
            "宁波市工业互联网技术创新中心",
            "Ningbo Municipal Innovation Center of Industrial Internet Technology",
        ),
        (
            Field.KEY_CORE_COMPONENTS,
            "宁波市关键核心基础件技术创新中心",
            "Ningbo Municipal Innovation Center of Key Core Components Technology",
        ),
    ],
)
def test_official_names_default_to_the_field(field: Field, zh: str, en: str) -> None:
    names = official_names(NINGBO, field)
    assert (names.zh, names.en) == (zh, en)


@pytest.mark.parametrize(
    "domain",
    [
        Domain("宁波市石墨烯", "Graphene"),
        Domain("石墨烯技术创新中心", "Graphene"),
        Domain("石墨烯技术", "Graphene"),
        Domain("石墨烯", "Graphene Technology"),
        Domain("", "Graphene"),
        Domain("石墨烯", " "),
    ],
)
def test_official_names_refuse_a_domain_that_would_double_words(domain: Domain) -> None:
    with pytest.raises(NamingError):
        official_names(NINGBO, Field.NEW_MATERIALS, domain)


def test_weihai_and_linhai_centers_carry_their_own_city_name() -> None:
    domain = Domain("海洋生物医药", "Marine Biomedicine")
    weihai = official_names(WEIHAI, Field.NEW_MATERIALS, domain)
    assert (weihai.zh, weihai.en) == (
        "威海市海洋生物医药技术创新中心",
        "Weihai Municipal Innovation Center of Marine Biomedicine Technology",
    )
    linhai = official_names(LINHAI, Field.NEW_MATERIALS, domain)
    assert (linhai.zh, linhai.en) == (
        "临海市海洋生物医药技术创新中心",
        "Linhai Municipal Innovation Center of Marine Biomedicine Technology",
    )
    # Each jurisdiction refuses its own city name doubled into the domain.
    with pytest.raises(NamingError, match="威海市"):
        official_names(WEIHAI, Field.NEW_MATERIALS, Domain("威海海洋", "Marine"))
    with pytest.raises(NamingError, match="Linhai"):
        official_names(LINHAI, Field.NEW_MATERIALS, Domain("海洋", "Linhai Marine"))


def test_the_district_decides_the_jurisdiction() -> None:
    assert jurisdiction_of_district("zhenhai").code == "ningbo"
    assert jurisdiction_of_district("huancui").code == "weihai"
    assert jurisdiction_of_district("taizhou_bay_etdz").code == "linhai"
    assert {d.jurisdiction for d in registry_policy().districts.values()} == {"ningbo", "weihai", "linhai"}
    with pytest.raises(KeyError):
        jurisdiction_of_district("atlantis")


def test_registry_code_format() -> None:
    assert NINGBO.registry_code.format == "NB-TIC-{year}-{seq:03d}"
    assert registry_code(NINGBO, year=2026, seq=7) == "NB-TIC-2026-007"
    assert registry_code(NINGBO, year=2024, seq=123) == "NB-TIC-2024-123"
    assert registry_code(WEIHAI, year=2026, seq=1) == "WH-TIC-2026-001"
    assert registry_code(LINHAI, year=2026, seq=2) == "LH-TIC-2026-002"
    with pytest.raises(NamingError):
        registry_code(NINGBO, year=2026, seq=0)


def test_construction_period_at_most_5_years() -> None:
    period = NINGBO.construction_period
    assert (period.normal_years, period.max_years) == (5, 5)
    start = date(2024, 5, 20)
    assert construction_end(NINGBO, start) == date(2029, 5, 20)
    assert construction_end(NINGBO, start, 3) == date(2027, 5, 20)
    with pytest.raises(NamingError):
        construction_end(NINGBO, start, 6)
    with pytest.raises(NamingError):
        construction_end(NINGBO, start, 0)


def test_construction_period_is_the_jurisdictions() -> None:
    # Weihai's text sets none: the marked default of 5 years applies, and its maximum is enforced.
    assert WEIHAI.construction_period.default
    assert construction_end(WEIHAI, date(2026, 1, 5)) == date(2031, 1, 5)
    with pytest.raises(NamingError, match="Weihai"):
        construction_end(WEIHAI, date(2026, 1, 5), WEIHAI.construction_period.max_years + 1)


def test_construction_period_from_29_february() -> None:
    assert add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert construction_end(NINGBO, date(2024, 2, 29)) == date(2029, 2, 28)


def test_legal_entity_deadline_is_construction_end() -> None:
    end = construction_end(NINGBO, date(2023, 9, 24), 3)
    assert legal_entity_deadline(end) == end


def test_deadline_within_days() -> None:
    deadline = date(2026, 9, 24)
    assert deadline_within(deadline, deadline - timedelta(days=30), 30)
    assert not deadline_within(deadline, deadline - timedelta(days=31), 30)
    assert deadline_within(deadline, deadline, 0)
    assert not deadline_within(deadline, deadline + timedelta(days=1), 30)


def test_legal_entity_flag_near_or_passed() -> None:
    window = registry_policy().legal_entity_warning_days
    end = date(2026, 9, 24)

    def status(today: date, independent: bool = False) -> DeadlineStatus:
        return legal_entity_status(independent_legal_person=independent, construction_end_on=end, today=today)

    assert status(end - timedelta(days=window + 1)) == DeadlineStatus.OK
    assert status(end - timedelta(days=window)) == DeadlineStatus.NEAR
    assert status(end) == DeadlineStatus.NEAR
    assert status(end + timedelta(days=1)) == DeadlineStatus.PASSED
    assert status(end + timedelta(days=1), independent=True) == DeadlineStatus.OK
    assert deadline_status(end, end - timedelta(days=10), days=5) == DeadlineStatus.OK
