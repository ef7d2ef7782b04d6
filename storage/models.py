"""SQLModel tables. Every row that holds personal data hangs off ``User`` and is deleted with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Text
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


# Tables whose rows carry a user's personal data, with the column that names the user.
PERSONAL_TABLES: dict[str, str] = {"user": "id", "profile": "user_id"}
