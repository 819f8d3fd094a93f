"""Fixtures of the offline deployment checks: the chart rendered with each values file, as objects."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "tic-platform"
EXAMPLES = REPO / "deploy" / "helm" / "examples"
RELEASE = "tic-platform"
NAMESPACE = "tic"
SERVICES = ("registry", "evaluation", "funding", "notification")

# The values files the chart is released with: name -> overrides on top of values.yaml.
VALUES_FILES: dict[str, Path | None] = {
    "default": None,
    "production": EXAMPLES / "values-production.yaml",
}

Manifest = dict[str, Any]
Renderer = Callable[[dict[str, Any] | None], list[Manifest]]


def load_values(name: str) -> dict[str, Any]:
    path = VALUES_FILES[name]
    return {} if path is None else yaml.safe_load(path.read_text())


def render_chart(values: dict[str, Any] | None = None) -> list[Manifest]:
    """Validate values against values.schema.json as an install would, render, and parse every object."""
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(values or {})
        files = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects: list[Manifest] = []
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


@pytest.fixture(scope="session")
def render() -> Renderer:
    return render_chart


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    """Every values file -> the objects the chart renders with it."""
    return {name: render_chart(load_values(name)) for name in VALUES_FILES}


@pytest.fixture(scope="session", params=list(VALUES_FILES))
def manifests(request: pytest.FixtureRequest, rendered: dict[str, list[Manifest]]) -> list[Manifest]:
    return rendered[request.param]
