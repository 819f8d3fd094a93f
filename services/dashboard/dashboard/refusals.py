"""What an API refused in a form, said as the officer reads the form: each refused field by the label it has on
the page, and the rule it broke in the reader's language with the rule's own figures (a bound, a length).

The services name the field (`body.lead_unit.credit_code`), the rule (pydantic's error type, or the registry's
own for the checks it writes: `credit_code`, `district`, …) and the rule's figures (`context`: `{"le": 100}`);
their English sentence is shown only for a rule the console has no words for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dashboard import i18n
from dashboard.forms import ACTS
from dashboard.i18n import N_

# A rule as a sentence that follows the field's label; `%(…)s` are the rule's figures from the error's context.
RULES: dict[str, str] = {
    "missing": N_("is required"),
    "string_too_short": N_("cannot be empty"),
    "string_too_long": N_("can be at most %(max_length)s characters long"),
    "too_short": N_("needs at least %(min_length)s entries"),
    "too_long": N_("can have at most %(max_length)s entries"),
    "greater_than_equal": N_("cannot be less than %(ge)s"),
    "greater_than": N_("must be more than %(gt)s"),
    "less_than_equal": N_("cannot be more than %(le)s"),
    "less_than": N_("must be less than %(lt)s"),
    "int_parsing": N_("must be a whole number"),
    "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "float_type": N_("must be a number"),
    "decimal_parsing": N_("must be a number"),
    "date_parsing": N_("must be a date, written like 2026-03-31"),
    "date_from_datetime_parsing": N_("must be a date, written like 2026-03-31"),
    "date_type": N_("must be a date, written like 2026-03-31"),
    "bool_parsing": N_("must be yes or no"),
    "bool_type": N_("must be yes or no"),
    "enum": N_("is not one of the allowed choices"),
    "literal_error": N_("is not one of the allowed choices"),
    "string_pattern_mismatch": N_("is not written in the expected form"),
    "url_parsing": N_("is not a valid web address"),
    "url_scheme": N_("is not a valid web address"),
    "uuid_parsing": N_("does not name a record"),
    "extra_forbidden": N_("is not asked for here"),
    # The registry's own checks (its schemas raise them under these types).
    "credit_code": N_("is not valid: its length, a character or its check character is wrong"),
    "district": N_("is not a district of the city"),
    "recommender_required": N_("is required for a recommended application"),
    "reason_required": N_("is required when the decision is not to approve"),
    "domains_together": N_("is given in both languages or in neither"),
    "reasons_required": N_("are required when the acceptance did not pass"),
    # A policy variant's parameters (funding's simulation).
    "rate_range": N_("must lie between 0 and 1"),
}
# A length of one is "not empty", said as such; a longer one with its figure.
_LONGER_THAN = N_("needs at least %(min_length)s characters")

# A rule the registry checks over the whole body is about one field: the one its sentence names.
_FIELD_OF_RULE = {
    "recommender_required": "recommender",
    "reason_required": "reason",
    "domains_together": "domain_zh",
    "reasons_required": "reasons",
}

# The inputs of the console's forms besides the registry's acts (whose fields carry their own labels), by the
# API's name for them; a nested one by its path joined with `_` (`lead_unit.credit_code`), a contact's without
# its index (`contacts.0.email` → `contact_email`).
INPUTS: dict[str, str] = {
    "name_zh": N_("Name (Chinese)"),
    "name_en": N_("Name (English)"),
    "tier": N_("Tier"),
    "origin": N_("Origin"),
    "recommender": N_("Recommended by"),
    "field": N_("Field"),
    "industrial_chain": N_("Industrial chain"),
    "district": N_("District"),
    "lead_unit_name": N_("Lead unit"),
    "lead_unit_credit_code": N_("Unified social credit code"),
    "lead_unit_type": N_("Lead unit type"),
    "contact_name": N_("Contact"),
    "contact_email": N_("Email"),
    "contact_phone": N_("Phone"),
    "contact_role": N_("Role"),
    "plan": N_("Construction plan"),
    "targets": N_("Responsibility-letter targets"),
    "investment_fen": N_("Cumulative investment (CNY 10,000)"),
    "team": N_("Team (people)"),
    "high_level_teams": N_("High-level teams"),
    "year": N_("Year"),
    "value": N_("Value"),
    "expert": N_("Expert"),
    "scores": N_("Scores"),
    "policy": N_("Policy"),
    "funding_year": N_("Funding year"),
    "verified_investment_fen": N_("Verified investment (CNY 10,000)"),
    "granted_so_far_fen": N_("Granted so far (CNY 10,000)"),
    "overlapping_grant_fen": N_("Overlapping grant (CNY 10,000)"),
    "amount_fen": N_("Amount"),
    "url": N_("Address"),
    "event_types": N_("Events"),
    "overrides_rate": N_("Rate of the investment (e.g. 0.25)"),
    "overrides_first_year_cap_fen": N_("First-year cap (CNY 10,000)"),
    "overrides_total_cap_fen": N_("Total cap (CNY 10,000)"),
}
LABELS: dict[str, str] = {
    **{field.name: field.label for act in reversed(list(ACTS.values())) for field in act.fields},
    **INPUTS,
}


def input_key(path: str) -> str:
    """The name a field path is labelled by: `body.lead_unit.credit_code` → `lead_unit_credit_code`,
    `body.contacts.0.email` → `contact_email`, `body.targets.year_2.team` → `targets_year_2_team`; "" for the
    body as a whole."""
    parts = [part for part in path.removeprefix("body").strip(".").split(".") if part and not part.isdigit()]
    key = "_".join(parts)
    return "contact_" + key.removeprefix("contacts_") if key.startswith("contacts_") else key


def input_label(gettext: Callable[[str], str], path: str) -> str:
    """The label a field has on the console's forms, in the reader's language; its last named part's label when
    the whole path has none (`targets.year_2.team` → Team), else the path as the API gave it."""
    key = input_key(path)
    named = [part for part in path.split(".") if part and not part.isdigit() and part not in ("body", "query")]
    for candidate in (key, named[-1] if named else ""):
        if candidate in LABELS:
            return gettext(LABELS[candidate])
    return path.removeprefix("body.")


def field_sentence(error: Mapping[str, Any], gettext: Callable[[str], str], locale: str | None) -> tuple[str, str]:
    """One refused field as (its label, the rule it broke), in the reader's language where the rule is known; the
    service's own sentence otherwise."""
    label, said = _in_words(error, gettext, locale)
    return label, said if said is not None else str(error.get("message", ""))


def fields_in_words(errors: list[Mapping[str, Any]], gettext: Callable[[str], str], locale: str | None) -> str | None:
    """Every refused field as one sentence (`推荐单位在推荐申报时必须填写；…`), None when nothing is named."""
    said = []
    for error in errors:
        label, rule = _in_words(error, gettext, locale)
        # Our rule reads on from the label (名称必须填写); a service's own sentence stands after a colon.
        joined = gettext("%(field)s %(rule)s") if rule is not None else gettext("%(field)s: %(rule)s")
        why = rule if rule is not None else str(error.get("message", ""))
        said.append(joined % {"field": label, "rule": why} if label else why)
    return gettext("; ").join(dict.fromkeys(said)) if said else None


def _in_words(error: Mapping[str, Any], gettext: Callable[[str], str], locale: str | None) -> tuple[str, str | None]:
    """The refused field's label ("" for the body as a whole) and its rule in the reader's language, None for a
    rule the console has no words for (or one given without the figure its sentence names)."""
    kind = str(error.get("type", ""))
    path = str(error.get("field", ""))
    if input_key(path) == "" and kind in _FIELD_OF_RULE:
        path = f"body.{_FIELD_OF_RULE[kind]}"
    label = input_label(gettext, path) if input_key(path) else ""
    context = error.get("context") or {}
    rule = RULES.get(kind)
    if kind == "string_too_short" and int(context.get("min_length", 1) or 1) > 1:
        rule = _LONGER_THAN
    if rule is None:
        return label, None
    money = input_key(path).endswith("_fen")
    figures = {key: _figure(value, money=money, locale=locale) for key, value in context.items()}
    try:
        return label, gettext(rule) % figures
    except (KeyError, TypeError, ValueError):
        return label, None


def _figure(value: Any, *, money: bool, locale: str | None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if locale is None:
        return str(value)
    return i18n.money(value, locale) if money else i18n.number(value, locale)
