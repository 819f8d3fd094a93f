"""Tables of the notification schema: the recipients projection, templates, subscriptions, deliveries, inbox."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB

from tic_shared.audit import AuditedTable
from tic_shared.db import service_metadata
from tic_shared.messaging import messaging_tables

metadata = service_metadata("notification")
messaging = messaging_tables(metadata)

received_events = Table(
    "received_events",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("subject", String(100), index=True),
    Column(
        "payload",
        JSON,
        nullable=False,
        comment="the CloudEvent as JSON text, kept as written: each webhook of the event sends this text as its body",
    ),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

centers = Table(
    "centers",
    metadata,
    Column("center_id", Uuid, primary_key=True),
    Column("sequence", Integer, nullable=False, comment="the last registry sequence applied"),
    Column("code", String(50)),
    Column("name_zh", String(300)),
    Column("name_en", String(500)),
    Column("tier", String(50), nullable=False),
    Column("status", String(50), nullable=False),
    Column("district", String(100), nullable=False),
    Column("recommender", String(300)),
    Column("lead_unit", JSONB),
    Column("contacts", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("contacts_known", Boolean, comment="an event carrying the contacts was applied"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    comment="Who a center's events concern, projected from registry events (never read from registry).",
)

templates = Table(
    "templates",
    metadata,
    Column("event_name", String(100), nullable=False),
    Column("locale", String(10), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("source", String(20), nullable=False, comment="package (seeded) or api (edited)"),
    Column("updated_by", String(200)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("event_name", "locale"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", ARRAY(String(200)), nullable=False),
    Column("description", String(500)),
    Column("secret", String(200), nullable=False, comment="HMAC key; never returned after creation"),
    Column("status", String(20), nullable=False, comment="active, paused or deleted"),
    Column("paused_reason", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("failing_since", DateTime(timezone=True), comment="first failure since the last success"),
    Column("pause_warned_at", DateTime(timezone=True), comment="when the owner was told it will pause"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("channel", String(20), nullable=False, comment="email, webhook or inbox"),
    Column("recipient", String(400), nullable=False, comment="an address, subscription:<id> or an inbox audience"),
    Column("subscription_id", Uuid, ForeignKey("subscriptions.id")),
    Column("locale", String(10)),
    Column("content", JSONB, comment="the rendered message (email)"),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0"), comment="since creation or replay"),
    Column("total_attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("claim_token", Uuid),
    Column("claimed_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("rules_version", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
    Column("dead_lettered_at", DateTime(timezone=True)),
    Column("replays", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("event_id", "channel", "recipient", name="uq_deliveries_event_channel_recipient"),
    Index(
        "ix_deliveries_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'retrying', 'sending')")
    ),
    Index("ix_deliveries_created", "created_at", "id"),
    Index("ix_deliveries_recipient", "recipient"),
    Index("ix_deliveries_subscription", "subscription_id", postgresql_where=text("subscription_id IS NOT NULL")),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("delivery_id", Uuid, ForeignKey("deliveries.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False, comment="the delivery's total_attempts at the time"),
    Column("ok", Boolean, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("http_status", Integer),
    Column("error", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The delivery log is a hash chain per delivery (`tic audit verify`).
ATTEMPTS = AuditedTable(
    delivery_attempts,
    chain="delivery_id",
    content=("delivery_id", "attempt", "ok", "started_at", "latency_ms", "http_status", "error"),
)
AUDITED = (ATTEMPTS,)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("content", JSONB, nullable=False, comment="{locale: {subject, body}}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    comment="An event's message as the inbox shows it, rendered once for every audience it reaches.",
)

inbox_items = Table(
    "inbox_items",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, ForeignKey("inbox_messages.event_id"), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("recipient", String(400), nullable=False, comment="the audience, as in deliveries.recipient"),
    Column("user_subject", String(200), comment="one person (token subject), or NULL for a role audience"),
    Column("role", String(50)),
    Column("district", String(100)),
    Column("center_id", Uuid),
    Column("department", String(100), comment="a plan's department: only its department officers read it"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("event_id", "recipient", name="uq_inbox_items_event_recipient"),
    Index("ix_inbox_items_role", "role", "created_at", postgresql_where=text("role IS NOT NULL")),
    Index("ix_inbox_items_user", "user_subject", "created_at", postgresql_where=text("user_subject IS NOT NULL")),
)

inbox_reads = Table(
    "inbox_reads",
    metadata,
    Column("item_id", Uuid, ForeignKey("inbox_items.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("item_id", "subject"),
)
