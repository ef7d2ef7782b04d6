"""SQLModel tables. Every row that holds personal data hangs off ``User`` and is deleted with it,
except an exchange, which stays with the other side (``EXCHANGE_SIDES``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC timestamp (SQLModel stores it portably on SQLite and PostgreSQL)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored timestamp as aware UTC: SQLite hands back naive UTC, PostgreSQL aware."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Review:
    """Values of a validation by partnership staff."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ConsentState:
    """Values of ``User.consent``."""

    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"


# ``User.state`` of a placeholder: the side of an exchange whose person erased their data. It
# has a negative id (Telegram's user ids are positive), no profile, and is never written to.
LEFT = "left"


def is_placeholder(user_id: int | None) -> bool:
    """Whether the id is a placeholder's (a side who left), not a Telegram user's."""
    return user_id is not None and user_id < 0


class User(SQLModel, table=True):
    """A Telegram user the bot talks to, with where they are in the conversation."""

    __table_args__ = (Index("ix_user_updated_at", "updated_at"),)

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    consent: str = Field(default=ConsentState.PENDING, max_length=16)
    consent_at: datetime | None = None
    language: str | None = Field(default=None, max_length=8)  # the user's explicit choice
    # Telegram's language_code when the user last started the bot: the language of messages
    # the bot sends on its own (notices, reminders) to someone who never chose one.
    client_language: str | None = Field(default=None, max_length=16)
    username: str | None = Field(default=None, max_length=64)
    # Conversation state: the step the user is at, a version that changes with every step
    # (buttons carry it, so stale buttons are recognised) and step data (edit target,
    # city candidates, toggles in progress).
    state: str = Field(default="consent", max_length=32)
    state_version: int = 0
    state_data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    paused: bool = False
    start_payload: str | None = Field(default=None, max_length=64)
    # When the bot last sent proposals the user did not ask for (at most one such message a day).
    pushed_at: datetime | None = None
    # Telegram refused a message to this user (blocked the bot, deleted the chat): the outbox
    # stops sending until the user is back (``my_chat_member``, or they write again).
    unreachable_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


class Partnership(SQLModel, table=True):
    """A European Cluster Partnership: recruits, validates and pays its participants."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    ecosystems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Profile(SQLModel, table=True):
    """A participant's ClusterXchange profile; complete once ``completed_at`` is set."""

    # The matching population is read by what changed since (``updated_at``) and counted by
    # review state, both from an index.
    __table_args__ = (
        Index("ix_profile_updated_at", "updated_at"),
        Index("ix_profile_review_completed", "review", "completed_at"),
    )

    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
            autoincrement=False,
        )
    )  # fmt: skip
    role: str | None = Field(default=None, max_length=16)
    org_type: str | None = Field(default=None, max_length=16)
    name: str | None = Field(default=None, max_length=80)
    organisation: str | None = Field(default=None, max_length=120)
    country: str | None = Field(default=None, max_length=2)
    city: str | None = Field(default=None, max_length=80)
    city_geoname_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    ecosystems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    offers: str | None = Field(default=None, sa_column=Column(Text))
    seeks: str | None = Field(default=None, sa_column=Column(Text))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    available_from: date | None = None
    available_to: date | None = None
    motivation: str | None = Field(default=None, sa_column=Column(Text))
    email: str | None = Field(default=None, max_length=254)
    partnership_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("partnership.id", ondelete="SET NULL", name="fk_profile_partnership_id"),
            nullable=True,
        ),
    )
    # Validation by the partnership's staff (Review.*); a profile without a partnership needs
    # none. Only approved profiles are proposed to others.
    review: str = Field(default="pending", max_length=16)
    reviewed_at: datetime | None = None
    reviewed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    review_note: str | None = Field(default=None, max_length=300)
    # A material change of an approved profile (role, organisation, country and city, offers,
    # seeks) waits here for the partnership's validation; the columns keep the approved
    # version, which is what others see and matching reads until then.
    pending_changes: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    completed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


# Tables whose rows carry a user's personal data, with the columns that name the user.
PERSONAL_TABLES: dict[str, tuple[str, ...]] = {"user": ("id",), "profile": ("user_id",)}


class MatchTerms(SQLModel, table=True):
    """What the matching engine read from a profile's texts (concepts and content words).

    Reading them is the expensive part of indexing a profile, so they are kept, keyed by a
    digest of the texts and the vocabulary (``version``): a restart reads them back instead of
    reading 100,000 profiles again. Derived from the profile, erased and exported with it."""

    __tablename__ = "match_terms"

    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
            autoincrement=False,
        )
    )  # fmt: skip
    version: str = Field(max_length=40)
    # Concept ids separated by spaces (ids have none): cheaper to write and read than JSON.
    offers: str = Field(default="", sa_column=Column(Text, nullable=False))
    seeks: str = Field(default="", sa_column=Column(Text, nullable=False))
    offers_words: str = Field(default="", sa_column=Column(Text, nullable=False))
    seeks_words: str = Field(default="", sa_column=Column(Text, nullable=False))


PERSONAL_TABLES["match_terms"] = ("user_id",)


class ProposalSide:
    """Values of ``Proposal.a_status`` / ``b_status``: one side's view of a proposal."""

    NEW = "new"  # not shown to this side yet
    SHOWN = "shown"  # shown (or pushed), no answer yet
    INTERESTED = "interested"
    DECLINED = "declined"
    EXPIRED = "expired"  # no answer in time


class Proposal(SQLModel, table=True):
    """A proposed pair. ``a_id`` < ``b_id``; a pair exists once and is never proposed again."""

    __table_args__ = (
        UniqueConstraint("a_id", "b_id", name="uq_proposal_pair"),
        Index("ix_proposal_b_id", "b_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    a_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    b_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    score: float = 0.0
    a_status: str = Field(default=ProposalSide.NEW, max_length=16)
    b_status: str = Field(default=ProposalSide.NEW, max_length=16)
    a_shown_at: datetime | None = None
    b_shown_at: datetime | None = None
    a_nudged_at: datetime | None = None
    b_nudged_at: datetime | None = None
    decline_reason: str | None = Field(default=None, max_length=32)
    matched_at: datetime | None = None
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


PERSONAL_TABLES["proposal"] = ("a_id", "b_id")


class ImportedProfile(SQLModel, table=True):
    """A registration imported by staff (interchange format), waiting to be claimed in chat.

    It joins matching only once its owner opens the personal invite link, consents and
    confirms the pre-filled profile.
    """

    __tablename__ = "imported_profile"

    external_id: str = Field(primary_key=True, max_length=64)
    record: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    invite_token: str = Field(max_length=32, unique=True, index=True)
    claimed_by: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    imported_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


PERSONAL_TABLES["imported_profile"] = ("claimed_by",)


class Staff(SQLModel, table=True):
    """A partnership's staff member (a Telegram user)."""

    partnership_id: int = Field(
        sa_column=Column(ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
            autoincrement=False,
        )
    )  # fmt: skip
    added_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["staff"] = ("user_id",)


class StaffInvite(SQLModel, table=True):
    """A one-time, expiring deep link that makes its first user staff of a partnership."""

    __tablename__ = "staff_invite"

    token: str = Field(primary_key=True, max_length=32)
    partnership_id: int = Field(
        sa_column=Column(ForeignKey("partnership.id", ondelete="CASCADE"), nullable=False)
    )
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_by: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    used_at: datetime | None = None


PERSONAL_TABLES["staff_invite"] = ("used_by", "created_by")


class Phase:
    """Values of ``Exchange.phase``; users see them as matching, visiting and returning."""

    DIRECTION = "direction"  # both are visitor and host: they agree on who travels
    APPROVAL = "approval"  # mutual match, waiting for the visitor's partnership
    PLANNING = "planning"  # agreeing on dates
    VISITING = "visiting"  # dates agreed: before and during the visit
    RETURNING = "returning"  # after the visit: did it happen, the closing report
    REPORT_REVIEW = "report_review"  # report filed, waiting for the visitor's partnership
    CLOSED = "closed"  # report validated
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # the match was not validated

    ALL = (
        DIRECTION,
        APPROVAL,
        PLANNING,
        VISITING,
        RETURNING,
        REPORT_REVIEW,
        CLOSED,
        CANCELLED,
        REJECTED,
    )
    ACTIVE = (DIRECTION, APPROVAL, PLANNING, VISITING, RETURNING, REPORT_REVIEW)
    # A visitor completes at most one funded exchange: these phases use it up.
    USES_VISIT = (APPROVAL, PLANNING, VISITING, RETURNING, REPORT_REVIEW, CLOSED)


class Quality:
    """Values of ``Exchange.cq_status``: goals and agenda (the Commitment to Quality)."""

    NONE = "none"  # not written yet
    HOST = "host"  # written by the visitor, waiting for the host's agreement
    CHANGES = "changes"  # the host or staff asked for changes
    STAFF = "staff"  # agreed by both sides, waiting for the partnerships
    VALIDATED = "validated"


class Evidence:
    """Values of ``Exchange.evidence_status``: the visitor's evidence of the stay (boarding
    passes, invoices), checked by the visitor's partnership apart from the report."""

    NONE = "none"  # nothing handed in yet
    STAFF = "staff"  # handed in, waiting for the partnership
    REJECTED = "rejected"  # the partnership asked for more (``evidence_note``)
    APPROVED = "approved"


class Exchange(SQLModel, table=True):
    """A validated match on its way to a visit, a closing report and an outcome."""

    __table_args__ = (
        Index("ix_exchange_visitor_id", "visitor_id"),
        Index("ix_exchange_host_id", "host_id"),
        Index("ix_exchange_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("proposal.id", ondelete="SET NULL"), nullable=True, unique=True
        ),
    )
    visitor_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    host_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    visitor_partnership_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("partnership.id", ondelete="SET NULL"), nullable=True),
    )
    host_partnership_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("partnership.id", ondelete="SET NULL"), nullable=True),
    )
    phase: str = Field(default=Phase.APPROVAL, max_length=16, index=True)
    # Dates: proposed by one side, confirmed by the other.
    start_date: date | None = None
    end_date: date | None = None
    working_days: int | None = None
    dates_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Both sides visitor and host: who proposed the direction waiting for the other's yes.
    direction_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    dates_agreed_at: datetime | None = None
    lump_sum: int | None = None
    distance_km: float | None = None
    # Goals and agenda (Commitment to Quality).
    goals: str | None = Field(default=None, sa_column=Column(Text))
    agenda: str | None = Field(default=None, sa_column=Column(Text))
    cq_status: str = Field(default=Quality.NONE, max_length=16)
    cq_visitor_ok: bool = False  # validated by the visitor's partnership
    cq_host_ok: bool = False  # validated by the host's partnership
    cq_note: str | None = Field(default=None, sa_column=Column(Text))
    # Returning.
    happened: str | None = Field(default=None, max_length=16)  # yes | postponed | cancelled
    happened_reason: str | None = Field(default=None, max_length=300)
    report_done: str | None = Field(default=None, sa_column=Column(Text))
    report_results: str | None = Field(default=None, sa_column=Column(Text))
    report_next: str | None = Field(default=None, sa_column=Column(Text))
    report_file_id: str | None = Field(default=None, max_length=200)
    report_file_name: str | None = Field(default=None, max_length=200)
    report_note: str | None = Field(default=None, max_length=300)
    host_rating: int | None = None
    # Finalisation: the report and the evidence are validated separately; the exchange closes
    # when both are. Then the final lump sum is approved for payment and marked paid.
    report_ok: bool = False
    evidence_status: str = Field(default=Evidence.NONE, max_length=16)
    evidence_note: str | None = Field(default=None, max_length=300)
    final_lump_sum: int | None = None
    payment_approved_at: datetime | None = None
    payment_approved_by: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    paid_at: datetime | None = None
    paid_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payment_reference: str | None = Field(default=None, max_length=100)
    payment_reminded_at: datetime | None = None
    outcome_visitor: str | None = Field(default=None, max_length=16)
    outcome_host: str | None = Field(default=None, max_length=16)
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


# An exchange is the other side's and the partnerships' record too: when one side erases their
# data it stays, with that side handed to a placeholder user (``LEFT``) and what that side wrote
# or answered cleared (the columns below). The other columns are the exchange's own facts.
EXCHANGE_SIDES: dict[str, tuple[str, ...]] = {
    "visitor_id": (
        "goals",
        "agenda",
        "happened_reason",
        "report_done",
        "report_results",
        "report_next",
        "report_file_id",
        "report_file_name",
        "outcome_visitor",
    ),
    "host_id": ("host_rating", "outcome_host"),
}


class ExchangeEvent(SQLModel, table=True):
    """The audit trail: every state change of an exchange, who made it and when."""

    __tablename__ = "exchange_event"

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(
        sa_column=Column(ForeignKey("exchange.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    at: datetime = Field(default_factory=utcnow)
    # The participant or staff member who acted; None for the bot (reminders, expiry).
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(max_length=32)
    phase: str = Field(max_length=16)  # the phase after the change
    detail: str | None = Field(default=None, max_length=300)


class ExchangeEvidence(SQLModel, table=True):
    """A file the visitor handed in as evidence of the stay: Telegram's ids of it (the bot
    keeps no bytes), its cleaned name, type and size. Erased with the visitor."""

    __tablename__ = "exchange_evidence"

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(
        sa_column=Column(
            ForeignKey("exchange.id", ondelete="CASCADE", name="fk_exchange_evidence_exchange"),
            nullable=False,
            index=True,
        )
    )
    user_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("user.id", ondelete="CASCADE", name="fk_exchange_evidence_user"),
            nullable=False,
        )
    )
    file_id: str = Field(max_length=200)
    file_unique_id: str = Field(max_length=100)
    name: str = Field(max_length=200)
    mime_type: str = Field(max_length=100)
    size: int | None = None
    photo: bool = False  # sent as a picture: Telegram sends it back with sendPhoto
    uploaded_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["exchange_evidence"] = ("user_id",)


class Reminder(SQLModel, table=True):
    """A message due at a time: when it falls due, the dispatcher writes it to the outbox
    and marks it sent in one transaction."""

    __table_args__ = (
        UniqueConstraint("exchange_id", "user_id", "kind", "due_at", name="uq_reminder"),
        Index("ix_reminder_due", "sent_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    exchange_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("exchange.id", ondelete="CASCADE"), nullable=True),
    )
    # A meeting agreed at an event (kinds "meeting" and "met"), instead of an exchange.
    event_match_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("event_match.id", ondelete="CASCADE", name="fk_reminder_event_match_id"),
            nullable=True,
        ),
    )
    kind: str = Field(max_length=16)
    due_at: datetime
    sent_at: datetime | None = None  # written to the outbox, or skipped as obsolete
    cancelled_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["reminder"] = ("user_id",)


class Event(SQLModel, table=True):
    """A brokerage event or conference of a partnership, joined through a QR code."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=24, unique=True, index=True)  # unguessable, in the deep link
    partnership_id: int = Field(
        sa_column=Column(ForeignKey("partnership.id", ondelete="CASCADE"), nullable=False)
    )
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    name: str = Field(max_length=120)
    starts_on: date
    ends_on: date
    city: str = Field(max_length=80)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Meetings: where people meet, and slots of ``slot_minutes`` between the day's hours
    # ("HH:MM", in the bot's time zone).
    meeting_point: str = Field(default="", max_length=200)
    day_start: str = Field(default="09:00", max_length=5)
    day_end: str = Field(default="17:00", max_length=5)
    slot_minutes: int = 20
    created_at: datetime = Field(default_factory=utcnow)


class Attendee(SQLModel, table=True):
    """Someone who joined an event: through the quick sign-up or as a registered participant."""

    __tablename__ = "event_attendee"
    __table_args__ = (Index("ix_event_attendee_user_id", "user_id"),)

    event_id: int = Field(
        sa_column=Column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
            autoincrement=False,
        )
    )  # fmt: skip
    joined_at: datetime = Field(default_factory=utcnow)
    checked_in_at: datetime | None = None  # scanned the code while the event was on
    quick: bool = False  # joined through the quick sign-up (not a registered participant)


PERSONAL_TABLES["event_attendee"] = ("user_id",)


class EventMatch(SQLModel, table=True):
    """A pair proposed at an event (``a_id`` < ``b_id``); a meeting once both are interested."""

    __tablename__ = "event_match"
    __table_args__ = (
        UniqueConstraint("event_id", "a_id", "b_id", name="uq_event_match_pair"),
        Index("ix_event_match_a_id", "a_id"),
        Index("ix_event_match_b_id", "b_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(
        sa_column=Column(ForeignKey("event.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    a_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    b_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    score: float = 0.0
    a_status: str = Field(default=ProposalSide.NEW, max_length=16)
    b_status: str = Field(default=ProposalSide.NEW, max_length=16)
    matched_at: datetime | None = None
    slot_at: datetime | None = None  # the suggested meeting time
    a_met: str | None = Field(default=None, max_length=8)  # yes | no, asked after the event
    b_met: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["event_match"] = ("a_id", "b_id")


class InboxUpdate(SQLModel, table=True):
    """An update Telegram handed over, recorded before it is handled (the durable inbox).

    ``payload`` is kept only until the update is handled (it holds what the person wrote); a
    second delivery of the same ``update_id`` is dropped. Rows are forgotten after a few days.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_received_at", "received_at"),)

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    received_at: datetime = Field(default_factory=utcnow)
    handled_at: datetime | None = None
    failed: bool = False  # its handler raised: not tried again after a restart


class OutboxMessage(SQLModel, table=True):
    """One message to someone other than the person who acted, written in the same
    transaction as the change that causes it and delivered by the dispatcher (the durable
    outbox): claimed with a lease, retried with backoff, sent once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    message: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # one Reply
    created_at: datetime = Field(default_factory=utcnow)
    due_at: datetime = Field(default_factory=utcnow)  # not before (backoff after a failure)
    claimed_at: datetime | None = None  # a sender took it; reclaimable after a lease
    attempts: int = 0
    sent_at: datetime | None = None  # delivered, or given up (then ``error`` says why)
    error: str | None = Field(default=None, max_length=200)


PERSONAL_TABLES["outbox"] = ("chat_id",)


class LiveCard(SQLModel, table=True):
    """A sent message whose buttons still answer something (a proposal card): where it is, so
    that answering one copy updates every other copy in the chat (``tag`` names the thing,
    such as ``proposal:42``). Forgotten once answered, and after a few weeks."""

    __tablename__ = "live_card"
    __table_args__ = (Index("ix_live_card_tag", "chat_id", "tag"),)

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    message_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    tag: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["live_card"] = ("chat_id",)


class ReviewFollowUp(SQLModel, table=True):
    """An item waiting for staff validation, as the follow-up job first saw it, and when the
    partnership's staff were reminded of it and the super-admins told (each once).

    ``key`` names the item and the step it waits at (``p:<user>:<round>`` for a
    registration, ``x:<exchange>:<step>`` for a step of an exchange); a row whose item no
    longer waits is deleted by the next run."""

    __tablename__ = "review_followup"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    partnership_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("partnership.id", ondelete="CASCADE", name="fk_review_followup_partnership"),
            nullable=True,
        ),
    )
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger,
            ForeignKey("user.id", ondelete="CASCADE", name="fk_review_followup_user"),
            nullable=True,
        ),
    )
    exchange_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("exchange.id", ondelete="CASCADE", name="fk_review_followup_exchange"),
            nullable=True,
        ),
    )
    since: datetime
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None


PERSONAL_TABLES["review_followup"] = ("user_id",)


class SendSlot(SQLModel, table=True):
    """One slot of Telegram's send budget shared by all instances (``storage.send_budget``):
    when the send that took it may start, and when the send that last stamped it really
    started. PostgreSQL only; the rows are made at first use."""

    __tablename__ = "send_budget"

    slot: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    at: datetime
    started: datetime


class ConceptFeedback(SQLModel, table=True):
    """What one participant's answers taught the matching about one concept: a factor on
    its weight in their own proposals (below 1 after "Not for me: topics don't fit", above 1
    after a match both sides wanted). Never pooled across people."""

    __tablename__ = "concept_feedback"

    user_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("user.id", ondelete="CASCADE", name="fk_concept_feedback_user"),
            primary_key=True,
            autoincrement=False,
        )
    )
    concept: str = Field(max_length=64, primary_key=True)
    factor: float = 1.0
    updated_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["concept_feedback"] = ("user_id",)


# Columns that name a user who acted on someone else's data (staff, the other side). They are
# set to NULL when that user is erased; the rows belong to someone else. (On the user's own
# exchanges they name the placeholder instead: ``EXCHANGE_SIDES``.)
ACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "profile": ("reviewed_by",),
    "exchange": ("dates_by", "direction_by", "payment_approved_by", "paid_by"),
    "exchange_event": ("actor_id",),
    "event": ("created_by",),
}


def user_columns() -> dict[str, tuple[str, ...]]:
    """Every column that can hold a user's Telegram id, by table: the rows erased with the
    user, the exchanges' sides and the actors. ``/mydata`` exports the rows they select."""
    out: dict[str, list[str]] = {}
    for mapping in (PERSONAL_TABLES, {"exchange": tuple(EXCHANGE_SIDES)}, ACTOR_COLUMNS):
        for table, columns in mapping.items():
            known = out.setdefault(table, [])
            known.extend(c for c in columns if c not in known)
    return {table: tuple(columns) for table, columns in out.items()}
