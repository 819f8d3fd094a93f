"""The console's own rules, without a browser: languages and formats, forms, sign-in, CSRF, scopes per section,
and pages that still render when the services behind them are down."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from pydantic import SecretStr, ValidationError
from starlette.datastructures import FormData

from dashboard import i18n
from dashboard.clients import Answer
from dashboard.forms import ACTS, body_of
from dashboard.main import create_app
from dashboard.pages.imports import explain
from dashboard.pages.plans import _fen_from_wan, _trajectory
from dashboard.settings import DashboardSettings
from dashboard.web import (
    LABELS,
    SLUG_SENTENCES,
    Names,
    center_name,
    event_pattern,
    failure,
    problem_text,
    section_of,
)
from tic_shared.events.catalog import CATALOG
from tic_shared.settings import Environment

PACKAGE = Path(__file__).resolve().parents[2] / "dashboard"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there


def test_money_reads_in_wan_yuan_for_chinese_readers_and_cny_for_english_ones() -> None:
    assert i18n.money(123_456_789, "zh_CN") == "123.46 万元"
    assert i18n.money(99_999, "zh_CN") == "999.99 元"
    assert i18n.money(1_000_000, "zh_CN") == "1.00 万元"
    assert i18n.money(123_456_789, "en") == "CNY 1,234,567.89"
    assert i18n.money(None, "en") == "—"


def test_a_plans_figure_reads_with_its_unit_grouped_and_money_as_money() -> None:
    assert i18n.figure("190000000000", "fen", "zh_CN") == "190,000.00 万元"
    assert i18n.figure("190000000000", "fen", "en") == "CNY 1,900,000,000.00"
    assert i18n.figure("150000", "square_metres", "zh_CN") == "150,000平方米"
    assert i18n.figure("150000", "square_metres", "en") == "150,000 m²"
    assert i18n.figure("2.76", "percent", "en") == "2.76%"
    assert i18n.figure("2600", "organizations", "zh_CN") == "2,600家"
    assert i18n.figure("2600", "organizations", "en") == "2,600"
    assert i18n.figure("15.19", "per_10k_people", "en") == "15.19 per 10,000 people"
    assert i18n.figure("7", "a_unit_from_the_future", "en") == "7"
    assert i18n.figure(None, "fen", "en") == "—"
    assert (i18n.month_day("03-31", "zh_CN"), i18n.month_day("03-31", "en")) == ("3月31日", "Mar 31")


def test_every_unit_a_plan_counts_in_has_a_name_in_the_console() -> None:
    """A unit the console did not know would show its figures as bare numbers; money is written as money."""
    from evaluation.plans.units import Unit

    assert {unit.value for unit in Unit} - {"fen"} == set(i18n.UNIT_NAMES)


def test_a_growth_rates_chart_draws_its_figures_alone_and_money_in_wan_yuan() -> None:
    """A growth-rate indicator's path and targets are yearly growth in percent: on the axis of its figures (money
    here) they would read as amounts; they are left to the page's words."""
    spending = {
        "unit": "fen",
        "direction": "growth_rate",
        "baseline_year": None,
        "path": [{"year": 2027, "value": "15"}],
        "targets": [{"year": 2027, "value": "15"}],
        "reports": [
            {"year": 2023, "value": "123450000", "status": "accepted"},
            {"year": 2024, "value": "150000000", "status": "reported"},
        ],
    }
    english = i18n.translations("en").gettext
    chart = _trajectory(spending, english, "en")
    assert chart is not None
    assert [series["name"] for series in chart["series"]] == ["Accepted figures"]
    assert chart["series"][0]["data"] == [123.45] and chart["yAxis"]["name"] == "CNY 10,000"
    assert _trajectory({**spending, "reports": []}, english, "en") is None  # nothing to draw
    share = {**spending, "unit": "percent", "direction": "at_least", "reports": []}
    drawn = _trajectory(share, english, "en")
    assert drawn is not None and [s["name"] for s in drawn["series"]] == ["Target path", "Accepted figures", "Targets"]


def test_money_typed_in_wan_yuan_is_reported_in_fen_exactly() -> None:
    assert _fen_from_wan("12345.67") == "12345670000"
    assert _fen_from_wan("0.0000001") == "0.1"  # a tenth of a fen: the API refuses it, naming the field
    assert _fen_from_wan("lots") == "lots"


def test_a_moment_is_shown_on_the_day_it_was_in_china() -> None:
    late_evening_utc = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)  # 04:30 on the 3rd in Ningbo
    assert i18n.day(late_evening_utc.isoformat(), "zh_CN") == "2026年12月3日"
    assert i18n.day("2026-12-02", "zh_CN") == "2026年12月2日"
    assert i18n.day(date(2026, 12, 2), "en") == "Dec 2, 2026"
    assert i18n.moment(late_evening_utc.isoformat(), "zh_CN") == "2026-12-03 04:30"


def _console_messages() -> set[str | tuple[str, str]]:
    """Every message of the console's code and templates: a string, or (singular, plural) for a phrase that counts."""
    keywords = {"_": None, "N_": None, "gettext": None, "_n": (1, 2), "ngettext": (1, 2)}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    return {
        message if isinstance(message, str) else (message[0], message[1])
        for _, _, message, _, _ in extract_from_dir(PACKAGE, method_map, keywords=keywords)
    }


def _chinese_catalog() -> Any:
    with (PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def test_every_string_of_the_console_has_a_chinese_translation() -> None:
    found = _console_messages()
    translated = {
        m.id if isinstance(m.id, str) else tuple(m.id)
        for m in _chinese_catalog()
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(found - translated, key=str)
    assert len(found) > 300
    assert not missing, f"{len(missing)} strings have no Chinese translation: {missing[:20]}"


def test_a_phrase_that_counts_has_a_singular_in_english_and_one_form_in_chinese() -> None:
    """ "Confirm and finalize 1 evaluation", not "1 evaluations"; Chinese has one form for every count."""
    counting = sorted(m for m in _console_messages() if isinstance(m, tuple))
    assert ("Confirm and finalize %(count)s evaluation", "Confirm and finalize %(count)s evaluations") in counting
    english, chinese = i18n.translations("en"), i18n.translations("zh_CN")
    for singular, plural in counting:
        assert english.ngettext(singular, plural, 1) == singular
        assert english.ngettext(singular, plural, 2) == plural
        assert chinese.ngettext(singular, plural, 1) == chinese.ngettext(singular, plural, 2) not in (singular, plural)
    # A counted phrase is written with _n: no plain message counts with a plural noun after its number.
    plain = [m for m in _console_messages() if isinstance(m, str) and "%(count)s" in m]
    assert not [m for m in plain if any(f"%(count)s {noun}" in m for noun in ("centers", "rows", "figures"))], plain


def test_every_delivery_status_the_notification_service_can_answer_has_a_name_in_the_console() -> None:
    """The operations page names a delivery's status; one the console does not know would show as its raw code."""
    contract = json.loads((PACKAGE.parents[2] / "shared" / "contract" / "openapi" / "notification.json").read_text())
    answered = {
        status
        for schema in contract["components"]["schemas"].values()
        for status in schema.get("properties", {}).get("status", {}).get("enum", [])
        if "delivered" in schema.get("properties", {}).get("status", {}).get("enum", [])
    }
    assert {"retrying", "cancelled"} <= answered
    assert answered <= set(LABELS["delivery_status"])


def test_every_event_of_the_catalog_has_a_name_in_the_console() -> None:
    """Deliveries and timelines name the event they are about; one the console does not know shows as its code."""
    assert {model.event_name for model in CATALOG} <= set(LABELS["event"])


def test_the_console_and_the_services_sentences_call_a_word_of_the_vocabulary_the_same_in_chinese() -> None:
    """A grant's trace names tiers, statuses and grades by `tic_shared.vocabulary.NAMES`; the console labels them
    from its catalog. One word, one Chinese name, wherever the officer reads it."""
    from tic_shared.vocabulary import NAMES, CenterStatus, Grade, Tier

    chinese = i18n.translations("zh_CN").gettext
    for kind, words in (("tier", Tier), ("status", CenterStatus), ("grade", Grade)):
        for word in words:
            assert chinese(LABELS[kind][word.value]) == NAMES[word].zh, (kind, word)


def test_every_step_of_an_evaluations_history_has_a_name_in_the_console() -> None:
    """An evaluation's history names each step it went through; one the console does not know shows as its code."""
    from evaluation.domain.evaluation import Action

    assert {action.value for action in Action} == set(LABELS["evaluation_action"])


def test_every_kind_of_webhook_failure_has_a_name_in_the_console() -> None:
    """A failed delivery's error is recorded under its kind; the operations page names the kind for the officer."""
    from notification.channels import FAILURE_KINDS

    assert {"ConnectError", "ReadTimeout", "HTTP"} <= set(FAILURE_KINDS)
    assert set(FAILURE_KINDS) <= set(LABELS["delivery_error"])


def test_a_delivery_error_is_told_by_its_kind_in_the_readers_language_then_as_recorded() -> None:
    chinese = i18n.translations("zh_CN").gettext
    english = i18n.translations("en").gettext
    refused = "ConnectError: Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed]"
    assert failure(chinese, refused) == f"无法连接接收端 · {refused}"
    assert failure(english, refused) == f"Could not connect to the receiver · {refused}"
    assert failure(chinese, "HTTP 503") == "接收端返回错误状态 · HTTP 503"
    assert failure(chinese, "the subscription is gone") == "订阅已删除 · the subscription is gone"
    assert failure(chinese, "something new: detail") == "something new: detail"  # unknown: as recorded
    assert failure(chinese, None) == ""


def test_a_delivery_recipient_is_told_by_who_it_is_not_by_its_key() -> None:
    """The delivery log names an inbox audience by its role and the district, center or department it is narrowed
    to, a webhook subscription by its receiver's address; an e-mail address stays as it is."""
    center = "4f1c2d3e-0000-4000-8000-000000000001"
    subscription = "9a8b7c6d-0000-4000-8000-000000000002"
    found = {
        "reference": Answer(
            "registry", 200, {"districts": [{"code": "haishu", "zh": "海曙区", "en": "Haishu District"}]}
        ),
        "departments": Answer(
            "evaluation", 200, [{"code": "weihai.science_technology", "zh": "威海市科技局", "en": "Weihai S&T"}]
        ),
        "subscriptions": Answer(
            "notification", 200, {"items": [{"id": subscription, "url": "https://finance.example/tic"}]}
        ),
    }
    centers = [Answer("registry", 200, {"id": center, "name_zh": "宁波市甲技术创新中心", "name_en": "Ningbo A TIC"})]
    chinese = Names.of("zh_CN", centers=centers, **found)
    english = Names.of("en", centers=centers, **found)
    zh, en = i18n.translations("zh_CN").gettext, i18n.translations("en").gettext

    assert chinese.recipient(zh, "role:bureau_reviewer") == "市科技局审核员"
    assert english.recipient(en, "role:bureau_reviewer") == "Bureau reviewer"
    assert chinese.recipient(zh, "role:district_officer/district:haishu") == "区县科技部门 · 海曙区"
    assert english.recipient(en, "role:district_officer/district:haishu") == "District officer · Haishu District"
    assert chinese.recipient(zh, f"role:center_user/center:{center}") == "中心用户 · 宁波市甲技术创新中心"
    assert english.recipient(en, f"role:center_user/center:{center}") == "Center staff · Ningbo A TIC"
    department = "role:department_officer/department:weihai.science_technology"
    assert chinese.recipient(zh, department) == "市级部门 · 威海市科技局"
    assert english.recipient(en, f"subscription:{subscription}") == "https://finance.example/tic"
    assert chinese.recipient(zh, "subscription:0badf00d-0000-4000-8000-000000000000") == "Webhook 订阅 0badf00d"
    assert chinese.recipient(zh, "wang.fang@example.com") == "wang.fang@example.com"
    # A center the registry did not name (out of scope, or it did not answer) reads as the start of its id.
    assert english.recipient(en, "role:center_user/center:0badf00d-1111") == "Center staff · 0badf00d"


def test_a_subscriptions_event_types_read_as_events_and_services() -> None:
    zh, en = i18n.translations("zh_CN").gettext, i18n.translations("en").gettext
    assert event_pattern(zh, "tic.funding.*") == "资金服务的全部事件"
    assert event_pattern(en, "tic.funding.*") == "every event of the funding service"
    assert event_pattern(en, "tic.registry.CenterApproved.v1") == "approved for construction"
    assert event_pattern(en, "tic.*") == "every event"
    assert event_pattern(en, "tic.unknown.*") == "tic.unknown.*"


def test_a_refused_date_or_act_is_said_in_the_readers_words_from_the_problems_facts() -> None:
    zh, en = i18n.translations("zh_CN").gettext, i18n.translations("en").gettext
    future = {
        "type": "urn:tic:problem:act-date-refused",
        "detail": "body.on: delisting on 2027-01-01 is in the future (today is 2026-12-04)",
        "rule": "in_future",
        "today": "2026-12-04",
        "errors": [{"field": "body.on", "message": "…", "type": "date_refused"}],
    }
    answer = Answer("registry", 422, problem=future)
    assert problem_text(answer, zh, "zh_CN") == "请检查填写的内容：日期不能晚于今天（2026年12月4日）"
    assert (
        problem_text(answer, en, "en")
        == "Please check what you entered: the date cannot be later than today (Dec 4, 2026)"
    )
    assert "body.on" not in problem_text(answer, zh, "zh_CN")  # said in words: no English field path
    notice = future | {"rule": "not_before", "conflicts_with": {"act": "end of the public notice", "on": "2026-04-11"}}
    assert problem_text(Answer("registry", 422, problem=notice), zh, "zh_CN").endswith(
        "日期须早于公示结束（2026年4月11日）"
    )
    policy = future | {"rule": "before", "conflicts_with": {"act": "policy 甬政办发〔2022〕51号", "on": "2022-10-26"}}
    assert problem_text(Answer("registry", 422, problem=policy), en, "en").endswith(
        "the date cannot be earlier than the policy 甬政办发〔2022〕51号 taking effect (Oct 26, 2022)"
    )
    illegal = {
        "type": "urn:tic:problem:illegal-transition",
        "detail": "cannot approve in state 'building'",
        "instance": "/api/v1/centers/abc/approve",
        "current_state": "building",
        "allowed_actions": ["change_tier", "delist"],
    }
    assert problem_text(Answer("registry", 409, problem=illegal), zh, "zh_CN") == (
        "当前状态下不能办理：中心当前为“建设期”，现在可以：调整层级、摘牌"
    )
    # Facts the console cannot say (another service's states, a delivery's) leave the service's detail as it is.
    delivery = illegal | {
        "instance": "/api/v1/deliveries/abc/replay",
        "current_state": "cancelled",
        "allowed_actions": [],
    }
    assert problem_text(Answer("notification", 409, problem=delivery), en, "en").endswith(delivery["detail"])
    fen = {"type": "urn:tic:problem:money-in-whole-fen", "detail": "body.value: 0.1 is not a whole number of fen"}
    assert problem_text(Answer("evaluation", 422, problem=fen), zh, "zh_CN") == (
        "请检查填写的内容：金额最小到分（0.01元），不能更细"
    )


def test_a_refused_form_names_each_field_by_its_label_and_the_rule_with_its_figures() -> None:
    zh, en = i18n.translations("zh_CN").gettext, i18n.translations("en").gettext
    refused = {
        "type": "urn:tic:problem:validation-error",
        "detail": "invalid input: body.name_zh, body.lead_unit.credit_code, body.score, body, body.name_en",
        "errors": [
            {"field": "body.name_zh", "type": "missing", "message": "Field required"},
            {"field": "body.lead_unit.credit_code", "type": "credit_code", "message": "not a valid …: length"},
            {"field": "body.score", "type": "less_than_equal", "message": "…", "context": {"le": 100}},
            {"field": "body.targets.year_2.investment_fen", "type": "greater_than_equal", "context": {"ge": 0}},
            {"field": "body.verified_investment_fen", "type": "less_than_equal", "context": {"le": 10**15}},
            {"field": "body", "type": "reason_required", "message": "reason is required when …"},
            {"field": "body.name_en", "type": "string_too_long", "context": {"max_length": 200}},
        ],
    }
    answer = Answer("registry", 422, problem=refused)
    assert problem_text(answer, zh, "zh_CN") == (
        "请检查填写的内容：名称（中文）必须填写；统一社会信用代码不正确：位数、字符或校验位有误；得分（0–100）不能大于100；"
        "累计投入（万元）不能小于0.00 元；核定投入（万元）不能大于1,000,000,000.00 万元；原因在决定不予批准时必须填写；"
        "名称（英文）最多200个字"
    )
    assert problem_text(answer, en, "en") == (
        "Please check what you entered: Name (Chinese) is required; Unified social credit code is not valid: its "
        "length, a character or its check character is wrong; Score (0–100) cannot be more than 100; Cumulative "
        "investment (CNY 10,000) cannot be less than CNY 0.00; Verified investment (CNY 10,000) cannot be more than "
        "CNY 10,000,000,000,000.00; Reason is required when the decision is not to approve; Name (English) can be "
        "at most 200 characters long"
    )
    variant = {
        "type": "urn:tic:problem:invalid-variant",
        "detail": "body.overrides: policy ningbo-tic-2022 (variant) is invalid: …",
        "errors": [
            {"field": "body.overrides.rate", "type": "rate_range", "message": "a rate must lie between 0 and 1"}
        ],
    }
    assert problem_text(Answer("funding", 422, problem=variant), zh, "zh_CN") == (
        "请检查填写的内容：补助比例（如 0.25）须在0到1之间"
    )
    # A field no form of the console has, under a rule it has no words for: the API's path and its own sentence.
    unknown = {
        "type": "urn:tic:problem:validation-error",
        "errors": [{"field": "body.x", "type": "odd", "message": "odd"}],
    }
    assert problem_text(Answer("registry", 422, problem=unknown), zh, "zh_CN") == "请检查填写的内容：x：odd"


def test_a_refusal_known_by_its_slug_is_said_from_the_facts_the_problem_carries() -> None:
    zh, en = i18n.translations("zh_CN").gettext, i18n.translations("en").gettext

    def said(problem: dict[str, object], gettext: Any = zh, locale: str = "zh_CN") -> str:
        return problem_text(Answer("funding", 409, problem=problem), gettext, locale)

    overpaid = {"type": "urn:tic:problem:overpayment", "detail": "body.amount_fen 9 exceeds …", "owed_fen": 1234500}
    assert said(overpaid) == "当前状态下不能办理：还款金额超过尚欠的1.23 万元"
    assert said(overpaid, en, "en") == "Not possible now: the repayment is more than the CNY 12,345.00 still owed"
    budget = {"type": "urn:tic:problem:budget-exceeded", "budget_fen": 10**10, "committed_fen": 9 * 10**9}
    assert said(budget | {"requested_fen": 2 * 10**9}) == (
        "当前状态下不能办理：本年度预算为10,000.00 万元，已承诺9,000.00 万元，再加2,000.00 万元将超出预算"
    )
    taken = {"type": "urn:tic:problem:name-taken", "held_by": "NB-TIC-2026-003", "detail": "the name …"}
    assert said(taken | {"field": "body.domain_zh"}).endswith(
        "该名称已由在册中心 NB-TIC-2026-003 使用，请填写能区分本中心的领域"
    )
    assert said(taken).endswith("该名称此后已由在册中心 NB-TIC-2026-003 使用，须先为其中之一更名")
    grant = {
        "type": "urn:tic:problem:transition-refused",
        "instance": "/api/v1/grants/abc/disburse",
        "current_state": "calculated",
        "allowed_actions": ["approve"],
    }
    assert said(grant) == "当前状态下不能办理：该笔资助当前为“已测算”，现在不能办理此事"
    finalized = grant | {"instance": "/api/v1/evaluations/abc/finalize", "current_state": "finalized"}
    assert said(finalized) == "当前状态下不能办理：该评价当前为“已定稿”，现在不能办理此事"
    outside = {"type": "urn:tic:problem:year-outside-plan", "year": 2015, "first_year": 2022, "last_year": 2026}
    assert problem_text(Answer("evaluation", 422, problem=outside), zh, "zh_CN") == (
        "请检查填写的内容：本规划填报2022–2026年的数据（首年为基数年），不含2015年"
    )
    scores = {"type": "urn:tic:problem:score-out-of-range", "score_min": 0, "score_max": 100}
    assert problem_text(Answer("evaluation", 422, problem=scores), en, "en") == (
        "Please check what you entered: a score lies within 0–100"
    )
    gone = {"type": "urn:tic:problem:not-found", "detail": "grant 1c0ffee does not exist or is not visible to you"}
    assert problem_text(Answer("funding", 404, problem=gone), zh, "zh_CN") == zh("Not found, or not yours to see")
    # A problem without the fact its sentence names keeps the service's own words.
    assert said({"type": "urn:tic:problem:overpayment", "detail": "too much"}) == "当前状态下不能办理：too much"
    # A service that gives its reason in both languages is quoted in the reader's.
    not_ready = {
        "type": "urn:tic:problem:evaluation-not-ready",
        "detail": "evaluation 1 cannot be finalized: it has no report and no scores: …",
        "reason": {"zh": "既无年度报告也无专家评分", "en": "it has no report and no scores"},
    }
    assert said(not_ready) == "当前状态下不能办理：既无年度报告也无专家评分"
    assert said(not_ready, en, "en") == "Not possible now: it has no report and no scores"


def test_every_conflict_a_service_raises_is_said_in_words_by_the_console() -> None:
    """A refusal for the state of the record reaches the officer in their language: each slug a use case raises
    as a plain `Conflict` has its sentence (a transition names its state and is said by the state instead)."""
    services = PACKAGE.parents[2] / "services"
    raised = {
        slug
        for path in services.glob("*/*/service/*.py")
        for slug in re.findall(r'raise Conflict\(\s*"([a-z-]+)"', path.read_text())
    }
    assert {"overpayment", "name-taken", "round-exists"} <= raised
    assert raised <= set(SLUG_SENTENCES) | {"name-taken"}


def test_every_act_a_refused_date_can_name_has_a_name_in_the_console() -> None:
    from registry.service.acts import ACT_NAMES

    assert set(ACT_NAMES.values()) <= set(LABELS["dated_act"])


def test_an_act_form_becomes_the_api_body_with_empty_optional_fields_left_out() -> None:
    form = FormData(
        [("passed", "yes"), ("score", "88"), ("opinion", " 同意 "), ("experts", "甲\n\n乙 \n"), ("reviewed_on", "")]
    )
    body, path = body_of(ACTS["review"], form)
    assert path == "review"
    assert body == {"passed": True, "score": 88, "opinion": "同意", "experts": ["甲", "乙"]}


def test_an_import_refusal_is_told_in_the_readers_language_naming_the_column_and_the_value() -> None:
    row = {"district": "atlantis", "contact_email": "nobody"}
    district = {"field": "body.district", "type": "district", "message": "unknown district 'atlantis'; one of: …"}
    chinese = i18n.translations("zh_CN").gettext
    assert explain(district, row, chinese) == ("区县（市）", "“atlantis” 不是本市的区县（市）")
    english = i18n.translations("en").gettext
    assert explain(district, row, english) == ("District", "“atlantis” is not a district of the city")
    email = {"field": "body.contacts.0.email", "type": "value_error", "message": "value is not a valid email"}
    assert explain(email, row, chinese) == ("邮箱", "“nobody” 不是有效的邮箱地址")
    missing = {"field": "body.lead_unit.name", "type": "missing", "message": "Field required"}
    assert explain(missing, row, chinese) == ("依托单位", "必须填写")
    unknown_rule = {"field": "body", "type": "value_error", "message": "recommender is required"}
    assert explain(unknown_rule, row, chinese) == ("", "recommender is required")


def test_a_center_is_named_in_the_readers_language_by_its_official_name_once_it_has_one() -> None:
    applied = {"name_zh": "宁波市甲技术创新中心", "name_en": "Ningbo A TIC"}
    named = {**applied, "official_name_zh": "宁波市甲材料技术创新中心", "official_name_en": "Ningbo A Materials TIC"}
    assert center_name(applied, "zh_CN") == "宁波市甲技术创新中心"
    assert center_name(applied, "en") == "Ningbo A TIC"
    assert center_name(named, "zh_CN") == "宁波市甲材料技术创新中心"
    assert center_name(named, "en") == "Ningbo A Materials TIC"
    assert center_name({"name_zh": "宁波市乙技术创新中心", "name_en": None}, "en") == "宁波市乙技术创新中心"


def test_sections_map_every_page_to_the_scope_its_navigation_entry_needs() -> None:
    assert section_of("/operations/dead-letters/registry/1/replay").path == "/operations"  # type: ignore[union-attr]
    assert section_of("/centers/abc/act/approve").path == "/centers"  # type: ignore[union-attr]
    assert section_of("/").path == "/"  # type: ignore[union-attr]
    assert section_of("/signin") is None
    assert section_of("/centersX") is None


def test_production_refuses_the_development_session_secret_and_sign_in() -> None:
    with pytest.raises(ValidationError, match="SESSION_SECRET"):
        DashboardSettings(environment=Environment.PRODUCTION)
    with pytest.raises(ValidationError, match="OIDC"):
        DashboardSettings(environment=Environment.PRODUCTION, session_secret=SecretStr("s" * 40))
    settings = DashboardSettings(
        environment=Environment.PRODUCTION,
        session_secret=SecretStr("s" * 40),
        oidc_metadata_url="https://idp.example.gov.cn/.well-known/openid-configuration",
        oidc_client_id="tic-console",
    )
    assert not settings.dev_sign_in


def _console(**overrides: object) -> httpx.AsyncClient:
    settings = DashboardSettings(
        registry_url=CLOSED, evaluation_url=CLOSED, funding_url=CLOSED, notification_url=CLOSED, **overrides
    )
    app = create_app(settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test")


@pytest.fixture
async def console() -> AsyncIterator[httpx.AsyncClient]:
    async with _console() as client:
        app = client._transport.app  # type: ignore[attr-defined]
        async with app.router.lifespan_context(app):
            yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def _sign_in(client: httpx.AsyncClient, role: str, district: str = "") -> None:
    page = await client.get("/signin")
    assert page.status_code == 200
    signed = await client.post("/signin", data={"csrf": _csrf(page.text), "role": role, "district": district})
    assert signed.status_code == 303, signed.text


async def test_every_page_still_renders_and_says_which_service_is_down(console: httpx.AsyncClient) -> None:
    signin = await console.get("/signin")
    assert "registry" in signin.text.lower() or "登记" in signin.text  # the picker says it could not list centers
    await _sign_in(console, "bureau_admin")
    for path in ("/", "/centers", "/evaluation", "/funding", "/operations", "/funding/calculator"):
        page = await console.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code}"
        assert "<main" in page.text and "<nav" in page.text
        down = re.findall(r'<p class="notice warn" role="status">([^<]*)</p>', page.text)
        assert any("服务" in d and "无法连接" in d for d in down), f"{path} does not say what is down: {down}"


async def test_a_form_without_the_session_csrf_token_is_refused_and_does_nothing(console: httpx.AsyncClient) -> None:
    await _sign_in(console, "bureau_admin")
    refused = await console.post("/signout", data={"csrf": "forged"})
    assert refused.status_code == 403
    still = await console.get("/centers")
    assert still.status_code == 200  # still signed in: the forged sign-out did nothing
    assert (await console.post("/signin", data={"role": "bureau_admin"})).status_code == 403


async def test_a_page_outside_the_role_is_refused_with_403_before_any_api_call(console: httpx.AsyncClient) -> None:
    await _sign_in(console, "district_officer", district="zhenhai")
    refused = await console.get("/operations")
    assert refused.status_code == 403
    assert 'href="/operations"' not in refused.text


async def test_a_page_asks_who_you_are_first_and_brings_you_back(console: httpx.AsyncClient) -> None:
    answer = await console.get("/funding")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/funding"


async def test_an_expert_lands_on_the_part_of_the_console_that_is_theirs(console: httpx.AsyncClient) -> None:
    page = await console.get("/signin")
    signed = await console.post("/signin", data={"csrf": _csrf(page.text), "role": "expert"})
    assert signed.headers["location"] == "/evaluation"


async def test_the_console_is_ready_and_measured_even_with_every_service_down(console: httpx.AsyncClient) -> None:
    assert (await console.get("/readyz")).json() == {"status": "ready"}
    await console.get("/signin")
    metrics = (await console.get("/metrics")).text
    assert 'tic_console_request_duration_seconds_count{method="GET",route="/signin",status="200"} 1.0' in metrics
