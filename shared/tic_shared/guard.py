"""What every request passes before a route sees it, and every response carries: a body size limit, no control
characters in the path, the query or a JSON body, no lone surrogate in a JSON body, and the security headers.

PostgreSQL refuses a NUL in text (a 500 deep in a query); a control character in a name or an address is
a mistake to name at the door, not a value to store. A JSON string may escape half of a UTF-16 surrogate pair
(`"\ud800"`) that no other half follows: that is not a character, cannot be written as UTF-8, and failed every
route that met it (even pydantic's message about it). Checking here, once, covers every route and filter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tic_shared.problems import problem_body

# C0 controls but tab, line feed and carriage return (which multi-line text may hold), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# In a path or a query there is no multi-line text: any control character is refused.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A JSON body can only carry a control character or a surrogate escaped (json.loads refuses a raw control
# character, and a raw surrogate is not UTF-8); a cheap look first. An escaped pair decodes to one character.
_ESCAPED = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\[bf]|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")

# What is refused at the door, by the type its error carries.
REFUSALS = {
    "control_character": "control characters (such as NUL) are not allowed",
    "lone_surrogate": "half of a UTF-16 surrogate pair without its other half is not a character",
}

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
NO_STORE = (b"cache-control", b"no-store")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _refused_text(text: str) -> str | None:
    """Why a JSON string or key is refused (a key of `REFUSALS`), or None."""
    if _CONTROL.search(text):
        return "control_character"
    if _SURROGATE.search(text):
        return "lone_surrogate"
    return None


def _refused_in_json(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        if refusal := _refused_text(value):
            yield path, refusal
    elif isinstance(value, dict):
        for key, item in value.items():
            name = key.encode("utf-8", "backslashreplace").decode()  # a half pair escaped: the answer can be written
            if refusal := _refused_text(key):
                yield (*path, name), refusal
            yield from _refused_in_json(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refused_in_json(item, (*path, str(index)))


def refused_fields(scope: Scope, body: bytes) -> dict[str, str]:
    """The inputs (`path`, `query.<name>`, `body.<a>.<b>`) that hold a character refused at the door, each with why
    (a key of `REFUSALS`): a control character anywhere, or half of a surrogate pair in a JSON body."""
    fields: dict[str, str] = {}
    if _ANY_CONTROL.search(scope.get("path", "")):
        fields["path"] = "control_character"
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            if _ANY_CONTROL.search(name) or _ANY_CONTROL.search(value):
                fields.setdefault(f"query.{name}", "control_character")
    if body and _ESCAPED.search(body):
        try:
            document = json.loads(body)
        except ValueError:
            return fields  # not JSON: the route's own validation names what is wrong with it
        for path, refusal in _refused_in_json(document, ()):
            fields.setdefault(".".join(("body", *path)), refusal)
    return fields


class RequestGuardMiddleware:
    """Refuses too large a body (413) and control characters (422); adds the security headers to every answer."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                # Every API answer may carry personal data (names, phones, amounts): no cache keeps a copy.
                if api and NO_STORE[0] not in present:
                    headers.append(NO_STORE)
                if message["status"] >= 500 and b"connection" not in present:
                    headers.append((b"connection", b"close"))
                message["headers"] = headers
            await send(message)

        body = b""
        if scope["method"] in _BODY_METHODS:
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                await self._too_large(scope, send_with_headers)
                return
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    await self._too_large(scope, send_with_headers)
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)

        fields = refused_fields(scope, body)
        if fields:
            errors = [{"field": field, "message": REFUSALS[kind], "type": kind} for field, kind in fields.items()]
            await _send_problem(
                scope, send_with_headers, 422, "validation-error", f"invalid input: {', '.join(fields)}", errors=errors
            )
            return

        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send_with_headers)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _send_problem(
            scope,
            send,
            413,
            "content-too-large",
            f"body is larger than the {self.max_body_bytes} bytes this service accepts",
            max_body_bytes=self.max_body_bytes,
            headers=[(b"connection", b"close")],
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_problem(
    scope: Scope,
    send: Send,
    status: int,
    slug: str,
    detail: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extensions: Any,
) -> None:
    payload = json.dumps(
        problem_body(status, slug, detail, instance=scope.get("path", ""), **extensions), ensure_ascii=False
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
