"""Events: QR sign-up, attendees, event-scoped proposals and meetings with reminders.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", String(length=24), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("name", String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("city", String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("meeting_point", String(length=200), nullable=False),
        sa.Column("day_start", String(length=5), nullable=False),
        sa.Column("day_end", String(length=5), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", Time(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_code"), ["code"], unique=True)

    op.create_table(
        "event_attendee",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("joined_at", Time(), nullable=False),
        sa.Column("checked_in_at", Time(), nullable=True),
        sa.Column("quick", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "user_id"),
    )
    with op.batch_alter_table("event_attendee", schema=None) as batch_op:
        batch_op.create_index("ix_event_attendee_user_id", ["user_id"], unique=False)

    op.create_table(
        "event_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("a_id", sa.BigInteger(), nullable=False),
        sa.Column("b_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("a_status", String(length=16), nullable=False),
        sa.Column("b_status", String(length=16), nullable=False),
        sa.Column("matched_at", Time(), nullable=True),
        sa.Column("slot_at", Time(), nullable=True),
        sa.Column("a_met", String(length=8), nullable=True),
        sa.Column("b_met", String(length=8), nullable=True),
        sa.Column("created_at", Time(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["a_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["b_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "a_id", "b_id", name="uq_event_match_pair"),
    )
    with op.batch_alter_table("event_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_match_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_event_match_a_id", ["a_id"], unique=False)
        batch_op.create_index("ix_event_match_b_id", ["b_id"], unique=False)

    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_match_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_reminder_event_match_id",
            "event_match",
            ["event_match_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint("fk_reminder_event_match_id", type_="foreignkey")
        batch_op.drop_column("event_match_id")
    with op.batch_alter_table("event_match", schema=None) as batch_op:
        batch_op.drop_index("ix_event_match_b_id")
        batch_op.drop_index("ix_event_match_a_id")
        batch_op.drop_index(batch_op.f("ix_event_match_event_id"))
    op.drop_table("event_match")
    with op.batch_alter_table("event_attendee", schema=None) as batch_op:
        batch_op.drop_index("ix_event_attendee_user_id")
    op.drop_table("event_attendee")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_code"))
    op.drop_table("event")
