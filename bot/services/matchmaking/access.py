"""What other features may ask of matchmaking: the running population index (who takes part
in matching, validated and complete) and a participant's key in it."""

from __future__ import annotations

from bot.services.matchmaking.population import OFF_LOOP_FROM, Population, Snapshot, key

__all__ = ["OFF_LOOP_FROM", "Population", "Snapshot", "key"]
