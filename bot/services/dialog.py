"""Questions another service asks in the middle of a conversation (exchange steps, staff
input): the user's row remembers where they were, and they return there afterwards."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from storage.models import User, utcnow


def ask(user: User, state: str, data: dict[str, Any], own_states: Collection[str]) -> None:
    """Put ``user`` at ``state``; the state before the service's questions is kept."""
    resume = user.state_data.get("resume") if user.state in own_states else None
    if resume is None:
        resume = {"state": user.state, "data": user.state_data}
    user.state, user.state_data = state, {**data, "resume": resume}
    user.state_version += 1
    user.updated_at = utcnow()


def resume(user: User) -> None:
    """Back to where the user was before the questions (idle when unknown)."""
    saved = user.state_data.get("resume") or {"state": "idle", "data": {}}
    user.state, user.state_data = saved["state"], saved["data"]
    user.state_version += 1
    user.updated_at = utcnow()
