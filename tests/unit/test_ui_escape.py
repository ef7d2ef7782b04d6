"""``esc``: user text is escaped for HTML, and directional controls act on it alone."""

from __future__ import annotations

import pytest

from bot.services.ui import esc

FSI, PDI, RLO, LRI, RLI = "\u2068", "\u2069", "\u202e", "\u2066", "\u2067"


@pytest.mark.parametrize(
    "typed",
    ["Müller & Söhne <GmbH>", "R&D", "שלום", "\u200fمرحبا", "🚀", ""],  # RLM is a mark: no scope
)
def test_text_without_directional_controls_is_only_escaped(typed: str) -> None:
    assert esc(typed) == typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (f"{RLO}Evil Corp", f"{FSI}{RLO}Evil Corp{PDI}"),  # the override ends with the isolate
        (f"a{RLI}b", f"{FSI}a{RLI}b{PDI}{PDI}"),  # an isolate left open is closed first
        (f"{PDI}{RLO}x", f"{FSI}{RLO}x{PDI}"),  # a PDI closing nothing would close ours
        (f"{LRI}a{PDI}{PDI}b", f"{FSI}{LRI}a{PDI}b{PDI}"),
        (f"<{RLO}&", f"{FSI}&lt;{RLO}&amp;{PDI}"),
    ],
)
def test_directional_controls_are_isolated(typed: str, shown: str) -> None:
    assert esc(typed) == shown


def test_every_isolate_of_the_result_is_closed() -> None:
    for typed in (f"{PDI}{PDI}{RLI}{RLI}{LRI}x{PDI}", f"{RLO}{RLO}{PDI}", f"{FSI}{FSI}{FSI}"):
        depth = 0
        for c in esc(typed):
            if c in (FSI, LRI, RLI):
                depth += 1
            elif c == PDI:
                depth -= 1
                assert depth >= 0
        assert depth == 0
