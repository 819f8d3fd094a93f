"""The status rule of POLICY §4 at its boundaries: met, on track, behind, no data against the straight path."""

from decimal import Decimal
from typing import Any

import pytest

from evaluation.plans.catalog import load_plan, load_progress_rule
from evaluation.plans.model import Indicator
from evaluation.plans.progress import Actual, Status, by_department, judge, judge_plan, path_points
from evaluation.plans.progress_rule import ProgressRule
from evaluation.plans.units import Unit, format_figure


@pytest.fixture
def rule() -> ProgressRule:
    return load_progress_rule("straight-path")


@pytest.fixture
def strict(rule: ProgressRule) -> ProgressRule:
    """The shipped rule with no tolerance: anything below the path is behind."""
    return rule.model_copy(update={"tolerance": rule.tolerance.model_copy(update={"share": Decimal(0)})})


def indicator(**fields: Any) -> Indicator:
    data: dict[str, Any] = {
        "code": "figure",
        "name_zh": "指标",
        "name_en": "figure",
        "unit": "units",
        "direction": "at_least",
        "kind": "reported",
        "clause": "test",
        "responsible": {"lead": "x.lead", "clause": "test"},
        "baseline": {"year": 2020, "value": 100, "clause": "test"},
        "targets": [{"year": 2025, "value": 200, "clause": "test"}],
        **fields,
    }
    return Indicator.model_validate(data)


def figures(*pairs: tuple[int, str | int]) -> list[Actual]:
    return [Actual(year, Decimal(value)) for year, value in pairs]


def status_of(item: Indicator, actuals: list[Actual], rule: ProgressRule, first_year: int = 2021) -> Status:
    return judge(item, actuals, rule=rule, first_year=first_year).status


def test_the_rule_and_its_thresholds_are_data_marked_default(rule: ProgressRule) -> None:
    assert rule.default and "[default rule]" in rule.clause
    assert rule.tolerance.share == Decimal("0.05") and rule.tolerance.default
    assert rule.path.start_without_baseline == "first_actual" and rule.path.default
    assert (rule.rounding.share_decimals, rule.rounding.mode) == (4, "ROUND_HALF_UP")
    with pytest.raises(ValueError, match="less than 1"):
        ProgressRule.model_validate({**rule.model_dump(), "tolerance": {"share": "1", "clause": "x"}})
    with pytest.raises(ValueError, match="unknown rounding mode"):
        ProgressRule.model_validate(
            {**rule.model_dump(), "rounding": {"share_decimals": 2, "mode": "ROUND_NICE", "clause": "x"}}
        )


def test_exactly_on_the_path_is_on_track(rule: ProgressRule, strict: ProgressRule) -> None:
    # 100 in 2020 → 200 in 2025: the path passes 160 in 2023.
    progress = judge(indicator(), figures((2023, 160)), rule=strict, first_year=2021)
    assert (progress.status, progress.expected, progress.share_of_target) == (Status.ON_TRACK, 160, Decimal("0.8000"))
    assert "on or ahead of the path value 160" in progress.reason.en
    assert "达到或好于目标路径上的160" in progress.reason.zh
    assert status_of(indicator(), figures((2023, 175)), strict) is Status.ON_TRACK  # ahead of the path


def test_just_below_the_path_is_behind_without_tolerance(strict: ProgressRule) -> None:
    assert status_of(indicator(), figures((2023, "159.99")), strict) is Status.BEHIND


def test_below_the_path_within_the_tolerance_is_on_track_and_beyond_it_behind(rule: ProgressRule) -> None:
    # Tolerance 5 % of the planned change (200 − 100): up to 5 behind the path is still on track.
    within = judge(indicator(), figures((2023, 155)), rule=rule, first_year=2021)
    assert within.status is Status.ON_TRACK
    assert "within the tolerance of 5" in within.reason.en
    beyond = judge(indicator(), figures((2023, "154.99")), rule=rule, first_year=2021)
    assert beyond.status is Status.BEHIND
    assert "below the path value 160 by 5" in beyond.reason.en
    assert "低于目标路径上的160" in beyond.reason.zh


def test_target_met_early_is_met(rule: ProgressRule) -> None:
    progress = judge(indicator(), figures((2021, 120), (2022, 210)), rule=rule, first_year=2021)
    assert (progress.status, progress.latest_year, progress.share_of_target) == (Status.MET, 2022, Decimal("1.0500"))
    assert "already meets the 2025 target of 200" in progress.reason.en


def test_target_year_passed_without_reaching_it_is_behind(rule: ProgressRule) -> None:
    progress = judge(indicator(), figures((2024, 199), (2025, 199)), rule=rule, first_year=2021)
    assert progress.status is Status.BEHIND
    assert "target year 2025 has come" in progress.reason.en
    assert status_of(indicator(), figures((2026, 199)), rule) is Status.BEHIND


def test_direction_at_most_mirrors_the_path(rule: ProgressRule) -> None:
    # 50 in 2020 down to at most 30 in 2025: the path passes 38 in 2023; tolerance 5 % of 20 = 1.
    falling = indicator(
        direction="at_most",
        baseline={"year": 2020, "value": 50, "clause": "t"},
        targets=[{"year": 2025, "value": 30, "clause": "t"}],
    )
    assert status_of(falling, figures((2023, 38)), rule) is Status.ON_TRACK
    assert status_of(falling, figures((2023, 39)), rule) is Status.ON_TRACK
    above = judge(falling, figures((2023, "39.01")), rule=rule, first_year=2021)
    assert above.status is Status.BEHIND and "above the path value 38" in above.reason.en
    assert status_of(falling, figures((2023, 30)), rule) is Status.MET
    met = judge(falling, figures((2024, 24)), rule=rule, first_year=2021)
    assert (met.status, met.share_of_target) == (Status.MET, Decimal("1.2500"))  # target ÷ actual


def fiscal(**fields: Any) -> Indicator:
    return indicator(
        unit="fen",
        direction="growth_rate",
        baseline=None,
        targets=[{"year": 2027, "value": 15, "clause": "004 §3(2)"}],
        **fields,
    )


def test_growth_rate_target_every_year(rule: ProgressRule) -> None:
    # 每年增长15%以上: each year's spending against the year before; tolerance 5 % of 15 = 0.75 points.
    on = judge(fiscal(), figures((2022, 1_000_000), (2023, 1_150_000)), rule=rule, first_year=2023)
    assert (on.status, on.growth_percent, on.share_of_target) == (Status.ON_TRACK, Decimal("15.00"), Decimal("1.0000"))
    assert "growth of 15% meets that year's target of 15%" in on.reason.en
    assert "增长15%" in on.reason.zh
    assert status_of(fiscal(), figures((2022, 1_000_000), (2023, 1_142_500)), rule, 2023) is Status.ON_TRACK
    below = judge(fiscal(), figures((2022, 1_000_000), (2023, 1_142_400)), rule=rule, first_year=2023)
    assert (below.status, below.growth_percent) == (Status.BEHIND, Decimal("14.24"))
    assert "falls short of that year's target of 15%" in below.reason.en


def test_growth_rate_in_the_final_year_is_met_or_behind(rule: ProgressRule) -> None:
    series = [(2025, 1_000_000), (2026, 1_150_000)]
    assert status_of(fiscal(), figures(*series, (2027, 1_322_500)), rule, 2023) is Status.MET
    assert status_of(fiscal(), figures(*series, (2027, 1_316_750)), rule, 2023) is Status.BEHIND  # 14.5 %


def test_growth_over_a_missing_year_is_annualised_and_projected(rule: ProgressRule) -> None:
    # 2022 → 2024 ×1.3225 is 15 % a year; at that pace 2027 reaches 1,322,500 × 1.15³.
    progress = judge(fiscal(), figures((2022, 1_000_000), (2024, 1_322_500)), rule=rule, first_year=2023)
    assert (progress.status, progress.growth_percent) == (Status.ON_TRACK, Decimal("15.00"))
    assert progress.projected == Decimal(2_011_357)


def test_growth_with_nothing_to_compare_is_no_data(rule: ProgressRule) -> None:
    alone = judge(fiscal(), figures((2023, 1_150_000)), rule=rule, first_year=2023)
    assert alone.status is Status.NO_DATA and "cannot be computed" in alone.reason.en
    base_only = judge(fiscal(), figures((2022, 1_000_000)), rule=rule, first_year=2023)
    assert base_only.status is Status.NO_DATA and "applies from 2023" in base_only.reason.en


def test_no_figure_is_no_data(rule: ProgressRule) -> None:
    for item in (indicator(), fiscal()):
        progress = judge(item, [], rule=rule, first_year=2021)
        assert (progress.status, progress.latest_value, progress.share_of_target) == (Status.NO_DATA, None, None)
        assert progress.reason.en == "No accepted figure yet: progress cannot be judged."
        assert progress.reason.zh
    early = judge(indicator(), figures((2019, 90)), rule=rule, first_year=2021)
    assert early.status is Status.NO_DATA and "before the path starts in 2020" in early.reason.en


def test_without_a_baseline_the_path_starts_at_the_first_figure(rule: ProgressRule) -> None:
    bare = indicator(baseline=None, targets=[{"year": 2025, "value": 100, "clause": "t"}])
    one = judge(bare, figures((2022, 40)), rule=rule, first_year=2021)
    assert one.status is Status.NO_DATA and "path to the 2025 target cannot be drawn" in one.reason.en
    assert one.share_of_target == Decimal("0.4000")
    two = judge(bare, figures((2022, 40), (2023, 60)), rule=rule, first_year=2021)
    assert (two.status, two.expected, two.projected) == (Status.ON_TRACK, 60, 100)
    assert [(p.year, p.value, p.source) for p in path_points(bare, figures((2022, 40)), rule)] == [
        (2022, 40, "actual"),
        (2025, 100, "target"),
    ]


def test_interim_targets_bend_the_path(rule: ProgressRule) -> None:
    # 004 §2(3)3: 73.7 % in 2023, 76 % in 2027 → 74.85 in 2025; tolerance 5 % of 2.3 = 0.115 points.
    share = indicator(
        unit="percent",
        baseline=None,
        targets=[{"year": 2023, "value": "73.7", "clause": "t"}, {"year": 2027, "value": 76, "clause": "t"}],
    )
    assert status_of(share, figures((2023, "73.7")), rule) is Status.ON_TRACK
    assert judge(share, figures((2025, "74.85")), rule=rule, first_year=2023).expected == Decimal("74.85")
    assert status_of(share, figures((2025, "74.735")), rule) is Status.ON_TRACK
    assert status_of(share, figures((2025, "74.73")), rule) is Status.BEHIND
    assert status_of(share, figures((2023, "73.58")), rule) is Status.BEHIND  # the interim target is on the path


def test_a_yearly_count_is_held_to_each_years_target(rule: ProgressRule) -> None:
    events = indicator(baseline=None, every_year=True, targets=[{"year": 2027, "value": 5, "clause": "t"}])
    assert status_of(events, figures((2023, 6), (2024, 5)), rule, 2023) is Status.ON_TRACK
    assert status_of(events, figures((2023, 6), (2024, 4)), rule, 2023) is Status.BEHIND
    assert status_of(events, figures((2027, 5)), rule, 2023) is Status.MET
    assert status_of(events, figures((2022, 9)), rule, 2023) is Status.NO_DATA


def test_projection_keeps_the_pace_from_the_baseline(rule: ProgressRule) -> None:
    # 100 → 130 over 2020–2023 is 10 a year: 150 in 2025, short of 200.
    progress = judge(indicator(), figures((2023, 130)), rule=rule, first_year=2021)
    assert (progress.status, progress.projected) == (Status.BEHIND, 150)


def test_one_figure_per_year_and_whole_fen(rule: ProgressRule) -> None:
    with pytest.raises(ValueError, match="one accepted figure per year"):
        judge(indicator(), figures((2023, 1), (2023, 2)), rule=rule, first_year=2021)
    with pytest.raises(ValueError, match="whole fen"):
        judge(fiscal(), figures((2022, "10.5")), rule=rule, first_year=2023)


def test_money_reads_in_yi_yuan_and_cny() -> None:
    assert format_figure(Decimal(172_800_000_000), Unit.FEN).model_dump() == {
        "zh": "17.28亿元",
        "en": "CNY 1,728,000,000",
    }
    assert format_figure(Decimal(2_000_000), Unit.FEN).zh == "2万元"
    assert format_figure(Decimal("3.20"), Unit.PERCENT).model_dump() == {"zh": "3.2%", "en": "3.2%"}
    assert format_figure(Decimal(2600), Unit.ORGANIZATIONS).model_dump() == {"zh": "2600家", "en": "2,600"}


def test_a_plans_summary_counts_each_status(rule: ProgressRule) -> None:
    plan = load_plan("ningbo-tic-system-2022")
    progress = judge_plan(
        plan,
        {
            "national_tics": figures((2024, 1)),  # met
            "new_municipal_tics": figures((2023, 5), (2024, 12)),  # path 13.33 in 2024, tolerance 1: behind
            "new_provincial_tics": figures((2024, 4)),  # path 3.33: on track
            "landmark_results": figures((2023, 8)),  # one figure, no baseline: no data
        },
        rule=rule,
    )
    assert progress.counts.model_dump() == {"met": 1, "on_track": 1, "behind": 1, "no_data": 5}
    assert progress.counts.total == len(plan.all_indicators())
    assert {item.indicator: item.task for item in progress.items}["landmark_results"] is None
    with pytest.raises(ValueError, match="no indicators"):
        judge_plan(plan, {"moon_landings": figures((2024, 1))}, rule=rule)


def test_department_summaries_separate_what_it_leads_from_what_it_shares(rule: ProgressRule) -> None:
    ningbo = load_plan("ningbo-tic-system-2022")
    linhai = load_plan("linhai-315-2023")
    judged = [
        (ningbo, judge_plan(ningbo, {"new_municipal_tics": figures((2024, 2))}, rule=rule)),
        (linhai, judge_plan(linhai, {"high_tech_value_added_share": figures((2023, 70))}, rule=rule)),
    ]
    summary = {item.department: item for item in by_department(judged)}
    bureau = summary["ningbo.science_technology"]
    assert (bureau.leads.total, bureau.leads.behind, bureau.co.total) == (8, 1, 0)
    assert bureau.behind == ("ningbo-tic-system-2022/new_municipal_tics",)
    economy = summary["linhai.economy_information"]
    assert economy.behind == ("linhai-315-2023/high_tech_value_added_share",)
    reform = summary["linhai.development_reform"]
    assert (reform.co.behind, reform.behind) == (1, ())  # shares the figure that is behind, does not lead it
    assert set(summary) >= ningbo.departments() - {"ningbo.district_governments"}
