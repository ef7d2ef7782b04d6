"""What each participant's answers taught the matching: a factor per concept and person.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "concept_feedback",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("concept", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_concept_feedback_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "concept"),
    )


def downgrade() -> None:
    op.drop_table("concept_feedback")
