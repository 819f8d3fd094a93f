"""Templates of the messages: which events have one, checking and previewing them with a sample event."""

from __future__ import annotations

from typing import Any

from notification.data import samples
from notification.domain import rules as rules_domain
from notification.domain import templates as tpl
from tic_shared.events.catalog import BY_TYPE
from tic_shared.problems import NotFound, Problem


def known_event(event_name: str) -> str:
    if event_name not in rules_domain.EVENT_NAMES:
        raise NotFound("event type", event_name)
    return event_name


def sample_context(event_name: str, locale: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context a template is checked and previewed with: the packaged sample, or data the caller gives."""
    sample = samples()[event_name]
    model = next(m for m in BY_TYPE.values() if m.event_name == event_name)
    event_data = sample["data"] if data is None else data
    payload = {
        "id": "00000000-0000-4000-8000-000000000000",
        "type": model.ce_type(),
        "source": f"/services/{model.producer}",
        "subject": str(event_data.get("center_id") or ""),
        "time": "2026-03-01T08:00:00+00:00",
        "data": event_data,
    }
    return tpl.context_for(event=payload, center=sample.get("center"), locale=locale)


def check_template(event_name: str, locale: str, subject: str, body: str) -> tpl.Rendered:
    try:
        return tpl.check(subject, body, sample_context(event_name, locale))
    except tpl.TemplateRefused as exc:
        raise Problem(
            422,
            "template-invalid",
            f"body.{exc.field} {exc.detail}",
            errors=[{"field": f"body.{exc.field}", "message": exc.detail, "type": "template"}],
        ) from exc
