"""Who is told of which event, on which channel, with which template: the rules, as data (`data/rules.toml`)."""

from __future__ import annotations

import re
import tomllib
import uuid
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from tic_shared.events.catalog import CATALOG

CHANNELS = ("email", "webhook", "inbox")
ROLES = ("bureau_admin", "bureau_reviewer", "district_officer", "center_user", "expert", "department_officer")
EVENT_NAMES = tuple(model.event_name for model in CATALOG)
EVENT_TYPES = tuple(model.ce_type() for model in CATALOG)
PRODUCERS = tuple(sorted({model.producer for model in CATALOG}))

# Which channels each kind of recipient can be reached on.
_REACHABLE = {
    "lead_unit_contacts": {"email"},
    "center_users": {"inbox"},
    "district_officers": {"inbox"},
    "lead_department": {"inbox"},
    "co_departments": {"inbox"},
    "subscribers": {"webhook"},
}


class RulesError(ValueError):
    pass


@dataclass(frozen=True)
class Notify:
    who: str
    """`lead_unit_contacts`, `center_users`, `district_officers`, `lead_department`, `co_departments` (a plan's),
    `role:<role>` or `subscribers`."""
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    """`data.<field>` above a number: e.g. a clawback that asks for money."""

    field: str
    above: int

    def holds(self, data: dict[str, Any]) -> bool:
        value = data.get(self.field)
        return isinstance(value, int | float) and not isinstance(value, bool) and value > self.above


@dataclass(frozen=True)
class Rule:
    event_name: str
    template: str
    notify: tuple[Notify, ...]
    description: str = ""
    people_only_if: Condition | None = None
    """People (email, inbox) are told only when this holds; systems (webhooks) always are."""


@dataclass(frozen=True)
class Rules:
    version: int
    rules: dict[str, Rule] = field(default_factory=dict)

    def for_event(self, event_name: str) -> Rule | None:
        return self.rules.get(event_name)


def _reachable(who: str) -> set[str]:
    if who.startswith("role:"):
        if who.removeprefix("role:") not in ROLES:
            raise RulesError(f"unknown role in {who!r}")
        return {"inbox"}
    if who not in _REACHABLE:
        raise RulesError(f"unknown recipient kind {who!r}")
    return _REACHABLE[who]


def parse_rules(document: dict[str, Any]) -> Rules:
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise RulesError("version must be a positive integer")
    rules: dict[str, Rule] = {}
    for name, body in (document.get("events") or {}).items():
        if name not in EVENT_NAMES:
            raise RulesError(f"events.{name}: not an event of the catalog")
        notify = []
        for index, entry in enumerate(body.get("notify") or []):
            who = entry["who"]
            channels = tuple(entry["channels"])
            unreachable = set(channels) - _reachable(who)
            if unreachable or not channels:
                raise RulesError(f"events.{name}.notify[{index}]: {who} cannot be reached on {sorted(unreachable)}")
            notify.append(Notify(who=who, channels=channels))
        condition = body.get("people_only_if")
        if condition is not None and (set(condition) != {"field", "above"} or not isinstance(condition["above"], int)):
            raise RulesError(f'events.{name}.people_only_if: give {{ field = "…", above = <integer> }}')
        rules[name] = Rule(
            event_name=name,
            template=body.get("template", name),
            notify=tuple(notify),
            description=body.get("description", ""),
            people_only_if=Condition(**condition) if condition is not None else None,
        )
    missing = set(EVENT_NAMES) - set(rules)
    if missing:
        raise RulesError(f"no rule for {sorted(missing)}")
    return Rules(version=version, rules=rules)


@cache
def package_rules() -> Rules:
    text = resources.files("notification").joinpath("data/rules.toml").read_text(encoding="utf-8")
    return parse_rules(tomllib.loads(text))


def tells_lead_unit(rule: Rule, data: dict[str, Any]) -> bool:
    """Whether the rule sends this event to the lead unit's contacts."""
    people = rule.people_only_if is None or rule.people_only_if.holds(data)
    return people and any(notify.who == "lead_unit_contacts" for notify in rule.notify)


def event_name_of(event_type: str) -> str:
    """`tic.registry.CenterApproved.v1` -> `CenterApproved`."""
    parts = event_type.split(".")
    return parts[2] if len(parts) == 4 else event_type


# ---- subscription filters ----

_FILTER = re.compile(r"^(\*|tic\.[a-z]+\.\*|tic\.[a-z]+\.[A-Za-z]+\.v\d+)$")


def invalid_filter(pattern: str) -> str | None:
    """Why a subscription's event-type filter is not acceptable, or None when it is."""
    if not _FILTER.match(pattern):
        return f"{pattern!r} is neither '*', 'tic.<producer>.*' nor an event type (tic.registry.CenterApproved.v1)"
    if pattern.endswith(".*") and pattern.split(".")[1] not in PRODUCERS:
        return f"{pattern!r} names no producer of the catalog ({', '.join(PRODUCERS)})"
    if pattern.count(".") == 3 and pattern not in EVENT_TYPES:
        return f"{pattern!r} is not an event type of the catalog"
    return None


def matches(patterns: list[str] | tuple[str, ...], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


# ---- recipients ----


@dataclass(frozen=True)
class Audience:
    """Who may read an inbox item: one user, or a role narrowed to a district or a center."""

    role: str | None = None
    district: str | None = None
    center_id: uuid.UUID | None = None
    user_subject: str | None = None
    department: str | None = None

    @property
    def key(self) -> str:
        if self.user_subject is not None:
            return f"user:{self.user_subject}"
        key = f"role:{self.role}"
        if self.district is not None:
            key += f"/district:{self.district}"
        if self.center_id is not None:
            key += f"/center:{self.center_id}"
        if self.department is not None:
            key += f"/department:{self.department}"
        return key


@dataclass(frozen=True)
class Target:
    channel: str
    recipient: str
    """The delivery's unique recipient key: an email address, `subscription:<id>` or an inbox audience."""
    audience: Audience | None = None
    subscription_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Subscriber:
    id: uuid.UUID
    event_types: tuple[str, ...]


def targets(
    rule: Rule,
    *,
    event_type: str,
    center_id: uuid.UUID | None,
    district: str | None,
    contacts: list[dict[str, Any]],
    subscribers: list[Subscriber],
    data: dict[str, Any] | None = None,
) -> list[Target]:
    """Every (channel, recipient) the rule names for this event, once each, in a stable order.

    People are left out when the rule's condition does not hold: a notice that asks nothing is not sent.
    """
    found: dict[tuple[str, str], Target] = {}
    people = rule.people_only_if is None or rule.people_only_if.holds(data or {})

    def add(target: Target) -> None:
        found.setdefault((target.channel, target.recipient), target)

    for notify in rule.notify:
        if not people and notify.who != "subscribers":
            continue
        for channel in notify.channels:
            if notify.who == "lead_unit_contacts":
                for contact in contacts:
                    email = (contact.get("email") or "").strip().lower()
                    if email:
                        add(Target(channel, email))
            elif notify.who == "center_users" and center_id is not None:
                audience = Audience(role="center_user", center_id=center_id)
                add(Target(channel, audience.key, audience=audience))
            elif notify.who == "district_officers" and district:
                audience = Audience(role="district_officer", district=district)
                add(Target(channel, audience.key, audience=audience))
            elif notify.who in ("lead_department", "co_departments") and data:
                # A plan's departments, read by their department officers (the token's `department` claim).
                named = [data.get("department")] if notify.who == "lead_department" else data.get("co_departments")
                for department in named or []:
                    if department:
                        audience = Audience(role="department_officer", department=str(department))
                        add(Target(channel, audience.key, audience=audience))
            elif notify.who.startswith("role:"):
                audience = Audience(role=notify.who.removeprefix("role:"))
                add(Target(channel, audience.key, audience=audience))
            elif notify.who == "subscribers":
                for sub in subscribers:
                    if matches(sub.event_types, event_type):
                        add(Target(channel, f"subscription:{sub.id}", subscription_id=sub.id))
    return list(found.values())
