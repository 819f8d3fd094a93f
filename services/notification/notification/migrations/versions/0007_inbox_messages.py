"""An event's inbox message is stored once, for all the audiences it reaches.

Every item of an event carried the same rendered message ({locale: {subject, body}}, about 1.2 kB): an approval
wrote it three times. The message moves to `inbox_messages`, one row per event; an item names its event, and the
message is read through it.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

S = "notification"


def upgrade() -> None:
    bind = op.get_bind()
    differing = bind.execute(
        sa.text(f"SELECT event_id FROM {S}.inbox_items GROUP BY event_id HAVING count(DISTINCT content) > 1 LIMIT 5")
    ).scalars()
    if found := list(differing):
        # Never the case (an event's items are written together, from one rendering); if it were, one message
        # per event would lose what the others said.
        raise RuntimeError(f"inbox items of one event carry different messages: events {found}")
    op.create_table(
        "inbox_messages",
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("content", JSONB, nullable=False, comment="{locale: {subject, body}}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("event_id", name="pk_inbox_messages"),
        comment="An event's message as the inbox shows it, rendered once for every audience it reaches.",
        schema=S,
    )
    op.execute(
        f"INSERT INTO {S}.inbox_messages (event_id, content, created_at)"
        f" SELECT DISTINCT ON (event_id) event_id, content, created_at FROM {S}.inbox_items"
        " ORDER BY event_id, created_at"
    )
    op.create_foreign_key(
        "fk_inbox_items_event_id_inbox_messages",
        "inbox_items",
        "inbox_messages",
        ["event_id"],
        ["event_id"],
        source_schema=S,
        referent_schema=S,
    )
    op.drop_column("inbox_items", "content", schema=S)


def downgrade() -> None:
    op.add_column("inbox_items", sa.Column("content", JSONB, comment="{locale: {subject, body}}"), schema=S)
    op.execute(
        f"UPDATE {S}.inbox_items AS i SET content = m.content"
        f" FROM {S}.inbox_messages AS m WHERE m.event_id = i.event_id"
    )
    op.alter_column("inbox_items", "content", nullable=False, schema=S)
    op.drop_constraint("fk_inbox_items_event_id_inbox_messages", "inbox_items", schema=S, type_="foreignkey")
    op.drop_table("inbox_messages", schema=S)
