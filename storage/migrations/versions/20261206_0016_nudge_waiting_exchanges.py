"""Exchanges that already wait on someone when nudges come (DECISIONS §37) get them too:
7 and 21 days after the upgrade, for both sides; when one falls due it goes to whoever's
turn it then is, as for the exchanges that wait from now on.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.services.exchanges.nudges has them (a migration does not import the bot).
KIND = "stalled"
AFTER = (timedelta(days=7), timedelta(days=21))
WAITING = ("direction", "planning")

exchange = sa.table(
    "exchange",
    sa.column("id", sa.Integer()),
    sa.column("visitor_id", sa.BigInteger()),
    sa.column("host_id", sa.BigInteger()),
    sa.column("phase", sa.String()),
)
reminder = sa.table(
    "reminder",
    sa.column("user_id", sa.BigInteger()),
    sa.column("exchange_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("due_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)


def upgrade() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    waiting = op.get_bind().execute(
        sa.select(exchange.c.id, exchange.c.visitor_id, exchange.c.host_id).where(
            exchange.c.phase.in_(WAITING),
            # one that already has its nudges (planned by the bot since 0015) keeps them
            ~sa.exists().where(
                reminder.c.exchange_id == exchange.c.id,
                reminder.c.kind == KIND,
                reminder.c.sent_at.is_(None),
                reminder.c.cancelled_at.is_(None),
            ),
        )
    )
    rows = [
        {
            "user_id": side,
            "exchange_id": xid,
            "kind": KIND,
            "due_at": now + after,
            "created_at": now,
        }
        for xid, visitor, host in waiting
        for after in AFTER
        for side in (visitor, host)
    ]
    if rows:
        op.bulk_insert(reminder, rows)


def downgrade() -> None:
    op.execute(reminder.delete().where(reminder.c.kind == KIND, reminder.c.sent_at.is_(None)))
