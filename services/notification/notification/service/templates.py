"""Templates of the messages: which events have one, checking and previewing them with a sample event."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from notification.cache import FanOutCache
from notification.data import samples
from notification.domain import rules as rules_domain
from notification.domain import templates as tpl
from notification.store import templates as templates_store
from notification.store.records import TemplateRecord
from tic_shared.events.catalog import BY_TYPE
from tic_shared.http import check_if_match, etag_for
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
        raise _refused(exc) from exc


def etag(event_name: str, locale: str, version: int) -> str:
    return etag_for("template", event_name, locale, version)


async def list_templates(
    session: AsyncSession, *, event_name: str | None, locale: str | None, after: tuple[str, str] | None, limit: int
) -> list[TemplateRecord]:
    return list(
        await templates_store.list_templates(session, event_name=event_name, locale=locale, after=after, limit=limit)
    )


async def get_template(session: AsyncSession, *, event_name: str, locale: str) -> TemplateRecord:
    found = await templates_store.get(session, known_event(event_name), locale)
    if found is None:
        raise NotFound("template", f"{event_name}/{locale}")
    return found


async def put_template(
    session: AsyncSession,
    *,
    event_name: str,
    locale: str,
    subject: str,
    body: str,
    by: str,
    if_match: str | None,
    cache: FanOutCache,
) -> TemplateRecord:
    """Replace (or first write) a template, refused unless it renders with the sample event."""
    name = known_event(event_name)
    check_template(name, locale, subject, body)
    current = await templates_store.get(session, name, locale)
    if current is None:
        check_if_match(if_match, etag(name, locale, 0))
        row = await templates_store.create(session, event_name=name, locale=locale, subject=subject, body=body, by=by)
    else:
        check_if_match(if_match, etag(name, locale, current.version))
        saved = await templates_store.save(
            session,
            event_name=name,
            locale=locale,
            subject=subject,
            body=body,
            by=by,
            expected_version=current.version,
        )
        if saved is None:
            raise Problem(412, "precondition-failed", "the template changed meanwhile; read it again and retry")
        row = saved
    cache.clear()
    return row


async def preview_template(
    session: AsyncSession,
    *,
    event_name: str,
    locale: str,
    subject: str | None,
    body: str | None,
    data: dict[str, Any] | None,
) -> tuple[tpl.Rendered, dict[str, Any]]:
    """Render the given (or else the stored) template with the sample event or the given data; store nothing."""
    name = known_event(event_name)
    if data is not None:
        model = next(m for m in BY_TYPE.values() if m.event_name == name)
        try:
            model.model_validate(data)
        except ValidationError as exc:
            errors = [
                {"field": ".".join(["body", "data", *map(str, e["loc"])]), "message": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ]
            raise Problem(422, "validation-error", f"body.data is not a {name} event", errors=errors) from exc
    stored = await templates_store.get(session, name, locale)
    subject = subject or (stored.subject if stored else None)
    body = body or (stored.body if stored else None)
    if subject is None or body is None:
        raise NotFound("template", f"{name}/{locale}")
    context = sample_context(name, locale, data)
    try:
        return tpl.check(subject, body, context), context
    except tpl.TemplateRefused as exc:
        raise _refused(exc) from exc


def _refused(exc: tpl.TemplateRefused) -> Problem:
    return Problem(
        422,
        "template-invalid",
        f"body.{exc.field} {exc.detail}",
        errors=[{"field": f"body.{exc.field}", "message": exc.detail, "type": "template"}],
    )
