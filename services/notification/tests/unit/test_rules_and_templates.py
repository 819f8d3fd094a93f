"""The shipped rules, templates and samples: complete, consistent, and every template renders."""

from __future__ import annotations

import uuid

import pytest

from notification.data import package_templates, samples
from notification.domain import rules
from notification.domain import templates as tpl
from tic_shared.events.catalog import CATALOG

EVENTS = [model.event_name for model in CATALOG]


def test_every_event_of_the_catalog_has_a_rule_and_reachable_recipients() -> None:
    shipped = rules.package_rules()
    assert shipped.version >= 1
    assert set(shipped.rules) == set(EVENTS)
    approved = shipped.for_event("CenterApproved")
    assert approved is not None
    assert {n.who for n in approved.notify} >= {"lead_unit_contacts", "district_officers", "subscribers"}


def test_dead_letters_are_never_sent_to_webhooks() -> None:
    rule = rules.package_rules().for_event("DeliveryDeadLettered")
    assert rule is not None and all("webhook" not in n.channels for n in rule.notify)


@pytest.mark.parametrize(
    "document",
    [
        {"version": 0, "events": {}},
        {"version": 1, "events": {"NoSuchEvent": {"notify": []}}},
        {"version": 1, "events": {"CenterApproved": {"notify": [{"who": "subscribers", "channels": ["email"]}]}}},
        {"version": 1, "events": {"CenterApproved": {"notify": [{"who": "role:mayor", "channels": ["inbox"]}]}}},
    ],
)
def test_a_bad_rules_file_is_refused(document: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(rules.RulesError):
        rules.parse_rules(document)


@pytest.mark.parametrize("event_name", EVENTS)
@pytest.mark.parametrize("locale", tpl.LOCALES)
def test_every_shipped_template_renders_its_sample(event_name: str, locale: str) -> None:
    template = package_templates()[(event_name, locale)]
    sample = samples()[event_name]
    model = next(m for m in CATALOG if m.event_name == event_name)
    model.model_validate(sample["data"])
    event = {"id": str(uuid.uuid4()), "type": model.ce_type(), "time": "2026-03-01T08:00:00Z", "data": sample["data"]}
    rendered = tpl.check(
        template["subject"], template["body"], tpl.context_for(event=event, center=sample["center"], locale=locale)
    )
    assert rendered.subject and "\n" not in rendered.subject
    assert "None" not in rendered.subject


def test_values_are_escaped_in_the_body_and_plain_in_the_subject() -> None:
    context = {"center_name": "A & <B>", "data": {}}
    rendered = tpl.render("{{ center_name }}", "<p>{{ center_name }}</p>", context)
    assert rendered.subject == "A & <B>"
    assert rendered.body == "<p>A &amp; &lt;B&gt;</p>"
    assert rendered.text == "A & <B>"


def test_yuan_formats_fen() -> None:
    assert tpl.yuan(300000000) == "3,000,000.00"
    assert tpl.yuan(5) == "0.05"
    assert tpl.yuan(-12345) == "-123.45"


def test_a_template_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(tpl.TemplateRefused) as refused:
        tpl.check("x", "{{ data.nope }}", {"data": {}})
    assert refused.value.field == "body"
    with pytest.raises(tpl.TemplateRefused) as refused:
        tpl.check("{% for %}", "x", {"data": {}})
    assert refused.value.field == "subject" and "line 1" in refused.value.detail
