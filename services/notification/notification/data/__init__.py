"""The package's data files: rules (`rules.toml`), seed templates (`templates/<locale>.toml`), sample events."""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from notification.domain.templates import LOCALES


@cache
def package_templates() -> dict[tuple[str, str], dict[str, str]]:
    """(event name, locale) -> {subject, body}, as shipped; seeded into the database on startup."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for locale in LOCALES:
        text = resources.files("notification").joinpath(f"data/templates/{locale}.toml").read_text(encoding="utf-8")
        for name, parts in tomllib.loads(text).items():
            found[(name, locale)] = {"subject": parts["subject"].strip(), "body": parts["body"].strip() + "\n"}
    return found


@cache
def samples() -> dict[str, dict[str, Any]]:
    """Event name -> {data, center}: a plausible event of each type, to preview and to check templates with."""
    text = resources.files("notification").joinpath("data/samples.json").read_text(encoding="utf-8")
    loaded: dict[str, dict[str, Any]] = json.loads(text)
    return loaded
