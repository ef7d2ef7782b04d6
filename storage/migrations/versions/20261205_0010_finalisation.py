"""Finalisation: the visitor's evidence, its validation apart from the report, the final lump
sum approved for payment and marked paid.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_ok", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("evidence_status", String(length=16), nullable=False, server_default="none")
        )
        batch_op.add_column(sa.Column("evidence_note", String(length=300), nullable=True))
        batch_op.add_column(sa.Column("final_lump_sum", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("payment_approved_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("payment_approved_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("paid_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("paid_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("payment_reference", String(length=100), nullable=True))
        batch_op.add_column(sa.Column("payment_reminded_at", UTC(), nullable=True))

    op.create_table(
        "exchange_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("file_id", String(length=200), nullable=False),
        sa.Column("file_unique_id", String(length=100), nullable=False),
        sa.Column("name", String(length=200), nullable=False),
        sa.Column("mime_type", String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("photo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("uploaded_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchange.id"],
            name="fk_exchange_evidence_exchange",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_exchange_evidence_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exchange_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_evidence_exchange_id"), ["exchange_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_evidence_exchange_id"))
    op.drop_table("exchange_evidence")
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        for column in (
            "payment_reminded_at",
            "payment_reference",
            "paid_by",
            "paid_at",
            "payment_approved_by",
            "payment_approved_at",
            "final_lump_sum",
            "evidence_note",
            "evidence_status",
            "report_ok",
        ):
            batch_op.drop_column(column)
