"""Tables every service keeps in its own schema: outbox, inbox, dead letters, idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    dead_letters: Table
    idempotency_keys: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Declare the three tables on a service's metadata (its schema)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("subject", String(200), nullable=False, comment="NATS subject"),
        Column("event_type", String(200), nullable=False),
        Column("aggregate_id", String(100)),
        Column("aggregate_seq", Integer),
        Column("payload", JSONB, nullable=False, comment="the whole CloudEvent"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    dead_letters = Table(
        "dead_letters",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("consumer", String(100), nullable=False),
        Column("stream", String(100), nullable=False),
        Column("stream_seq", BigInteger),
        Column("subject", String(200), nullable=False),
        Column("event_id", Uuid),
        Column("event_type", String(200)),
        Column("payload", Text, nullable=False, comment="the message as received"),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("replayed_at", DateTime(timezone=True)),
        Column("replay_error", Text),
        Index("ix_dead_letters_open", "id", postgresql_where=text("replayed_at IS NULL")),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("owner", String(200), nullable=False, comment="the token subject that sent the key"),
        Column("key", String(200), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("fingerprint", String(64), nullable=False, comment="sha256 of method, path and body"),
        Column("status_code", Integer),
        Column("response", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("owner", "key"),
    )
    return MessagingTables(outbox=outbox, inbox=inbox, dead_letters=dead_letters, idempotency_keys=idempotency_keys)


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's relay."""
    return f"{schema}_outbox"
