"""Items waiting for staff validation, with when staff were reminded and super-admins told.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "review_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", String(length=64), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("exchange_id", sa.Integer(), nullable=True),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name="fk_review_followup_partnership",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_review_followup_user", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchange.id"],
            name="fk_review_followup_exchange",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("review_followup")
