"""Tables of the funding schema: the projections it keeps, grants, budgets, the ledger (专账) and clawbacks."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
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

metadata = service_metadata("funding")
messaging = messaging_tables(metadata)

# The registry's centers as far as funding needs them, kept from registry events (never read from its schema).
centers = Table(
    "centers",
    metadata,
    Column("center_id", Uuid, primary_key=True),
    Column("code", String(60)),
    Column("name_zh", String(200)),
    Column("tier", String(40), nullable=False),
    Column("status", String(40), nullable=False),
    Column("district", String(40), nullable=False),
    Column("jurisdiction", String(40), comment="from the district, by funding/data/jurisdictions.toml"),
    Column("lead_unit_type", String(40)),
    Column("approved_on", Date),
    Column("sequence", Integer, nullable=False, comment="the last registry sequence applied"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_centers_district", "district"),
    Index("ix_centers_jurisdiction", "jurisdiction"),
)

# The grades of the centers' evaluations, kept from evaluation events.
grades = Table(
    "grades",
    metadata,
    Column("center_id", Uuid, nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("grade", String(20), nullable=False),
    Column("evaluation_id", Uuid, nullable=False),
    Column("revision", Integer, nullable=False, server_default=text("1"), comment="the result's revision"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("center_id", "year", "kind"),
)

grants = Table(
    "grants",
    metadata,
    Column("grant_id", Uuid, primary_key=True),
    Column("n", BigInteger, Identity(), nullable=False, unique=True, comment="list order"),
    Column("center_id", Uuid, nullable=False),
    Column("policy_code", String(60), nullable=False),
    Column("jurisdiction", String(40), nullable=False),
    Column("funding_year", Integer, nullable=False),
    Column("budget_year", Integer, nullable=False),
    Column("trigger", String(40), comment="the award event, for one-off award policies"),
    Column("status", String(30), nullable=False),
    Column("verified_investment_fen", BigInteger),
    Column("overlapping_grant_fen", BigInteger),
    Column("amount_fen", BigInteger),
    Column("trace_id", Uuid),
    Column("trace", JSONB, comment="the calculator's inputs and steps"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("calculated_at", DateTime(timezone=True)),
    Column("calculated_by", String(200)),
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", String(200)),
    Column("disbursed_at", DateTime(timezone=True)),
    Column("disbursed_by", String(200)),
    Column("stopped_at", DateTime(timezone=True)),
    Column("stopped_from", String(30), comment="the state a stop interrupted"),
    CheckConstraint("funding_year >= 1", name="funding_year_positive"),
    CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_not_negative"),
    CheckConstraint("verified_investment_fen IS NULL OR verified_investment_fen >= 0", name="investment_not_negative"),
    CheckConstraint("overlapping_grant_fen IS NULL OR overlapping_grant_fen >= 0", name="overlap_not_negative"),
    Index(
        "uq_grants_year",
        "center_id",
        "policy_code",
        "funding_year",
        unique=True,
        postgresql_where=text("trigger IS NULL"),
    ),
    Index(
        "uq_grants_award",
        "center_id",
        "policy_code",
        "trigger",
        unique=True,
        postgresql_where=text("trigger IS NOT NULL"),
    ),
    Index("ix_grants_center", "center_id"),
    Index("ix_grants_budget", "jurisdiction", "budget_year", "status"),
)

budgets = Table(
    "budgets",
    metadata,
    Column("jurisdiction", String(40), nullable=False),
    Column("year", Integer, nullable=False),
    Column("budget_fen", BigInteger, nullable=False),
    Column(
        "committed_fen",
        BigInteger,
        nullable=False,
        server_default=text("0"),
        comment="the amounts of the year's approved and disbursed grants, kept by approve and stop",
    ),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("jurisdiction", "year"),
    CheckConstraint("budget_fen >= 0", name="budget_not_negative"),
)

# 专账: every movement of a center's subsidy money, one row each; sums are computed, never stored.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("n", BigInteger, Identity(), nullable=False, unique=True, comment="list order"),
    Column("center_id", Uuid, nullable=False),
    Column("kind", String(20), nullable=False, comment="disbursement | expenditure | repayment"),
    Column("amount_fen", BigInteger, nullable=False),
    Column("grant_id", Uuid, comment="the grant a disbursement pays"),
    Column("clawback_id", Uuid, comment="the clawback a repayment settles"),
    Column("category", String(40), comment="an expenditure's category"),
    Column("compliant", Boolean, comment="an expenditure's category is an allowed use of subsidy"),
    Column("description", Text),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("kind IN ('disbursement', 'expenditure', 'repayment')", name="kind_known"),
    Index("ix_ledger_entries_center", "center_id", "kind"),
    Index("uq_ledger_entries_disbursement", "grant_id", unique=True, postgresql_where=text("kind = 'disbursement'")),
)

clawbacks = Table(
    "clawbacks",
    metadata,
    Column("clawback_id", Uuid, primary_key=True),
    Column("n", BigInteger, Identity(), nullable=False, unique=True, comment="list order"),
    Column(
        "center_id",
        Uuid,
        nullable=False,
        comment="a center is clawed back once per ending; a reversed clawback makes room for a later one",
    ),
    Column("reason_event_id", Uuid, nullable=False),
    Column("reason_event_type", String(200), nullable=False),
    Column("reason", Text),
    Column("disbursed_fen", BigInteger, nullable=False),
    Column("compliant_spent_fen", BigInteger, nullable=False),
    Column("non_compliant_spent_fen", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("repaid_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("status", String(20), nullable=False, comment="outstanding | repaid | nothing_due | reversed"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("ordered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("repaid_at", DateTime(timezone=True)),
    Column("reversed_by_event_id", Uuid, comment="the CenterReinstated that reversed it"),
    Column("reversed_at", DateTime(timezone=True)),
    CheckConstraint("amount_fen >= 0 AND repaid_fen >= 0 AND repaid_fen <= amount_fen", name="amounts_coherent"),
    Index("ix_clawbacks_status", "status"),
    Index("uq_clawbacks_live_center", "center_id", unique=True, postgresql_where=text("status <> 'reversed'")),
)

# 专账 as a hash chain per center (`tic audit verify`).
LEDGER = AuditedTable(
    ledger_entries,
    chain="center_id",
    content=(
        "entry_id",
        "center_id",
        "kind",
        "amount_fen",
        "grant_id",
        "clawback_id",
        "category",
        "compliant",
        "description",
        "occurred_on",
        "recorded_by",
        "recorded_at",
    ),
    order="n",
)
AUDITED = (LEDGER,)
