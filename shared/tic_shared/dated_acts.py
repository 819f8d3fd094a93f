"""The one rule for every dated act (POLICY §4a): not in the future, not before what it follows, inside its window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tic_shared.problems import Problem, field_problem

# The program is run in China (UTC+8, no daylight saving): an act's day is the calendar day there, so "today"
# must be too, or a notice started at 07:00 in Ningbo would be "in the future" until 08:00.
LOCAL_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


def today() -> date:
    """The calendar day it is now where the program is run."""
    return datetime.now(LOCAL_TIME).date()


@dataclass(frozen=True)
class DatedAct:
    """An act of a center's record and the day it happened, e.g. the decision of 2026-03-02."""

    name: str
    on: date


class DateRefused(ValueError):
    """A date the record cannot hold: `rule` says which way it is wrong — `in_future` (after `today`), `before`
    (before the act `conflicts_with` names) or `not_before` (on or after it, where it must come first)."""

    def __init__(
        self,
        field: str,
        detail: str,
        conflicts_with: DatedAct | None = None,
        *,
        rule: str = "before",
        today: date | None = None,
    ) -> None:
        self.field = field
        self.detail = detail
        self.conflicts_with = conflicts_with
        self.rule = rule
        self.today = today
        super().__init__(f"{field}: {detail}")

    def problem(self) -> Problem:
        """The refusal as the APIs give it: 422 `act-date-refused` naming the field, with the facts a client needs
        to say it in its reader's language (`rule`, `conflicts_with` {act, on}, `today`)."""
        extra: dict[str, Any] = {"rule": self.rule}
        if self.conflicts_with is not None:
            extra["conflicts_with"] = {"act": self.conflicts_with.name, "on": self.conflicts_with.on.isoformat()}
        if self.today is not None:
            extra["today"] = self.today.isoformat()
        return field_problem(self.field, self.detail, slug="act-date-refused", error_type="date_refused", **extra)


def check_act_date(
    *,
    field: str,
    act: str,
    on: date,
    today: date,
    in_force: DatedAct,
    follows: DatedAct | None = None,
    window: tuple[DatedAct, DatedAct | None] | None = None,
) -> None:
    """Refuse `on` as the date of `act` unless it is a day the record can truthfully hold.

    `follows` is the latest act already on the center's record: an act never happens before it. `window` is a
    span the act must fall in, from its first day to the first day after it (e.g. an objection inside the public
    notice), or open-ended (e.g. an acceptance, from the end of construction on). `in_force` is the start of the
    policy the act is taken under.
    """
    if on > today:
        raise DateRefused(
            field,
            f"{act} on {on.isoformat()} is in the future (today is {today.isoformat()})",
            rule="in_future",
            today=today,
        )
    if on < in_force.on:
        raise DateRefused(
            field,
            f"{act} on {on.isoformat()} is before {in_force.name} took effect on {in_force.on.isoformat()}",
            in_force,
        )
    if follows is not None and on < follows.on:
        raise DateRefused(
            field, f"{act} on {on.isoformat()} is before the {follows.name} on {follows.on.isoformat()}", follows
        )
    if window is not None:
        opens, closes = window
        if on < opens.on:
            raise DateRefused(
                field, f"{act} on {on.isoformat()} is before the {opens.name} on {opens.on.isoformat()}", opens
            )
        if closes is not None and on >= closes.on:
            raise DateRefused(
                field,
                f"{act} on {on.isoformat()} is not before the {closes.name} on {closes.on.isoformat()}",
                closes,
                rule="not_before",
            )
