"""The committed contract: each service's OpenAPI document and each event's JSON Schema under `shared/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tic_shared.events.schemas import CONTRACT_DIR, asyncapi_document, render, write_event_schemas

SERVICES = ("registry", "evaluation", "funding", "notification")
OPENAPI_DIR = CONTRACT_DIR / "openapi"


def openapi_document(service: str) -> dict[str, Any]:
    """What the service serves at /openapi.json, built without starting it."""
    module = __import__(f"{service}.main", fromlist=["create_app"])
    document: dict[str, Any] = module.create_app().openapi()
    return json.loads(json.dumps(document))


def openapi_path(service: str) -> Path:
    return OPENAPI_DIR / f"{service}.json"


def receivers() -> dict[str, list[str]]:
    """Service → the event types its consumers handle, as its app registers them."""
    found = {}
    for service in SERVICES:
        module = __import__(f"{service}.main", fromlist=["create_app"])
        found[service] = module.create_app().state.handlers.event_types()
    return found


def asyncapi() -> dict[str, Any]:
    return asyncapi_document(receivers())


def write_contract() -> list[Path]:
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = openapi_path(service)
        path.write_text(render(openapi_document(service)), encoding="utf-8")
        written.append(path)
    return written + write_event_schemas(receivers=receivers())
