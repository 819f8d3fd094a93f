"""Money is integer fen everywhere (POLICY, preamble): BIGINT columns, integer `*_fen` fields in JSON and events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, MetaData

from evaluation.store.tables import metadata as evaluation_metadata
from funding.store.tables import metadata as funding_metadata
from registry.store.tables import metadata as registry_metadata

CONTRACT = Path(__file__).resolve().parents[1] / "shared" / "contract"
SCHEMAS = sorted(CONTRACT.glob("events/*.json")) + [
    CONTRACT / "openapi" / f"{service}.json" for service in ("registry", "evaluation", "funding")
]


def _fen_properties(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property named `*_fen` of every object schema under `node`, with where it sits."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            found += [(f"{where}.{name}", schema) for name, schema in properties.items() if name.endswith("_fen")]
        for key, value in node.items():
            found += _fen_properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += _fen_properties(item, f"{where}[{i}]")
    return found


def _json_types(schema: dict[str, Any]) -> set[str]:
    if "anyOf" in schema:
        return {t for option in schema["anyOf"] for t in _json_types(option)}
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


@pytest.mark.parametrize(
    "metadata", [registry_metadata, evaluation_metadata, funding_metadata], ids=["registry", "evaluation", "funding"]
)
def test_money_is_stored_as_bigint_fen(metadata: MetaData) -> None:
    money = [column for table in metadata.tables.values() for column in table.columns if column.name.endswith("_fen")]
    wrong = [f"{column.table.name}.{column.name}" for column in money if not isinstance(column.type, BigInteger)]
    assert wrong == []


def test_money_fields_in_the_api_and_the_events_are_integer_fen() -> None:
    found = [
        (f"{path.name}{where}", schema)
        for path in SCHEMAS
        for where, schema in _fen_properties(json.loads(path.read_text(encoding="utf-8")))
    ]
    assert found, "no *_fen field found: the contract moved?"
    wrong = [where for where, schema in found if _json_types(schema) - {"null"} != {"integer"}]
    assert wrong == []
