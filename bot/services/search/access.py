"""What other features may ask of search: its conversation state (the query being typed)."""

from __future__ import annotations

QUERY = "sq_text"
STATES = frozenset({QUERY})
