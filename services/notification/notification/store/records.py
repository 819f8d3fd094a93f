"""Typed records of the notification tables that the use cases read: what a query returns, named and typed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tic_shared.records import Record


@dataclass(frozen=True, slots=True)
class SubscriptionRecord(Record):
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


@dataclass(frozen=True, slots=True)
class Candidate(Record):
    """A subscription that takes new deliveries, as the fan-out matches it: its id and the event types it wants."""

    id: uuid.UUID
    event_types: list[str]


@dataclass(frozen=True, slots=True)
class TemplateRecord(Record):
    event_name: str
    locale: str
    subject: str
    body: str
    version: int
    source: str
    updated_by: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ReceivedRecord(Record):
    """An event as it arrived (also the body a webhook sends)."""

    event_id: uuid.UUID
    event_type: str
    subject: str | None
    received_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeliveryRecord(Record):
    """One message to one recipient on one channel, with where its sending stands."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    channel: str
    recipient: str
    subscription_id: uuid.UUID | None
    locale: str | None
    content: dict[str, Any] | None
    status: str
    attempts: int
    total_attempts: int
    next_attempt_at: datetime
    claim_token: uuid.UUID | None
    claimed_until: datetime | None
    last_error: str | None
    rules_version: int | None
    created_at: datetime
    delivered_at: datetime | None
    dead_lettered_at: datetime | None
    replays: int


@dataclass(frozen=True, slots=True)
class AttemptRecord(Record):
    """One try at sending a delivery: a link of its tamper-evident chain."""

    id: int
    delivery_id: uuid.UUID
    attempt: int
    ok: bool
    started_at: datetime
    latency_ms: int
    http_status: int | None
    error: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class InboxItemRecord(Record):
    """An inbox item as one reader sees it: `read_at` is when that reader read it, if they did."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    recipient: str
    user_subject: str | None
    role: str | None
    district: str | None
    center_id: uuid.UUID | None
    department: str | None
    content: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProjectedCenter(Record):
    """A center as notification knows it from registry events: who its events concern."""

    center_id: uuid.UUID
    sequence: int
    code: str | None
    name_zh: str | None
    name_en: str | None
    tier: str
    status: str
    district: str
    recommender: str | None
    lead_unit: dict[str, Any] | None
    contacts: list[dict[str, Any]]
    contacts_known: bool | None

    def context(self) -> dict[str, Any]:
        """The center as templates see it (`center.*`), its id as text. Not copied: a template (sandboxed) reads it,
        and the record lives for one event's fan-out."""
        return {**self.fields(), "center_id": str(self.center_id)}
