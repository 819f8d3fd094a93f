"""Tables of the registry schema."""

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Uuid, func

from tic_shared.db import service_metadata
from tic_shared.messaging import messaging_tables

metadata = service_metadata("registry")
messaging = messaging_tables(metadata)

centers = Table(
    "centers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("tier", String(40), nullable=False),
    Column("status", String(40), nullable=False),
    Column("district", String(40), nullable=False),
    Column("field", String(40), nullable=False),
    Column("code", String(40), unique=True),
    Column("approved_on", Date),
    Column("sequence", Integer, nullable=False, server_default="0", comment="events emitted so far"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
