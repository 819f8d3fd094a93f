"""Tables of the notification schema."""

from sqlalchemy import Column, DateTime, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

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
    Column("payload", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
