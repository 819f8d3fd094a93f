"""Indexes that keep lists and search as fast over 100,000 centers as over 1,000.

- Text search: PostgreSQL's pg_trgm is not everywhere we run (the embedded server lacks it) and does not split
  Chinese into trigrams under a C locale anyway, so each center keeps the set of two-character pieces of its
  names (`search_grams`, generated from the same names as `search_text`) under a GIN index. A search of two
  characters or more asks for centers holding all of its pieces, and checks the text itself on those only.
- Lists by status, and by district and status, come newest first: indexes in that order let the database stop
  at the page's end instead of sorting every match.
- Deadlines look at active centers only, soonest first: a partial index in that order.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "registry"
NAMES = (
    "lower(name_zh || ' ' || coalesce(name_en, '') || ' ' || coalesce(official_name_zh, '') || ' ' "
    "|| coalesce(official_name_en, '') || ' ' || lead_unit_name)"
)


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {S}.bigrams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{{}}')
            FROM generate_series(1, length(t) - 1) AS i
        $$
        """
    )
    op.execute(
        f"ALTER TABLE {S}.centers ADD COLUMN search_grams text[] GENERATED ALWAYS AS ({S}.bigrams({NAMES})) STORED"
    )
    op.execute(f"CREATE INDEX ix_centers_search_grams ON {S}.centers USING gin (search_grams)")
    op.drop_index("ix_centers_status", "centers", schema=S)
    op.drop_index("ix_centers_district_status", "centers", schema=S)
    op.create_index("ix_centers_status_listing", "centers", ["status", "created_at", "id"], schema=S)
    op.create_index(
        "ix_centers_district_status_listing", "centers", ["district", "status", "created_at", "id"], schema=S
    )
    op.execute(
        f"CREATE INDEX ix_centers_active_deadlines ON {S}.centers (construction_end, id)"
        " WHERE status IN ('building', 'operating') AND construction_end IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_centers_active_deadlines", "centers", schema=S)
    op.drop_index("ix_centers_district_status_listing", "centers", schema=S)
    op.drop_index("ix_centers_status_listing", "centers", schema=S)
    op.create_index("ix_centers_district_status", "centers", ["district", "status"], schema=S)
    op.create_index("ix_centers_status", "centers", ["status"], schema=S)
    op.drop_index("ix_centers_search_grams", "centers", schema=S)
    op.execute(f"ALTER TABLE {S}.centers DROP COLUMN search_grams")
    op.execute(f"DROP FUNCTION {S}.bigrams(text)")
