"""JSON Schemas of the events, one file per event type, as committed under `shared/contract/events/`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tic_shared.events.catalog import CATALOG
from tic_shared.events.envelope import CloudEvent, EventData
from tic_shared.streams import stream_name

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "contract"
EVENTS_DIR = CONTRACT_DIR / "events"


ENVELOPE_REQUIRED = ("specversion", "id", "source", "type", "time", "datacontenttype", "data")


def event_schema(model: type[EventData]) -> dict[str, Any]:
    """The whole message of one event type: the envelope with `type` fixed and `data` typed."""
    envelope = CloudEvent.model_json_schema()
    data = model.model_json_schema(ref_template="#/$defs/{model}")
    defs = {**envelope.pop("$defs", {}), **data.pop("$defs", {})}
    envelope["properties"]["type"] = {"const": model.ce_type(), "title": "Type"}
    envelope["properties"]["data"] = data
    envelope["properties"]["subject"]["description"] = "The aggregate the event is about (a center id)."
    # The model defaults these when it builds an event, but every event on the wire carries them (CloudEvents
    # requires id, source, specversion and type; we always send time and datacontenttype): a message
    # without them is not one of ours.
    envelope["required"] = sorted({*envelope.get("required", []), *ENVELOPE_REQUIRED})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:tic:event:{model.ce_type()}",
        "title": model.ce_type(),
        "description": (model.__doc__ or model.event_name).strip().splitlines()[0],
        "x-nats-subject": model.nats_subject(),
        **envelope,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def all_event_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema, for every event in the catalog."""
    return {f"{model.ce_type()}.json": event_schema(model) for model in CATALOG}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def asyncapi_document(receivers: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """AsyncAPI 3.0: one channel per NATS subject, its message the event's committed JSON Schema; who sends it
    and, from `receivers` (service → the event types its consumers handle), who receives it."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for model in CATALOG:
        name = f"{model.producer}.{model.event_name}"
        channels[name] = {
            "address": model.nats_subject(),
            "description": f"Stream {stream_name(model.producer)}; Nats-Msg-Id is the event id.",
            "messages": {
                model.event_name: {
                    "name": model.event_name,
                    "title": model.ce_type(),
                    "contentType": "application/cloudevents+json",
                    "payload": {"$ref": f"events/{model.ce_type()}.json"},
                }
            },
        }
        operations[f"publish.{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"The {model.producer} service publishes {model.event_name} through its outbox",
        }
    by_type = {model.ce_type(): f"{model.producer}.{model.event_name}" for model in CATALOG}
    for service, event_types in sorted((receivers or {}).items()):
        for event_type in sorted(event_types):
            name = by_type[event_type]
            operations[f"receive.{service}.{name}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{name}"},
                "summary": f"The {service} service consumes {name.split('.')[1]} (durable consumer {service}, "
                "inbox: applied once)",
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "TIC Platform events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 (structured JSON) on NATS JetStream, one stream per producer.",
        },
        "servers": {"nats": {"host": "nats:4222", "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
    }


def write_event_schemas(
    directory: Path = EVENTS_DIR, receivers: Mapping[str, Iterable[str]] | None = None
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_event_schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    asyncapi = CONTRACT_DIR / "asyncapi.json"
    asyncapi.write_text(render(asyncapi_document(receivers)), encoding="utf-8")
    return [*written, asyncapi]
