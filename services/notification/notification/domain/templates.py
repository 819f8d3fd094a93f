"""Message templates: Jinja2, sandboxed and autoescaped, strict about undefined names; refused when they fail."""

from __future__ import annotations

import html
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pydantic import BaseModel

from tic_shared.dated_acts import LOCAL_TIME
from tic_shared.events.catalog import BY_TYPE

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"


def yuan(fen: Any) -> str:
    """Money travels in fen; people read yuan: 123456789 -> 1,234,567.89."""
    value = int(fen)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{cents:02d}"


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, tuple[str, str]]]:
    """kind -> code -> (zh, en): the words people read for the codes events carry (`data/labels.toml`)."""
    text = resources.files("notification").joinpath("data/labels.toml").read_text(encoding="utf-8")
    return {kind: {code: (zh, en) for code, (zh, en) in table.items()} for kind, table in tomllib.loads(text).items()}


@pass_context
def label(context: Context, kind: str, code: Any) -> str:
    """The name of `code` among `kind` (tier, grade, milestone…) in the message's language; the code itself only
    when the vocabulary does not know it (a template check shows it then)."""
    names = labels().get(kind, {}).get(str(code))
    if names is None:
        return str(code)
    return names[1] if context.get("locale") == "en" else names[0]


@pass_context
def figure(context: Context, measure: str, value: Any) -> str:
    """A milestone figure with its unit, money in yuan: `cumulative_investment_fen`, 9999999900 -> 99,999,999 元."""
    if value is None:
        return "未填报" if context.get("locale") != "en" else "not reported"
    number = yuan(value) if measure.endswith("_fen") else f"{int(value):,}"
    unit = label(context, "unit", measure)
    if unit == measure:
        return number
    return f"{unit} {number}" if context.get("locale") == "en" and unit == "yuan" else f"{number} {unit}"


def local_day(moment: Any) -> str:
    """An ISO time (as events carry it, in UTC) as the calendar day in China, where people read it."""
    parsed = datetime.fromisoformat(str(moment))
    return parsed.astimezone(LOCAL_TIME).date().isoformat()


def day_before(day: Any) -> str:
    """The day before an ISO date: a period that ends on the first day of what follows ends the day before."""
    return (date.fromisoformat(str(day)) - timedelta(days=1)).isoformat()


def _environment() -> SandboxedEnvironment:
    # Sandboxed: templates are edited through the API; autoescaped: event data is not trusted HTML.
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["yuan"] = yuan
    env.filters["local_day"] = local_day
    env.filters["day_before"] = day_before
    env.globals["label"] = label
    env.globals["figure"] = figure
    return env


_ENV = _environment()


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    template = _ENV.from_string(source)
    # Jinja gives a template its globals as a ChainMap over the environment's, and copies them into every render's
    # context key by key, in Python; ours are set once above, so a plain dict of them serves (copied in C).
    template.globals = dict(template.globals)
    return template


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    """HTML, every interpolated value escaped."""

    @property
    def text(self) -> str:
        """A plain-text rendering of the body, for the email's text part."""
        without_tags = re.sub(r"<br\s*/?>|</p>|</li>|</h\d>", "\n", self.body)
        return html.unescape(re.sub(r"<[^>]+>", "", without_tags)).strip()

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "body": self.body}


class TemplateRefused(ValueError):
    """The template does not compile or does not render against a sample event; `field` says which part."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def render(subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """Render both parts; the subject is one line of plain text (escaped while rendering, then unescaped)."""
    rendered_subject = Markup(_compile(subject).render(context)).unescape()
    return Rendered(subject=" ".join(rendered_subject.split()), body=_compile(body).render(context))


def check(subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """Render against a sample, raising `TemplateRefused` naming the part and the line that fails."""
    parts = {"subject": subject, "body": body}
    for field, source in parts.items():
        try:
            _compile(source)
        except TemplateSyntaxError as exc:
            raise TemplateRefused(field, f"line {exc.lineno}: {exc.message}") from exc
    for field, source in parts.items():
        try:
            _compile(source).render(context)
        except TemplateError as exc:
            raise TemplateRefused(field, f"does not render with the sample event: {exc}") from exc
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            raise TemplateRefused(field, f"does not render with the sample event: {type(exc).__name__}: {exc}") from exc
    rendered = render(subject, body, context)
    if not rendered.subject:
        raise TemplateRefused("subject", "renders to an empty subject")
    return rendered


def complete_data(data: dict[str, Any], validated: BaseModel | None) -> dict[str, Any]:
    """The event's data with every field of its catalog model present (None where it carries nothing), so a
    template may test an optional field; data that did not fit its model (`validated` None) is passed on as it is."""
    return data if validated is None else {**data, **validated.model_dump(mode="json")}


def _validated(event_type: str, data: dict[str, Any]) -> BaseModel | None:
    model = BY_TYPE.get(event_type)
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValueError:
        return None


def context_for(
    *,
    event: dict[str, Any],
    center: dict[str, Any] | None,
    locale: str = DEFAULT_LOCALE,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a template sees: `event` (the envelope), `data`, `center` (the projection), `center_name` and
    `center_ref` (the name with the registry code, which tells apart centers of one name).

    `data` is the event's data already completed (`complete_data`), when the caller has it: rendering one event
    in every locale validates it once."""
    if data is None:
        given = event.get("data") or {}
        data = complete_data(given, _validated(str(event.get("type") or ""), given))
    center = center or {}
    if locale == "en":
        name = data.get("name_en") or center.get("name_en") or data.get("name_zh") or center.get("name_zh")
    else:
        name = data.get("name_zh") or center.get("name_zh")
    name = name or data.get("center_id") or ""
    code = data.get("code") or center.get("code")
    reference = name if not code else (f"{name} ({code})" if locale == "en" else f"{name}（{code}）")
    envelope = {key: event.get(key) for key in ("id", "type", "source", "subject", "time")}
    return {
        "event": envelope,
        "data": data,
        "center": center,
        "center_name": name,
        "center_ref": reference,
        "locale": locale,
    }
