"""What other features may ask of matchmaking: the running population index (who takes part
in matching, validated and complete), a participant's key in it, and how a profile row
becomes a participant with its terms (stored ones when still valid)."""

from __future__ import annotations

from bot.services.matchmaking.population import (
    OFF_LOOP_FROM,
    Population,
    Snapshot,
    key,
    participant,
    terms_of,
)

__all__ = ["OFF_LOOP_FROM", "Population", "Snapshot", "key", "participant", "terms_of"]
