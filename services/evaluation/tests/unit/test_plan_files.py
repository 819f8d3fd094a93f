"""Each plan file against its source text: how many figures, every figure with its year, clause and departments.

The expected figures below are read from the texts (000, 002, 003, 004) and written out by hand, so a file that
drifts from its text fails here. Money is integer fen: 1 亿元 = 10,000,000,000 fen.
"""

from decimal import Decimal
from typing import Any

import pytest

from evaluation.domain import datafiles
from evaluation.plans.catalog import PlanDataError, list_plans, load_departments, load_plan, plans_of
from evaluation.plans.model import Direction, IndicatorKind, Plan, TaskGroup
from evaluation.plans.units import Unit
from tic_shared.vocabulary import Tier

YI = 10_000_000_000  # fen in 1 亿元


def _figures(plan: Plan, codes: list[str]) -> dict[str, list[tuple[int, Decimal]]]:
    return {code: [(t.year, t.value) for t in plan.indicator(code).indicator.targets] for code in codes}


def test_plans_are_listed_one_file_per_plan() -> None:
    assert list_plans() == [
        "linhai-315-2023",
        "ningbo-tech-transfer-2017",
        "ningbo-tic-system-2022",
        "weihai-platforms-2018",
    ]
    assert [plan.code for plan in plans_of("ningbo")] == ["ningbo-tech-transfer-2017", "ningbo-tic-system-2022"]


# ---- 002: Ningbo 2017 ----

NINGBO_2017_EXPECTED = {
    # code: (number in attachment 1, 2020 target, unit, lead department)
    "rd_spending_share_of_gdp": (1, Decimal("3.2"), Unit.PERCENT, "ningbo.science_technology"),
    "rd_personnel": (2, Decimal(12), Unit.WAN_PERSON_YEARS, "ningbo.science_technology"),
    "high_tech_value_added_share": (3, Decimal(43), Unit.PERCENT, "ningbo.science_technology"),
    "strategic_emerging_value_added": (4, Decimal(900 * YI), Unit.FEN, "ningbo.development_reform"),
    "invention_patents_per_10k_people": (5, Decimal(38), Unit.PER_10K_PEOPLE, "ningbo.science_technology"),
    "new_product_output_rate": (6, Decimal(30), Unit.PERCENT, "ningbo.economy_information"),
    "high_tech_enterprises": (7, Decimal(2600), Unit.ORGANIZATIONS, "ningbo.science_technology"),
    "innovative_startups": (8, Decimal(12000), Unit.ORGANIZATIONS, "ningbo.science_technology"),
    "large_enterprises_with_rd_institutions_share": (9, Decimal(60), Unit.PERCENT, "ningbo.science_technology"),
    "technology_transactions": (10, Decimal(100 * YI), Unit.FEN, "ningbo.science_technology"),
    "it_industry_integration_index": (11, Decimal(90), Unit.INDEX, "ningbo.economy_information"),
}


def test_ningbo_2017_has_the_11_expected_indicators_of_002_attachment_1() -> None:
    plan = load_plan("ningbo-tech-transfer-2017")
    assert (plan.document_no, plan.issued_on.isoformat(), plan.period_end) == (
        "甬政办发〔2017〕5号",
        "2017-01-09",
        2020,
    )
    assert [indicator.code for indicator in plan.indicators] == list(NINGBO_2017_EXPECTED)
    for indicator in plan.indicators:
        number, value, unit, lead = NINGBO_2017_EXPECTED[indicator.code]
        assert [(t.year, t.value) for t in indicator.targets] == [(2020, value)], indicator.code
        assert (indicator.unit, indicator.direction, indicator.kind) == (
            unit,
            Direction.AT_LEAST,
            IndicatorKind.REPORTED,
        )
        assert indicator.responsible is not None
        assert (indicator.responsible.lead, indicator.responsible.co) == (lead, ()), indicator.code
        assert indicator.number == f"attachment 1 #{number}"
        assert indicator.targets[0].clause.startswith(f"002 attachment 1 #{number}:")
        assert indicator.baseline is None  # 002 gives no 2016 figures


NINGBO_2017_TASK_FIGURES = {
    # deliverable: (2020 figure, the task it belongs to, lead department)
    "internet_plus_platform_enterprises": (100, "§3 task 2", "ningbo.economy_information"),
    "sme_smart_upgrades": (100, "§3 task 2", "ningbo.economy_information"),
    "provincial_high_tech_parks": (5, "§3 task 7", "ningbo.district_governments"),
    "industrial_technology_institutes": (50, "§3 task 8", "ningbo.science_technology"),
    "municipal_manufacturing_innovation_centers": (5, "§3 task 9", "ningbo.economy_information"),
    "national_manufacturing_innovation_centers": (1, "§3 task 9", "ningbo.economy_information"),
    "national_enterprise_technology_centers": (20, "§3 task 11", "ningbo.science_technology"),
    "provincial_key_enterprise_institutes": (20, "§3 task 11", "ningbo.science_technology"),
    "municipal_enterprise_engineering_centers": (1500, "§3 task 11", "ningbo.science_technology"),
    "high_growth_enterprises": (300, "§3 task 13", "ningbo.economy_information"),
    "overseas_high_level_talents": (1000, "§3 task 16", "ningbo.talent_office"),
    "teams_in_3315": (200, "§3 task 16", "ningbo.talent_office"),
    "talents_in_3315": (500, "§3 task 16", "ningbo.talent_office"),
    "national_thousand_talents": (100, "§3 task 16", "ningbo.talent_office"),
    "provincial_thousand_talents": (300, "§3 task 16", "ningbo.talent_office"),
    "maker_talents": (100_000, "§3 task 16", "ningbo.talent_office"),
    "maker_spaces": (100, "§3 task 17", "ningbo.science_technology"),
    "incubated_enterprises": (10_000, "§3 task 18", "ningbo.science_technology"),
    "results_pushed": (3000, "§3 task 20", "ningbo.science_technology"),
    "technology_transfer_agencies": (50, "§3 task 22", "ningbo.science_technology"),
    "technology_brokers": (500, "§3 task 22", "ningbo.science_technology"),
    "angel_investors": (500, "§3 task 23", "ningbo.science_technology"),
    "social_capital_in_startups": (50 * YI, "§3 task 23", "ningbo.science_technology"),
    "tech_credit_institutions": (5, "§3 task 24", "ningbo.financial_affairs"),
    "tech_credit_volume": (50 * YI, "§3 task 24", "ningbo.financial_affairs"),
    "overseas_technologies": (500, "§3 task 26", "ningbo.science_technology"),
    "overseas_rd_institutions": (5, "§3 task 26", "ningbo.science_technology"),
    "innovation_cooperation_parks": (5, "§3 task 28", "ningbo.commerce"),
    "rd_reserve_pilot_enterprises": (10, "§4 task 29", "ningbo.science_technology"),
    "specialised_maker_spaces": (10, "§4 task 31", "ningbo.science_technology"),
    "university_enterprise_transfer_agencies": (5, "§4 task 32", "ningbo.science_technology"),
}


def test_ningbo_2017_task_figures_of_002_3_and_4_with_their_departments() -> None:
    plan = load_plan("ningbo-tech-transfer-2017")
    deliverables = [item for item in plan.all_indicators() if item.task is not None]
    assert [item.indicator.code for item in deliverables] == list(NINGBO_2017_TASK_FIGURES)
    for item in deliverables:
        value, number, lead = NINGBO_2017_TASK_FIGURES[item.indicator.code]
        assert item.task is not None
        assert [(t.year, t.value) for t in item.indicator.targets] == [(2020, Decimal(value))], item.indicator.code
        assert (item.task.number, item.responsible.lead) == (number, lead), item.indicator.code
        assert item.indicator.clause.startswith(f"002 {number}")
    # Ranges keep their top (5~10家, 5~8家, 10~20家); tasks without a year fall to 2020, marked default.
    uppers = {i.indicator.code: i.indicator.final_target.upper for i in deliverables if i.indicator.final_target.upper}
    assert uppers == {
        "overseas_rd_institutions": Decimal(10),
        "innovation_cooperation_parks": Decimal(8),
        "rd_reserve_pilot_enterprises": Decimal(20),
    }
    undated = {i.indicator.code for i in deliverables if i.indicator.final_target.default}
    assert undated == {
        "internet_plus_platform_enterprises",
        "sme_smart_upgrades",
        "rd_reserve_pilot_enterprises",
        "university_enterprise_transfer_agencies",
    }
    # A task repeating an attachment-1 figure points to it instead of counting it twice.
    refs = {task.number: task.indicator_refs for task in plan.tasks if task.indicator_refs}
    assert refs == {
        "§3 task 11": ("large_enterprises_with_rd_institutions_share",),
        "§3 task 12": ("innovative_startups",),
        "§3 task 14": ("high_tech_enterprises",),
    }
    task_11 = plan.indicator("national_enterprise_technology_centers").responsible
    assert task_11.co == (
        "ningbo.development_reform",
        "ningbo.economy_information",
        "ningbo.human_resources_social_security",
        "ningbo.education",
        "ningbo.science_association",
    )


def test_ningbo_2017_attachments_2_to_4_name_their_projects_platforms_districts_and_departments() -> None:
    plan = load_plan("ningbo-tech-transfer-2017")
    by_group = {group: [t for t in plan.tasks if t.group is group] for group in TaskGroup}
    special = {t.name_zh: t.responsible.lead for t in by_group[TaskGroup.SPECIAL_PROJECT]}
    economy = {"智能制造装备", "智能芯片及基础软件", "智能信息设施及产品"}  # 市经信委 leads these three
    assert len(special) == 12
    assert {name for name, lead in special.items() if lead == "ningbo.economy_information"} == economy
    assert {lead for name, lead in special.items() if name not in economy} == {"ningbo.science_technology"}
    assert all(t.focus_zh and t.focus_en for t in by_group[TaskGroup.SPECIAL_PROJECT])
    platforms = {t.number: t.responsible.departments for t in by_group[TaskGroup.PLATFORM]}
    assert platforms == {
        "attachment 3 #1": ("ningbo.high_tech_zone",),
        "attachment 3 #2": ("ningbo.zhenhai",),
        "attachment 3 #3": ("ningbo.jiangbei",),
        "attachment 3 #4": ("ningbo.yinzhou",),
        "attachment 3 #5": ("ningbo.yinzhou",),
        "attachment 3 #6": ("ningbo.meishan",),
        "attachment 3 #7": ("ningbo.cixi",),
        "attachment 3 #8": ("ningbo.bonded_zone", "ningbo.xiangshan"),
    }
    districts = [t.responsible.lead.removeprefix("ningbo.") for t in by_group[TaskGroup.DISTRICT]]
    assert districts == [
        "haishu", "jiangbei", "zhenhai", "yinzhou", "beilun", "fenghua", "yuyao", "cixi", "ninghai", "xiangshan",
        "high_tech_zone", "hangzhou_bay", "meishan", "daxie",
    ]  # fmt: skip
    assert all(
        not t.deliverables
        for g in (TaskGroup.SPECIAL_PROJECT, TaskGroup.PLATFORM, TaskGroup.DISTRICT)
        for t in by_group[g]
    )
    assert len(plan.all_indicators()) == 11 + 31


# ---- 000: Ningbo 2022 ----


def test_ningbo_2022_has_the_2025_targets_of_000_1_2_and_3() -> None:
    plan = load_plan("ningbo-tic-system-2022")
    assert (plan.document_no, plan.issued_on.isoformat(), plan.period_end) == (
        "甬政办发〔2022〕51号",
        "2022-10-26",
        2025,
    )
    codes = [indicator.code for indicator in plan.indicators]
    assert len(codes) == 8
    assert plan.tasks == ()
    assert _figures(plan, codes) == {
        "national_tics": [(2025, 1)],  # 零的突破
        "new_provincial_tics": [(2025, 5)],
        "new_municipal_tics": [(2025, 20)],
        "new_key_enterprise_institutes": [(2025, 200)],
        "enterprise_rd_centers": [(2025, 3000)],  # a total
        "landmark_results": [(2025, 20)],
        "provincial_leading_enterprises": [(2025, 10)],
        "provincial_little_giants": [(2025, 100)],
    }
    clauses = {code: plan.indicator(code).indicator.targets[0].clause.split(":")[0] for code in codes}
    assert clauses == {
        **dict.fromkeys(codes[:5], "000 §1(2)"),
        "landmark_results": "000 §3(1)",
        "provincial_leading_enterprises": "000 §3(4)",
        "provincial_little_giants": "000 §3(4)",
    }
    # 000 names no department per target: the bureau leads by default, with a note saying so.
    for code in codes:
        responsible = plan.indicator(code).responsible
        assert (responsible.lead, responsible.default) == ("ningbo.science_technology", True)
        assert responsible.note


def test_ningbo_2022_counts_per_tier_are_derived_from_the_platforms_centers() -> None:
    plan = load_plan("ningbo-tic-system-2022")
    derived = {
        i.code: (i.derived.measure.value, i.derived.tier, i.derived.counted_from and i.derived.counted_from.isoformat())
        for i in plan.indicators
        if i.derived is not None
    }
    assert derived == {
        "national_tics": ("centers_total", Tier.NATIONAL_TIC, None),
        "new_provincial_tics": ("centers_created", Tier.PROVINCIAL_TIC, "2022-10-26"),
        "new_municipal_tics": ("centers_created", Tier.MUNICIPAL_TIC, "2022-10-26"),
        "new_key_enterprise_institutes": ("centers_created", Tier.KEY_ENTERPRISE_INSTITUTE, "2022-10-26"),
        "enterprise_rd_centers": ("centers_total", Tier.ENTERPRISE_RD_CENTER, None),
    }
    reported = [i.code for i in plan.indicators if i.kind is IndicatorKind.REPORTED]
    assert reported == ["landmark_results", "provincial_leading_enterprises", "provincial_little_giants"]
    # New-center counts start at zero on the date of the text; 零的突破 means none in 2022.
    baseline = plan.indicator("national_tics").indicator.baseline
    assert baseline is not None and (baseline.year, baseline.value) == (2022, 0)
    assert plan.indicator("enterprise_rd_centers").indicator.baseline is None


# ---- 004: Linhai 2023–2027 ----

LINHAI_HEADLINE = {
    # code: (2027 target, unit, direction)
    "rd_spending_share_of_gdp": (Decimal("3.6"), Unit.PERCENT, Direction.AT_LEAST),
    "enterprise_rd_share_of_revenue": (Decimal("3.6"), Unit.PERCENT, Direction.AT_LEAST),
    "high_tech_value_added_share": (Decimal(76), Unit.PERCENT, Direction.AT_LEAST),
    "high_value_invention_patents_per_10k_people": (Decimal(16), Unit.PER_10K_PEOPLE, Direction.AT_LEAST),
    "rd_personnel_per_10k_employed": (Decimal(175), Unit.PERSON_YEARS_PER_10K_EMPLOYED, Direction.AT_LEAST),
    "major_results": (Decimal(2), Unit.ITEMS, Direction.AT_LEAST),
    "top_talents": (Decimal(2), Unit.PEOPLE, Direction.AT_LEAST),
    "leading_talents": (Decimal(20), Unit.PEOPLE, Direction.AT_LEAST),
    "young_talents": (Decimal(20), Unit.PEOPLE, Direction.AT_LEAST),
    "fiscal_st_spending": (Decimal(15), Unit.FEN, Direction.GROWTH_RATE),  # +15 % a year, spending in fen
}


def test_linhai_has_the_2027_targets_of_004_1_2_and_the_yearly_growth_of_3_2() -> None:
    plan = load_plan("linhai-315-2023")
    assert (plan.index_no, plan.document_no, plan.issued_on.isoformat()) == (
        "LH331082-042/2023-130673",
        None,
        "2023-06-05",
    )
    assert (plan.period_start, plan.period_end) == (2023, 2027)
    assert [indicator.code for indicator in plan.indicators] == list(LINHAI_HEADLINE)
    for indicator in plan.indicators:
        value, unit, direction = LINHAI_HEADLINE[indicator.code]
        assert (indicator.final_target.year, indicator.final_target.value) == (2027, value), indicator.code
        assert (indicator.unit, indicator.direction) == (unit, direction), indicator.code
        expected_clause = "004 §3(2)" if direction is Direction.GROWTH_RATE else "004 §1(2)"
        assert indicator.final_target.clause.startswith(expected_clause), indicator.code
    # The high-tech share's 2023 interim value comes from its task, §2(3)3, with that task's departments.
    share = plan.indicator("high_tech_value_added_share")
    assert [(t.year, t.value) for t in share.indicator.targets] == [(2023, Decimal("73.7")), (2027, Decimal(76))]
    assert share.responsible.departments == (
        "linhai.economy_information",
        "linhai.development_reform",
        "linhai.science_technology",
    )
    assert not share.responsible.default
    # Every other §1(2) target names no unit in the text: its departments are a marked default.
    assert all(i.responsible and i.responsible.default and i.responsible.note for i in plan.indicators[3:])
    assert plan.indicator("fiscal_st_spending").indicator.judged_each_year


LINHAI_TASK_FIGURES = {
    # deliverable: (task, [(year, figure), ...] — 2023 interim values first)
    "provincial_key_laboratories": ("§2(1)1", [(2027, 2)]),
    "taizhou_key_laboratories": ("§2(1)1", [(2027, 12)]),
    "new_provincial_enterprise_institutes_2023": ("§2(1)3", [(2023, 2)]),
    "new_provincial_enterprise_technology_centers_2023": ("§2(1)3", [(2023, 1)]),
    "provincial_key_enterprise_institutes": ("§2(1)3", [(2027, 6)]),
    "provincial_enterprise_institutes": ("§2(1)3", [(2027, 30)]),
    "enterprise_technology_centers_provincial_and_above": ("§2(1)3", [(2027, 35)]),
    "incubation_floor_area": ("§2(1)4", [(2023, 40_000), (2027, 150_000)]),
    "university_innovation_carriers": ("§2(1)4", [(2027, 5)]),
    "incubators_and_maker_spaces": ("§2(1)4", [(2027, 15)]),
    "chuying_projects": ("§2(2)1", [(2027, 50)]),
    "provincial_major_projects": ("§2(2)1", [(2023, 2), (2027, 10)]),
    "provincial_innovation_consortia": ("§2(2)2", [(2027, 1)]),
    "taizhou_innovation_consortia": ("§2(2)2", [(2027, 5)]),
    "new_high_tech_enterprises_2023": ("§2(3)1", [(2023, 39)]),
    "registered_tech_smes_2023": ("§2(3)1", [(2023, 300)]),
    "national_high_tech_enterprises": ("§2(3)1", [(2027, 400)]),
    "tech_smes": ("§2(3)1", [(2027, 1500)]),
    "leading_enterprises": ("§2(3)1", [(2027, 2)]),
    "little_giant_enterprises": ("§2(3)1", [(2027, 5)]),
    "hidden_champions_per_year": ("§2(3)1", [(2027, 1)]),
    "specialised_little_giants_per_year": ("§2(3)1", [(2027, 1)]),
    "industry_university_events_per_year": ("§2(3)2", [(2027, 5)]),
    "technology_transactions": ("§2(3)2", [(2023, 172_800_000_000), (2027, 19 * YI)]),  # 17.28亿, 19亿
    "digital_transformation_coverage": ("§2(3)3", [(2027, 100)]),  # 全覆盖
    "overseas_engineers": ("§2(4)1", [(2023, 2), (2027, 12)]),
    "high_end_talents_2023": ("§2(4)1", [(2023, 10)]),
    "leading_innovation_teams": ("§2(4)1", [(2027, 1)]),
    "tech_talents": ("§2(4)1", [(2027, 100)]),
    "skilled_talents": ("§2(4)2", [(2023, 190_000), (2027, 220_000)]),  # 19万, 22万
    "highly_skilled_talents": ("§2(4)2", [(2023, 50_000), (2027, 60_000)]),
    "graduates_2023": ("§2(4)2", [(2023, 17_000)]),  # 1.7万
    "doctorates_2023": ("§2(4)2", [(2023, 35)]),
    "new_provincial_tics": ("§2(5)1", [(2027, 1)]),
    "provincial_new_rd_institutions": ("§2(5)1", [(2027, 1)]),
    "tech_commissioners": ("§2(5)3", [(2027, 99)]),
    "new_agricultural_high_tech_enterprises_2023": ("§2(5)3", [(2023, 1)]),
    "agricultural_high_tech_enterprises": ("§2(5)3", [(2027, 12)]),
    "provincial_agricultural_parks": ("§2(5)3", [(2027, 2)]),
    "patent_navigation_bases": ("§2(6)2", [(2027, 1)]),
    "national_ip_rapid_protection_centers": ("§2(6)2", [(2027, 1)]),
    "ip_pledge_amount": ("§2(6)3", [(2023, 25 * YI), (2027, 30 * YI)]),
}


def test_linhai_task_targets_of_004_2_with_their_2023_interim_values() -> None:
    plan = load_plan("linhai-315-2023")
    deliverables = [item for item in plan.all_indicators() if item.task is not None]
    assert [item.indicator.code for item in deliverables] == list(LINHAI_TASK_FIGURES)
    for item in deliverables:
        number, figures = LINHAI_TASK_FIGURES[item.indicator.code]
        assert item.task is not None and item.task.number == number, item.indicator.code
        targets = [(t.year, t.value) for t in item.indicator.targets]
        assert targets == [(year, Decimal(value)) for year, value in figures], item.indicator.code
        assert all(t.clause.startswith(f"004 {number}") for t in item.indicator.targets), item.indicator.code
    each_year = {i.indicator.code for i in deliverables if i.indicator.every_year}
    assert each_year == {
        "hidden_champions_per_year",
        "specialised_little_giants_per_year",
        "industry_university_events_per_year",
    }
    provincial_tic = plan.indicator("new_provincial_tics").indicator
    assert provincial_tic.kind is IndicatorKind.DERIVED and provincial_tic.derived is not None
    assert (provincial_tic.derived.tier, str(provincial_tic.derived.counted_from)) == (
        Tier.PROVINCIAL_TIC,
        "2023-06-05",
    )


LINHAI_TASK_UNITS = {
    # task: the units it names, first the lead (004 §2(1)1: 列第一位的为牵头单位)
    "§2(1)1": ["science_technology"],
    "§2(1)3": ["science_technology", "development_reform", "economy_information"],
    "§2(1)4": ["science_technology", "organization_department", "human_resources_social_security", "taizhou_bay_etdz"],
    "§2(2)1": ["science_technology", "economy_information"],
    "§2(2)2": ["science_technology", "economy_information"],
    "§2(3)1": ["science_technology", "economy_information"],
    "§2(3)2": ["science_technology", "organization_department", "social_development_group"],
    "§2(3)3": ["economy_information", "development_reform", "science_technology"],
    "§2(4)1": [
        "organization_department", "economy_information", "education", "science_technology",
        "human_resources_social_security", "youth_league", "science_association",
    ],
    "§2(4)2": [
        "human_resources_social_security", "organization_department", "economy_information", "education",
        "science_technology",
    ],
    "§2(5)1": [
        "science_technology", "development_reform", "economy_information", "human_resources_social_security",
        "natural_resources_planning", "investment_promotion", "taizhou_bay_etdz",
    ],
    "§2(5)3": ["science_technology", "agriculture_rural"],
    "§2(6)2": ["market_supervision", "taizhou_bay_etdz", "linhai_edz"],
    "§2(6)3": [
        "financial_work_center", "economy_information", "science_technology", "finance",
        "human_resources_social_security", "market_supervision", "industrial_investment_group", "pboc_linhai",
        "cbirc_linhai",
    ],
}  # fmt: skip


def test_linhai_first_named_unit_leads_and_the_others_are_co_departments() -> None:
    plan = load_plan("linhai-315-2023")
    assert plan.lead_rule is not None and "列第一位的为牵头单位" in plan.lead_rule.clause
    named = {task.number: [d.removeprefix("linhai.") for d in task.responsible.departments] for task in plan.tasks}
    assert named == LINHAI_TASK_UNITS
    for item in plan.all_indicators():
        if item.task is not None:
            assert item.responsible == item.task.responsible, item.indicator.code


# ---- 003: Weihai 2018 ----


def test_weihai_has_the_2020_platform_targets_of_003_4() -> None:
    plan = load_plan("weihai-platforms-2018")
    assert (plan.document_no, plan.issued_on.isoformat(), plan.period_end) == (
        "威政办字〔2018〕106号",
        "2018-11-30",
        2020,
    )
    assert plan.indicators == ()
    figures = {
        item.indicator.code: (item.task.number if item.task else None, item.responsible.lead, item.indicator.targets)
        for item in plan.all_indicators()
    }
    assert {
        code: (number, lead, [(t.year, t.value) for t in targets]) for code, (number, lead, targets) in figures.items()
    } == {
        "provincial_centers_bidding_national": ("§4(3)", "weihai.science_technology", [(2020, 2)]),
        "incubators_and_maker_spaces": ("§4(6)", "weihai.science_technology", [(2020, 50)]),
        "technology_transfer_service_agencies": ("§4(7)", "weihai.science_technology", [(2020, 100)]),
        "technology_brokers": ("§4(7)", "weihai.science_technology", [(2020, 1000)]),
        "ip_service_agencies": ("§4(9)", "weihai.science_technology", [(2020, 10)]),
    }
    # 牵头单位 first, then the other leads and the 责任单位 as co-departments.
    assert plan.indicator("incubators_and_maker_spaces").responsible.co == (
        "weihai.human_resources_social_security",
        "weihai.development_reform",
        "weihai.finance",
        "weihai.commerce",
        "weihai.land_resources",
        "weihai.taxation",
    )


# ---- every plan ----


@pytest.mark.parametrize("code", list_plans())
def test_every_target_figure_has_its_clause_in_the_plans_own_text(code: str) -> None:
    plan = load_plan(code)
    for item in plan.all_indicators():
        indicator = item.indicator
        assert indicator.clause.startswith(plan.source), indicator.code
        for target in indicator.targets:
            assert target.clause.startswith(plan.source), (indicator.code, target.year)
            assert not target.default or target.note, (indicator.code, target.year)
        assert item.responsible.clause.strip(), indicator.code
        assert item.responsible.default or plan.source in item.responsible.clause, indicator.code


@pytest.mark.parametrize("code", list_plans())
def test_every_department_a_plan_names_is_listed_with_its_names(code: str) -> None:
    plan = load_plan(code)
    departments = load_departments(plan.jurisdiction)
    for department in sorted(plan.departments()):
        listed = departments.get(department)
        assert listed.zh and listed.en and listed.short_zh and listed.clause


def _raw(code: str) -> dict[str, Any]:
    return datafiles.read_toml("plans", code)


def _first_target(raw: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = raw["indicators"][0]["targets"][0]
    return target


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda raw: _first_target(raw).update(value=3.2), "never a float"),
        (lambda raw: _first_target(raw).update(value="three"), "not a decimal number"),
        (lambda raw: _first_target(raw).update(year=2031), "outside the plan's period"),
        (lambda raw: _first_target(raw).update(default=True), "needs a note"),
        (
            lambda raw: raw["indicators"][0].update(baseline={"year": 2020, "value": 1, "clause": "002"}),
            "baseline year",
        ),
        (lambda raw: raw["indicators"][1].update(code=raw["indicators"][0]["code"]), "unique"),
        (lambda raw: raw["indicators"][0].update(kind="derived"), "derived"),
        (
            lambda raw: raw["indicators"][0]["responsible"].update(lead="weihai.science_technology"),
            "another jurisdiction",
        ),
        (lambda raw: raw["indicators"][3]["targets"][0].update(value="900.5"), "whole fen"),
        (lambda raw: raw["tasks"][0].update(indicator_refs=["nothing_of_the_kind"]), "nothing_of_the_kind"),
    ],
)
def test_a_plan_file_that_breaks_its_rules_is_refused(change: Any, complaint: str) -> None:
    raw = _raw("ningbo-tech-transfer-2017")
    change(raw)
    with pytest.raises(ValueError, match=complaint):
        Plan.model_validate(raw)


def test_a_plan_naming_a_department_its_jurisdiction_does_not_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raw("weihai-platforms-2018")
    raw["tasks"][0]["responsible"]["lead"] = "weihai.ministry_of_magic"
    monkeypatch.setattr(datafiles, "read_toml", lambda kind, code: raw if kind == "plans" else _real_read(kind, code))
    load_plan.cache_clear()
    try:
        with pytest.raises(PlanDataError, match=r"weihai\.ministry_of_magic"):
            load_plan("weihai-platforms-2018")
    finally:
        load_plan.cache_clear()


_real_read = datafiles.read_toml
