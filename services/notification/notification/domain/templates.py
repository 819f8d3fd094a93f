"""Message templates: Jinja2, sandboxed and autoescaped, strict about undefined names; refused when they fail."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"


def yuan(fen: Any) -> str:
    """Money travels in fen; people read yuan: 123456789 -> 1,234,567.89."""
    value = int(fen)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _environment() -> SandboxedEnvironment:
    # Sandboxed: templates are edited through the API; autoescaped: event data is not trusted HTML.
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["yuan"] = yuan
    return env


_ENV = _environment()


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    return _ENV.from_string(source)


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


def context_for(
    *, event: dict[str, Any], center: dict[str, Any] | None, locale: str = DEFAULT_LOCALE
) -> dict[str, Any]:
    """What a template sees: `event` (the envelope), `data`, `center` (the projection) and `center_name`."""
    data = event.get("data") or {}
    center = center or {}
    if locale == "en":
        name = data.get("name_en") or center.get("name_en") or data.get("name_zh") or center.get("name_zh")
    else:
        name = data.get("name_zh") or center.get("name_zh")
    envelope = {key: event.get(key) for key in ("id", "type", "source", "subject", "time")}
    return {
        "event": envelope,
        "data": data,
        "center": center,
        "center_name": name or data.get("center_id") or "",
        "locale": locale,
    }
