"""Every query the bot makes. Keyword-only functions taking the session of the unit of work."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.models import (
    ACTOR_COLUMNS,
    EXCHANGE_SIDES,
    LEFT,
    PERSONAL_TABLES,
    ConsentState,
    Exchange,
    ExchangeEvent,
    ImportedProfile,
    Partnership,
    Phase,
    Profile,
    Proposal,
    Quality,
    Reminder,
    Review,
    Staff,
    StaffInvite,
    User,
    user_columns,
)


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    """The user row, or None."""
    return await session.get(User, user_id)


async def get_users(session: AsyncSession, *, user_ids: Collection[int]) -> dict[int, User]:
    """The user rows of ``user_ids`` that exist, by id (one query)."""
    if not user_ids:
        return {}
    rows = await session.execute(select(User).where(User.id.in_(list(user_ids))))  # type: ignore[attr-defined]
    return {user.id: user for user in rows.scalars()}


async def get_or_add_user(session: AsyncSession, *, user_id: int) -> User:
    """The user row; a new one (no question open) for someone the bot does not know yet,
    such as a staff member who never registered."""
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, state="idle")
        session.add(user)
    return user


# Built once: every update runs it (building it, and its cache key, per call cost 0.1 ms).
_USER_AND_PROFILE = (
    select(User, Profile)
    .outerjoin(Profile, Profile.user_id == User.id)  # type: ignore[arg-type]
    .where(User.id == bindparam("user_id"))
)


def _loaded(session: AsyncSession, model: type[Any], key: int) -> Any:
    """The row of ``model`` with primary key ``key`` if the session holds it, current (no
    query)."""
    row = session.identity_map.get(session.identity_key(model, key))
    return None if row is None or inspect(row).expired_attributes else row


async def get_user_and_profile(
    session: AsyncSession, *, user_id: int
) -> tuple[User | None, Profile | None]:
    """User and profile in one round trip, or none when both are in the session already (the
    unit of work of an update loads its user's at the start)."""
    user = _loaded(session, User, user_id)
    if user is not None and (profile := _loaded(session, Profile, user_id)) is not None:
        return user, profile
    row = (await session.execute(_USER_AND_PROFILE, {"user_id": user_id})).first()
    if row is None:
        return None, None
    return row[0], row[1]


async def delete_user(session: AsyncSession, *, user_id: int) -> None:
    """Erase every row holding this user's personal data (children first); where the user only
    acted on someone else's row (as staff or the other side), the reference is removed. The
    user's exchanges stay with the other side: each is handed to a placeholder first."""
    await hand_over_exchanges(session, user_id=user_id)
    for table_name, columns in ACTOR_COLUMNS.items():
        table = SQLModel.metadata.tables[table_name]
        for column in columns:
            await session.execute(
                update(table).where(table.c[column] == user_id).values({column: None})
            )
    for table_name, columns in PERSONAL_TABLES.items():
        if table_name == "user":
            continue
        table = SQLModel.metadata.tables[table_name]
        await session.execute(delete(table).where(or_(*(table.c[c] == user_id for c in columns))))
    await session.execute(delete(User).where(User.id == user_id))


async def hand_over_exchanges(session: AsyncSession, *, user_id: int) -> list[int]:
    """The user's side of each of their exchanges becomes a placeholder (one per exchange, so
    that nothing links them), what that side wrote or answered is cleared, and the audit rows
    of their steps name the placeholder and lose their text. The ids of the exchanges."""
    rows = await session.execute(
        select(Exchange.id, Exchange.visitor_id).where(
            or_(Exchange.visitor_id == user_id, Exchange.host_id == user_id)
        )
    )
    handed = []
    for exchange_id, visitor_id in rows.all():
        placeholder = await add_placeholder(session)
        side = "visitor_id" if visitor_id == user_id else "host_id"
        values: dict[str, Any] = {side: placeholder, **dict.fromkeys(EXCHANGE_SIDES[side])}
        await session.execute(update(Exchange).where(Exchange.id == exchange_id).values(values))
        await session.execute(
            update(Exchange)
            .where(Exchange.id == exchange_id, Exchange.dates_by == user_id)
            .values(dates_by=placeholder)
        )
        await session.execute(
            update(ExchangeEvent)
            .where(ExchangeEvent.exchange_id == exchange_id, ExchangeEvent.actor_id == user_id)
            .values(actor_id=placeholder, detail=None)
        )
        handed.append(exchange_id)
    return handed


async def add_placeholder(session: AsyncSession) -> int:
    """A new placeholder user (a side who left): a random negative id, nothing else."""
    while True:
        placeholder = -(secrets.randbits(62) + 1)
        if await session.get(User, placeholder) is None:
            break
    session.add(User(id=placeholder, consent=ConsentState.DECLINED, state=LEFT))
    await session.flush()
    return placeholder


async def count_rows_of_user(session: AsyncSession, *, user_id: int) -> int:
    """How many rows still name this user (in any column that can hold a user's id)."""
    total = 0
    for table_name, columns in user_columns().items():
        table = SQLModel.metadata.tables[table_name]
        condition = or_(*(table.c[c] == user_id for c in columns))
        total += (
            await session.execute(select(func.count()).select_from(table).where(condition))
        ).scalar_one()
    return total


async def proposals_of(session: AsyncSession, *, user_id: int) -> list[Proposal]:
    """Every proposal the user is part of."""
    rows = await session.execute(
        select(Proposal).where(or_(Proposal.a_id == user_id, Proposal.b_id == user_id))
    )
    return list(rows.scalars())


async def partners_of(session: AsyncSession, *, user_ids: Collection[int]) -> dict[int, set[int]]:
    """For each of ``user_ids``, the others in their proposals (one query for all)."""
    ids = list(user_ids)
    found: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(Proposal.a_id, Proposal.b_id).where(
            or_(Proposal.a_id.in_(ids), Proposal.b_id.in_(ids))  # type: ignore[attr-defined]
        )
    )
    for a, b in rows.all():
        if a in found:
            found[a].add(b)
        if b in found:
            found[b].add(a)
    return found


async def proposal_between(session: AsyncSession, *, a_id: int, b_id: int) -> Proposal | None:
    """The proposal of this pair (``a_id`` < ``b_id``), or None."""
    rows = await session.execute(
        select(Proposal).where(Proposal.a_id == a_id, Proposal.b_id == b_id)
    )
    return rows.scalar_one_or_none()


async def get_proposal(session: AsyncSession, *, proposal_id: int) -> Proposal | None:
    """One proposal by id."""
    return await session.get(Proposal, proposal_id)


async def open_proposals_shown_before(session: AsyncSession, *, before: datetime) -> list[Proposal]:
    """Open proposals with a side that was shown before ``before`` and has not answered."""
    side_a = (Proposal.a_status == "shown") & (Proposal.a_shown_at <= before)
    side_b = (Proposal.b_status == "shown") & (Proposal.b_shown_at <= before)
    rows = await session.execute(
        select(Proposal).where(Proposal.closed_at.is_(None), or_(side_a, side_b))  # type: ignore[union-attr]
    )
    return list(rows.scalars())


async def get_import(session: AsyncSession, *, external_id: str) -> ImportedProfile | None:
    """An imported registration by its id in the staff's file."""
    return await session.get(ImportedProfile, external_id)


async def import_by_token(session: AsyncSession, *, token: str) -> ImportedProfile | None:
    """An imported registration by its invite token."""
    rows = await session.execute(
        select(ImportedProfile).where(ImportedProfile.invite_token == token)
    )
    return rows.scalars().first()


async def claim_nudge(session: AsyncSession, *, proposal_id: int, side: str, now: datetime) -> bool:
    """Mark one side nudged unless someone already did. True for the one who did."""
    nudged = getattr(Proposal, f"{side}_nudged_at")
    status = getattr(Proposal, f"{side}_status")
    result = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            nudged.is_(None),
            status == "shown",
            Proposal.closed_at.is_(None),  # type: ignore[union-attr]
        )
        .values({f"{side}_nudged_at": now, "updated_at": now})
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def claim_expiry(
    session: AsyncSession, *, proposal_id: int, side: str, now: datetime
) -> bool:
    """Expire one side's open proposal unless someone already did. True for the one who did."""
    status = getattr(Proposal, f"{side}_status")
    result = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            status == "shown",
            Proposal.closed_at.is_(None),  # type: ignore[union-attr]
        )
        .values({f"{side}_status": "expired", "closed_at": now, "updated_at": now})
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def rows_of_user(session: AsyncSession, *, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row that names the user (``user_columns``), by table, as JSON-friendly dicts; the
    audit trail of the user's exchanges comes with them, whoever acted."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table_name, columns in user_columns().items():
        table = SQLModel.metadata.tables[table_name]
        condition = or_(*(table.c[c] == user_id for c in columns))
        if table_name == "exchange_event":
            mine = select(Exchange.id).where(
                or_(Exchange.visitor_id == user_id, Exchange.host_id == user_id)
            )
            condition = or_(condition, table.c.exchange_id.in_(mine))
        result = await session.execute(select(table).where(condition).order_by(*table.primary_key))
        out[table_name] = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            for row in result.mappings()
        ]
    return out


# --------------------------------------------------------------------- partnerships and staff


async def partnerships(session: AsyncSession) -> list[Partnership]:
    """Every partnership, by name."""
    rows = await session.execute(select(Partnership).order_by(Partnership.name))
    return list(rows.scalars())


async def get_partnership(session: AsyncSession, *, partnership_id: int) -> Partnership | None:
    """One partnership by id."""
    return await session.get(Partnership, partnership_id)


async def partnership_by_slug(session: AsyncSession, *, slug: str) -> Partnership | None:
    """One partnership by its slug (case-insensitive)."""
    rows = await session.execute(select(Partnership).where(Partnership.slug == slug.lower()))
    return rows.scalars().first()


async def staff_partnership_ids(session: AsyncSession, *, user_id: int) -> set[int]:
    """The partnerships the user is staff of."""
    rows = await session.execute(select(Staff.partnership_id).where(Staff.user_id == user_id))
    return set(rows.scalars())


async def staff_of(session: AsyncSession, *, partnership_ids: Iterable[int]) -> list[User]:
    """The staff members of these partnerships (each once)."""
    ids = list(partnership_ids)
    if not ids:
        return []
    members = select(Staff.user_id).where(Staff.partnership_id.in_(ids))  # type: ignore[attr-defined]
    rows = await session.execute(
        select(User).where(User.id.in_(members)).order_by(User.id)  # type: ignore[attr-defined]
    )
    return list(rows.scalars())


async def get_staff_invite(session: AsyncSession, *, token: str) -> StaffInvite | None:
    """A staff invitation by its token, or None."""
    return await session.get(StaffInvite, token)


async def claim_invite(session: AsyncSession, *, token: str, user_id: int, now: datetime) -> bool:
    """Use a staff invite unless it is used or expired; True for the one who used it."""
    result = await session.execute(
        update(StaffInvite)
        .where(
            StaffInvite.token == token,
            StaffInvite.used_at.is_(None),  # type: ignore[union-attr]
            StaffInvite.expires_at > now,
        )
        .values(used_by=user_id, used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def pending_profiles(
    session: AsyncSession, *, partnership_ids: Collection[int]
) -> list[tuple[User, Profile]]:
    """Complete profiles of these partnerships that wait for validation, oldest first."""
    rows = await session.execute(
        select(User, Profile)
        .join(Profile, Profile.user_id == User.id)
        .where(
            Profile.completed_at.is_not(None),  # type: ignore[union-attr]
            Profile.review == Review.PENDING,
            Profile.partnership_id.in_(list(partnership_ids)),  # type: ignore[union-attr]
        )
        .order_by(Profile.completed_at)
    )
    return [(u, p) for u, p in rows.all()]


async def pending_changes(
    session: AsyncSession, *, partnership_ids: Collection[int]
) -> list[Profile]:
    """Approved profiles of these partnerships whose change waits for validation."""
    rows = await session.execute(
        select(Profile)
        .where(
            Profile.pending_changes.is_not(None),  # type: ignore[union-attr]
            Profile.review == Review.APPROVED,
            Profile.partnership_id.in_(list(partnership_ids)),  # type: ignore[union-attr]
        )
        .order_by(Profile.updated_at)
    )
    return list(rows.scalars())


async def exchanges_waiting_for(
    session: AsyncSession, *, partnership_ids: Collection[int]
) -> list[Exchange]:
    """Exchanges with a step these partnerships must validate, oldest first."""
    ids = list(partnership_ids)
    visitor_side = Exchange.visitor_partnership_id.in_(ids)  # type: ignore[union-attr]
    host_side = Exchange.host_partnership_id.in_(ids)  # type: ignore[union-attr]
    quality = and_(
        Exchange.cq_status == Quality.STAFF,
        or_(
            and_(visitor_side, Exchange.cq_visitor_ok.is_(False)),  # type: ignore[attr-defined]
            and_(host_side, Exchange.cq_host_ok.is_(False)),  # type: ignore[attr-defined]
        ),
    )
    rows = await session.execute(
        select(Exchange)
        .where(
            or_(
                and_(Exchange.phase == Phase.APPROVAL, visitor_side),
                and_(Exchange.phase == Phase.REPORT_REVIEW, visitor_side),
                quality,
                and_(  # a closed exchange whose lump sum is not paid yet
                    Exchange.phase == Phase.CLOSED,
                    visitor_side,
                    Exchange.final_lump_sum.is_not(None),  # type: ignore[union-attr]
                    Exchange.paid_at.is_(None),  # type: ignore[union-attr]
                ),
            )
        )
        .order_by(Exchange.updated_at)
    )
    return list(rows.scalars())


async def get_exchange(session: AsyncSession, *, exchange_id: int) -> Exchange | None:
    """One exchange by id."""
    return await session.get(Exchange, exchange_id)


async def exchanges_of_user(session: AsyncSession, *, user_id: int) -> list[Exchange]:
    """The user's exchanges as visitor or host, newest first."""
    rows = await session.execute(
        select(Exchange)
        .where(or_(Exchange.visitor_id == user_id, Exchange.host_id == user_id))
        .order_by(Exchange.id.desc())  # type: ignore[union-attr]
    )
    return list(rows.scalars())


async def transition_exchange(
    session: AsyncSession,
    *,
    exchange: Exchange,
    expect: dict[str, Any],
    values: dict[str, Any],
    now: datetime,
    actor_id: int | None,
    action: str,
    detail: str | None = None,
) -> bool:
    """Change the exchange only if it is still as ``expect`` says, and record the change in
    its audit trail, in the caller's transaction; False (and nothing changed) when someone
    else changed it first. ``exchange`` (loaded in this session) is updated to match."""
    conditions = [getattr(Exchange, key) == value for key, value in expect.items()]
    result = await session.execute(
        update(Exchange)
        .where(Exchange.id == exchange.id, *conditions)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for key, value in values.items():
        setattr(exchange, key, value)
    exchange.updated_at = now
    session.add(
        ExchangeEvent(
            exchange_id=exchange.id,  # type: ignore[arg-type]
            at=now,
            actor_id=actor_id,
            action=action,
            phase=exchange.phase,
            detail=(detail or "")[:300] or None,
        )
    )
    return True


async def events_of(session: AsyncSession, *, exchange_id: int) -> list[ExchangeEvent]:
    """The audit trail of one exchange, oldest first."""
    rows = await session.execute(
        select(ExchangeEvent)
        .where(ExchangeEvent.exchange_id == exchange_id)
        .order_by(ExchangeEvent.at, ExchangeEvent.id)
    )
    return list(rows.scalars())


# --------------------------------------------------------------------- reminders


async def cancel_reminders(
    session: AsyncSession,
    *,
    exchange_id: int,
    now: datetime,
    kinds: Collection[str] | None = None,
    user_id: int | None = None,
) -> None:
    """Cancel the exchange's reminders that have not gone out (optionally of some kinds)."""
    condition = [
        Reminder.exchange_id == exchange_id,
        Reminder.sent_at.is_(None),  # type: ignore[union-attr]
        Reminder.cancelled_at.is_(None),  # type: ignore[union-attr]
    ]
    if kinds is not None:
        condition.append(Reminder.kind.in_(list(kinds)))  # type: ignore[attr-defined]
    if user_id is not None:
        condition.append(Reminder.user_id == user_id)
    await session.execute(
        update(Reminder)
        .where(*condition)
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )


async def replan_reminders(
    session: AsyncSession, *, exchange_id: int, kind: str, due: Collection[tuple[int, datetime]]
) -> None:
    """Replace the exchange's unsent reminders of ``kind`` by new ones: (user, due time).
    The old rows are deleted, not cancelled: a plan made twice at one moment would repeat
    their (exchange, user, kind, time)."""
    await session.execute(
        delete(Reminder)
        .where(
            Reminder.exchange_id == exchange_id,
            Reminder.kind == kind,
            Reminder.sent_at.is_(None),  # type: ignore[union-attr]
        )
        .execution_options(synchronize_session=False)
    )
    session.add_all(
        Reminder(user_id=user_id, exchange_id=exchange_id, kind=kind, due_at=at)
        for user_id, at in due
    )


async def first_due(session: AsyncSession, *, kind: str) -> datetime | None:
    """When the earliest unsent reminder of ``kind`` is due (the demo's time jumps)."""
    return (
        await session.execute(
            select(func.min(Reminder.due_at)).where(
                Reminder.kind == kind,
                Reminder.sent_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).scalar_one()


async def take_due_reminders(
    session: AsyncSession, *, now: datetime, events: bool, limit: int = 200
) -> list[Reminder]:
    """Take the due reminders of exchanges (``events`` False) or of meetings at events: they
    are marked sent in the caller's transaction, which turns them into outbox messages (or
    drops those that are obsolete). Rolled back, they are due again.

    One statement, so each reminder is taken once: on PostgreSQL the rows are picked ``FOR
    UPDATE SKIP LOCKED`` (another dispatcher's rows are skipped, not waited for) and the outer
    guard re-checks; SQLite runs one writing statement at a time.
    """
    owner = (
        Reminder.event_match_id.is_not(None)  # type: ignore[union-attr]
        if events
        else Reminder.exchange_id.is_not(None)  # type: ignore[union-attr]
    )
    due = and_(
        owner,
        Reminder.due_at <= now,
        Reminder.sent_at.is_(None),  # type: ignore[union-attr]
        Reminder.cancelled_at.is_(None),  # type: ignore[union-attr]
    )
    pick = (
        select(Reminder.id)
        .where(due)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(pick.scalar_subquery()), due)  # type: ignore[union-attr]
        .values(sent_at=now)
        .returning(Reminder)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars(), key=lambda r: (r.due_at, r.id or 0))
