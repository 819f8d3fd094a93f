"""Typed records of the notification tables that the use cases read: what a query returns, named and typed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """A webhook subscription without its secret (the secret leaves the database only to sign a request)."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    status: str
    paused_reason: str | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    failing_since: datetime | None
    pause_warned_at: datetime | None
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> SubscriptionRecord:
        return cls(**row._mapping)


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    event_name: str
    locale: str
    subject: str
    body: str
    version: int
    source: str
    updated_by: str | None
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> TemplateRecord:
        return cls(**row._mapping)
