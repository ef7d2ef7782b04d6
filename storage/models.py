"""SQLModel tables. Every row that holds personal data hangs off ``User`` and is deleted with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC timestamp (SQLModel stores it portably on SQLite and PostgreSQL)."""
    return datetime.now(UTC)


class ConsentState:
    """Values of ``User.consent``."""

    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"


class User(SQLModel, table=True):
    """A Telegram user the bot talks to, with where they are in the conversation."""

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    consent: str = Field(default=ConsentState.PENDING, max_length=16)
    consent_at: datetime | None = None
    language: str | None = Field(default=None, max_length=8)
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
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Profile(SQLModel, table=True):
    """A participant's ClusterXchange profile; complete once ``completed_at`` is set."""

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
    completed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# Tables whose rows carry a user's personal data, with the columns that name the user.
PERSONAL_TABLES: dict[str, tuple[str, ...]] = {"user": ("id",), "profile": ("user_id",)}


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
    updated_at: datetime = Field(default_factory=utcnow)


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
    updated_at: datetime = Field(default_factory=utcnow)


PERSONAL_TABLES["imported_profile"] = ("claimed_by",)
