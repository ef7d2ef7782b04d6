"""The matching population read incrementally: indexes on what changed when, and the terms
the engine read from each profile, kept per profile version.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "match_terms",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", String(length=40), nullable=False),
        sa.Column("offers", sa.Text(), nullable=False),
        sa.Column("seeks", sa.Text(), nullable=False),
        sa.Column("offers_words", sa.Text(), nullable=False),
        sa.Column("seeks_words", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index("ix_user_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.create_index("ix_profile_updated_at", ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_profile_review_completed", ["review", "completed_at"], unique=False
        )
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.create_index("ix_exchange_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_updated_at")
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_review_completed")
        batch_op.drop_index("ix_profile_updated_at")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index("ix_user_updated_at")
    op.drop_table("match_terms")
