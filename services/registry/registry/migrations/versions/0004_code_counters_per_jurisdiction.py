"""Registry code counters per jurisdiction and year.

Each jurisdiction numbers the centers it approves in a year from 1 (NB-TIC-2026-001, WH-TIC-2026-001). Until now
the registry accepted Ningbo's districts only, so every existing counter is Ningbo's.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "registry"


def upgrade() -> None:
    op.add_column(
        "code_counters",
        sa.Column("jurisdiction", sa.String(length=40), nullable=False, server_default="ningbo"),
        schema=S,
    )
    op.alter_column("code_counters", "jurisdiction", server_default=None, schema=S)
    op.drop_constraint("pk_code_counters", "code_counters", type_="primary", schema=S)
    op.create_primary_key("pk_code_counters", "code_counters", ["jurisdiction", "year"], schema=S)


def downgrade() -> None:
    # Only one jurisdiction's counters fit the old table: refuse rather than merge two sequences into one.
    bind = op.get_bind()
    others = bind.execute(sa.text("SELECT count(*) FROM registry.code_counters WHERE jurisdiction <> 'ningbo'"))
    if others.scalar_one():
        raise RuntimeError("code counters of jurisdictions other than Ningbo exist; the old table cannot hold them")
    op.drop_constraint("pk_code_counters", "code_counters", type_="primary", schema=S)
    op.drop_column("code_counters", "jurisdiction", schema=S)
    op.create_primary_key("pk_code_counters", "code_counters", ["year"], schema=S)
