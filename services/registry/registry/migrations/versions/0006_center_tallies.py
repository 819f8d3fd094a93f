"""Counts of centers without scanning them: a tally per status, tier, field and district, kept by the database.

Counts by status, tier, field or district (and filtered by them) over 100,000 centers read every row; the
tallies are at most a few thousand rows whatever the register's size. Triggers keep them in the transaction of
every insert, update and delete of centers, once per statement (a bulk load is one aggregate, not one per
row), taking the tally rows' locks in key order so that two statements never wait on each other in a circle.
The existing centers are tallied here, while the triggers' creation holds off every writer.

Program targets also count the active centers of a tier recognised since a day: an index of active centers by
tier and the day they took it finds those without reading the others.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

S = "registry"
KEY = "status, tier, field, district"


def _tally(name: str, changes: str) -> str:
    """A trigger function that adds the `changes` (rows of the key and a signed count) to the tallies."""
    return f"""
        CREATE FUNCTION {S}.{name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {S}.center_tallies AS t ({KEY}, n)
            SELECT {KEY}, sum(d) FROM ({changes}) AS c
            GROUP BY {KEY} HAVING sum(d) <> 0 ORDER BY {KEY}
            ON CONFLICT ({KEY}) DO UPDATE SET n = t.n + excluded.n;
            RETURN NULL;
        END $$
    """


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE {S}.center_tallies (
            status varchar(40) NOT NULL,
            tier varchar(40) NOT NULL,
            field varchar(40) NOT NULL,
            district varchar(40) NOT NULL,
            n bigint NOT NULL,
            CONSTRAINT pk_center_tallies PRIMARY KEY ({KEY})
        )
        """
    )
    op.execute(f"COMMENT ON TABLE {S}.center_tallies IS 'how many centers have each status, tier, field, district'")
    added = f"SELECT {KEY}, 1 AS d FROM added"
    removed = f"SELECT {KEY}, -1 AS d FROM removed"
    op.execute(_tally("tally_added", added))
    op.execute(_tally("tally_changed", f"{added} UNION ALL {removed}"))
    op.execute(_tally("tally_removed", removed))
    op.execute(
        f"CREATE TRIGGER tally_added AFTER INSERT ON {S}.centers REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {S}.tally_added()"
    )
    op.execute(
        f"CREATE TRIGGER tally_changed AFTER UPDATE ON {S}.centers REFERENCING OLD TABLE AS removed "
        f"NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {S}.tally_changed()"
    )
    op.execute(
        f"CREATE TRIGGER tally_removed AFTER DELETE ON {S}.centers REFERENCING OLD TABLE AS removed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {S}.tally_removed()"
    )
    op.execute(f"INSERT INTO {S}.center_tallies ({KEY}, n) SELECT {KEY}, count(*) FROM {S}.centers GROUP BY {KEY}")

    op.execute(
        f"CREATE INDEX ix_centers_active_tier_since ON {S}.centers (tier, tier_since)"
        " WHERE status IN ('building', 'operating')"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {S}.ix_centers_active_tier_since")
    for name in ("tally_removed", "tally_changed", "tally_added"):
        op.execute(f"DROP TRIGGER {name} ON {S}.centers")
        op.execute(f"DROP FUNCTION {S}.{name}()")
    op.execute(f"DROP TABLE {S}.center_tallies")
