"""The indicator system ningbo-tic-2022 is 001 attachment 1, as data."""

from decimal import Decimal
from typing import Any

import pytest

from evaluation.domain import datafiles
from evaluation.domain.datafiles import UnknownDataFile
from evaluation.domain.indicators import (
    IndicatorKind,
    IndicatorSystem,
    IndicatorSystemError,
    list_indicator_systems,
    load_indicator_system,
)
from evaluation.domain.report import AnnualReport, is_report_field, read_figure, report_field_paths

GROUP_SIZES = {"1": 2, "2": 2, "3": 3, "4": 5, "5": 5, "6": 6, "7": 3, "8": 2, "9": 7, "10": 7}


def test_exactly_ten_first_level_indicators(system: IndicatorSystem) -> None:
    assert [group.code for group in system.first_level] == [str(n) for n in range(1, 11)]


def test_exactly_forty_two_second_level_indicators(system: IndicatorSystem) -> None:
    assert len(system.indicators) == 42
    assert {group.code: len(group.indicators) for group in system.first_level} == GROUP_SIZES


def test_codes_are_contiguous_as_numbered_in_the_text(system: IndicatorSystem) -> None:
    for group in system.first_level:
        assert [i.code for i in group.indicators] == [f"{group.code}.{n}" for n in range(1, len(group.indicators) + 1)]
    assert system.indicators[0].code == "1.1"
    assert system.indicators[-1].code == "10.7"


def test_chinese_names_as_in_the_text(system: IndicatorSystem) -> None:
    names = {group.code: group.name_zh for group in system.first_level}
    names.update({i.code: i.name_zh for i in system.indicators})
    assert names["1"] == "目标定位"
    assert names["10"] == "创新生态"
    assert names["3.1"] == "由区（县、市）政府（管委会）或市级有关部门推荐"
    assert names["4.1"] == "建立“强核心、多基地、网络化”的架构"
    assert names["6.4"] == "专职科研人员（包括以上各类高层次人才比重）"
    assert names["8.1"] == "攻克“卡脖子”技术，形成进口替代能力"
    assert names["10.7"] == "打造公共创新服务平台"
    assert all(i.name_en for i in system.indicators)


def test_default_weights_sum_to_exactly_one_hundred(system: IndicatorSystem) -> None:
    assert system.total_weight == Decimal("100.00")
    assert all(group.weight == Decimal("10.00") for group in system.first_level)


def test_default_weights_split_each_group_equally_to_the_cent(system: IndicatorSystem) -> None:
    weights = {i.code: i.weight for i in system.indicators}
    # 10/3: the leftover cent goes to the first indicator.
    assert [weights["3.1"], weights["3.2"], weights["3.3"]] == [Decimal(w) for w in ("3.34", "3.33", "3.33")]
    assert [weights[f"6.{n}"] for n in range(1, 7)] == [Decimal(w) for w in ["1.67"] * 4 + ["1.66"] * 2]
    assert [weights[f"9.{n}"] for n in range(1, 8)] == [Decimal(w) for w in ["1.43"] * 6 + ["1.42"]]
    assert weights["5.1"] == Decimal("2.00")
    assert weights["1.1"] == Decimal("5.00")


def test_every_quantitative_indicator_reads_a_figure_of_the_report_model(system: IndicatorSystem) -> None:
    quantitative = [i for i in system.indicators if i.kind is IndicatorKind.QUANTITATIVE]
    assert quantitative
    empty = AnnualReport(year=2024)
    for indicator in quantitative:
        assert indicator.report_field is not None
        assert indicator.report_field in report_field_paths()
        assert read_figure(empty, indicator.report_field) is None
        assert indicator.target is not None and indicator.target >= 0
        assert indicator.target_basis


def test_qualitative_indicators_have_no_figure_or_target(system: IndicatorSystem) -> None:
    for indicator in system.indicators:
        if indicator.kind is IndicatorKind.QUALITATIVE:
            assert indicator.report_field is None
            assert indicator.target is None


def test_every_report_group_feeds_an_indicator(system: IndicatorSystem) -> None:
    fields = {i.report_field for i in system.indicators if i.report_field}
    assert {field.split(".")[0] for field in fields} == {
        "investment",
        "team",
        "projects",
        "results",
        "ecosystem",
    }
    assert {"investment.lead_unit_fen", "team.full_time_researchers", "results.patents"} <= fields


def test_version_source_and_effective_date(system: IndicatorSystem) -> None:
    assert system.code == "ningbo-tic-2022"
    assert system.version == 1
    assert "001 attachment 1" in system.source
    assert system.effective_from.isoformat() == "2022-10-26"


def test_indicator_systems_are_listed() -> None:
    assert "ningbo-tic-2022" in list_indicator_systems()


@pytest.mark.parametrize("code", ["nope", "../rules/ningbo-tic-2022", "NINGBO-TIC-2022", ""])
def test_unknown_indicator_system_refused(code: str) -> None:
    with pytest.raises(UnknownDataFile):
        load_indicator_system(code)


def test_report_fields_exist_only_on_the_model() -> None:
    assert is_report_field("investment.total_fen")
    assert not is_report_field("investment.bribes_fen")
    assert not is_report_field("team")


def _raw() -> dict[str, Any]:
    return datafiles.read_toml("indicator_systems", "ningbo-tic-2022")


def _validate(raw: dict[str, Any]) -> IndicatorSystem:
    for group in raw["first_level"]:
        group.pop("points", None)
    return IndicatorSystem.model_validate(raw)


def test_system_whose_weights_do_not_sum_to_total_refused() -> None:
    raw = _raw()
    raw["first_level"][0]["indicators"][0]["weight"] = "4.00"
    with pytest.raises(ValueError, match=r"sum to exactly 100\.00"):
        _validate(raw)


def test_system_with_a_gap_in_codes_refused() -> None:
    raw = _raw()
    raw["first_level"][2]["indicators"][1]["code"] = "3.4"
    with pytest.raises(ValueError, match=r"3\.1, 3\.2, 3\.3"):
        _validate(raw)


def test_quantitative_indicator_without_a_report_field_refused() -> None:
    raw = _raw()
    raw["first_level"][4]["indicators"][0]["report_field"] = "investment.nowhere_fen"
    with pytest.raises(ValueError, match="not a figure of the report"):
        _validate(raw)


def test_loader_checks_each_group_against_its_points(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raw()
    raw["first_level"][0]["points"] = "11.00"
    monkeypatch.setattr(datafiles, "read_toml", lambda kind, code: raw)
    load_indicator_system.cache_clear()
    try:
        with pytest.raises(IndicatorSystemError, match=r"not its 11\.00 points"):
            load_indicator_system("ningbo-tic-2022")
    finally:
        load_indicator_system.cache_clear()


def test_governance_indicators_4_2_to_4_5_ask_whether_each_body_exists_and_works(system: IndicatorSystem) -> None:
    """理事会（董事会）、主任（总经理）、首席科学家、专家咨询委员会: 001 §4(1), scored by the experts."""
    bodies = {"4.2": "理事会", "4.3": "主任", "4.4": "首席科学家", "4.5": "专家咨询委员会"}
    for code, body in bodies.items():
        indicator = system.indicator(code)
        assert body in indicator.name_zh and indicator.name_zh.endswith("并开展工作")
        assert indicator.kind == IndicatorKind.QUALITATIVE
