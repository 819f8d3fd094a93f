"""Tables of the registry schema: centers, their objections, their append-only history, code counters."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from tic_shared.audit import AuditedTable
from tic_shared.db import service_metadata
from tic_shared.messaging import messaging_tables

metadata = service_metadata("registry")

# Text search looks in one stored column instead of five: the names applied for and given, and the lead unit's.
SEARCH_TEXT = (
    "lower(name_zh || ' ' || coalesce(name_en, '') || ' ' || coalesce(official_name_zh, '') || ' ' "
    "|| coalesce(official_name_en, '') || ' ' || lead_unit_name)"
)
messaging = messaging_tables(metadata)
# A live center's official name is its own: no two centers building or operating share one.
ACTIVE = ("building", "operating")
LIVE = f"status IN {ACTIVE}"

centers = Table(
    "centers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name_zh", String(200), nullable=False, comment="the name applied for"),
    Column("name_en", String(300)),
    Column("official_name_zh", String(200), comment="set on approval"),
    Column("official_name_en", String(300)),
    Column("tier", String(40), nullable=False),
    Column("status", String(40), nullable=False),
    Column("origin", String(40), nullable=False),
    Column("recommender", String(200)),
    Column("field", String(40), nullable=False),
    Column("industrial_chain", String(100), nullable=False),
    Column("district", String(40), nullable=False),
    Column("lead_unit_name", String(200), nullable=False),
    Column("lead_unit_credit_code", String(18), nullable=False),
    Column("lead_unit_type", String(40), nullable=False),
    Column("co_builders", JSONB, nullable=False, server_default="[]"),
    Column("contacts", JSONB, nullable=False, server_default="[]"),
    Column("plan", JSONB, nullable=False, server_default="[]", comment="the 7 sections of 001 attachment 2"),
    Column("targets", JSONB, nullable=False, server_default="{}", comment="the responsibility letter"),
    Column("governance", JSONB, nullable=False, server_default="[]"),
    Column("bases", JSONB, nullable=False, server_default="[]"),
    Column("independent_legal_person", Boolean, nullable=False, server_default="false"),
    Column("review", JSONB, comment="the expert panel's result"),
    Column("decision", JSONB, comment="the executive meeting's ruling"),
    Column("notice_starts_on", Date),
    Column("notice_ends_on", Date, comment="the first day approval is possible"),
    Column("code", String(40), unique=True),
    Column("document_no", String(100)),
    Column("approved_on", Date),
    Column("tier_since", Date, comment="approval or the last tier change: counts toward program targets"),
    Column("construction_start", Date),
    Column("construction_end", Date),
    Column("ended_on", Date, comment="cancelled or delisted on"),
    Column("end_reason", Text),
    Column("ended_from", String(40), comment="the state a delisting or cancellation ended"),
    Column("last_act", String(60), comment="the latest dated act on the record"),
    Column("last_act_on", Date, comment="its day: no later act is dated before it"),
    Column(
        "search_text",
        Text,
        Computed(SEARCH_TEXT, persisted=True),
        comment="every name, lower-cased, for text search",
    ),
    Column("version", Integer, nullable=False, server_default="1", comment="+1 on every change; the ETag"),
    Column("sequence", Integer, nullable=False, server_default="0", comment="events emitted so far"),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # `search_grams` (the names' two-character pieces, migration 0005) is left out of this table on purpose, so
    # that no query reads it back; the text search names it itself (store/centers.py).
    Index("ix_centers_listing", "created_at", "id"),
    Index("ix_centers_status_listing", "status", "created_at", "id"),
    Index("ix_centers_district_status_listing", "district", "status", "created_at", "id"),
    Index("ix_centers_tier", "tier"),
    Index("ix_centers_field", "field"),
    Index("ix_centers_lead_unit_credit_code", "lead_unit_credit_code"),
    Index("ux_centers_live_name_zh", "official_name_zh", unique=True, postgresql_where=text(LIVE)),
    Index("ux_centers_live_name_en", "official_name_en", unique=True, postgresql_where=text(LIVE)),
)

# How many centers each status, tier, field and district has, kept by triggers on centers (migration 0006):
# counts read these few rows instead of every center. Never written by the application.
center_tallies = Table(
    "center_tallies",
    metadata,
    Column("status", String(40), primary_key=True),
    Column("tier", String(40), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("district", String(40), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

objections = Table(
    "objections",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("center_id", Uuid, ForeignKey("registry.centers.id"), nullable=False, index=True),
    Column("summary", Text, nullable=False),
    Column("raised_by", String(200), nullable=False, comment="who objected (person or organisation)"),
    Column("raised_on", Date, nullable=False),
    Column("status", String(20), nullable=False, server_default="open", comment="open, upheld, dismissed"),
    Column("resolution_note", Text),
    Column("resolved_on", Date),
    Column("recorded_by", String(200), nullable=False),
    Column("resolved_by", String(200)),
)

history = Table(
    "center_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("center_id", Uuid, ForeignKey("registry.centers.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("on", Date, nullable=False, comment="the day the act happened"),
    Column("from_state", String(40)),
    Column("to_state", String(40), nullable=False),
    Column("reason", Text),
    Column("details", JSONB, nullable=False, server_default="{}"),
    Column("event_ids", JSONB, nullable=False, server_default="[]"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_center_history_center", "center_id", "id"),
)

# Each center's history is a hash chain (`tic audit verify`).
HISTORY = AuditedTable(
    history,
    chain="center_id",
    content=("center_id", "at", "actor", "action", "on", "from_state", "to_state", "reason", "details", "event_ids"),
)
AUDITED = (HISTORY,)

evaluation_failures = Table(
    "evaluation_failures",
    metadata,
    Column("evaluation_id", Uuid, primary_key=True),
    Column("center_id", Uuid, nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("consecutive_unqualified", Integer, nullable=False),
    Column("event_id", Uuid, nullable=False),
)

code_counters = Table(
    "code_counters",
    metadata,
    Column("jurisdiction", String(40), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
)
