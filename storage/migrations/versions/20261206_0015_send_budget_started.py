"""The shared send budget also stamps when each send really started.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("send_budget", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "started",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=sa.text("'2000-01-01 00:00:00+00'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("send_budget", schema=None) as batch_op:
        batch_op.drop_column("started")
