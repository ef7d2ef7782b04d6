"""The search a user is shown (``state_data``): query, criteria, page, and the version every
button of its message carries; the query's cleaning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services.profile_text import clean_text
from bot.services.search.ranking import Filters
from storage.models import User

MAX_QUERY = 200  # characters of a query


@dataclass(frozen=True)
class Saved:
    """The search shown to a user (``state_data["search"]``)."""

    version: int
    query: str
    filters: Filters
    page: int = 0

    def to_json(self) -> dict[str, Any]:
        f = self.filters
        return {
            "v": self.version,
            "q": self.query,
            "role": f.role,
            "country": f.country,
            "ecosystem": f.ecosystem,
            "language": f.language,
            "soon": f.soon,
            "status": f.status,
            "partnership": f.partnership,
            "page": self.page,
        }

    @classmethod
    def from_json(cls, data: object) -> Saved | None:
        if not isinstance(data, dict):
            return None
        try:
            filters = Filters(
                role=str(data.get("role") or ""),
                country=str(data.get("country") or ""),
                ecosystem=str(data.get("ecosystem") or ""),
                language=str(data.get("language") or ""),
                soon=bool(data.get("soon")),
                status=str(data.get("status") or ""),
                partnership=str(data.get("partnership") or ""),
            )
            return cls(int(data["v"]), str(data["q"]), filters, int(data.get("page") or 0))
        except (KeyError, TypeError, ValueError):
            return None


def load(user: User, name: str) -> Saved | None:
    """The search kept under ``name`` (``search``, ``staff_search``), if any."""
    return Saved.from_json(user.state_data.get(name))


def save(user: User, name: str, saved: Saved) -> None:
    user.state_data = {**user.state_data, name: saved.to_json()}


def next_version(user: User, name: str) -> int:
    """A version no earlier results message of this user carries."""
    saved = load(user, name)
    return max(saved.version if saved else 0, user.state_version) + 1


def clean(text: str) -> str:
    """The query as typed, without control characters; raises ``InputError``."""
    return clean_text(text, limit=MAX_QUERY, single_line=True, min_letters=2)
