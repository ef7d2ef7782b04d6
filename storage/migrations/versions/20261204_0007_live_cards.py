"""Where the bot's live cards are, so that answering one copy of a proposal updates the others.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "live_card",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tag", String(length=40), nullable=False),
        sa.Column("created_at", Time(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    with op.batch_alter_table("live_card", schema=None) as batch_op:
        batch_op.create_index("ix_live_card_tag", ["chat_id", "tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_card", schema=None) as batch_op:
        batch_op.drop_index("ix_live_card_tag")
    op.drop_table("live_card")
