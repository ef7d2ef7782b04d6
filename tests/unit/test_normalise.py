"""Text normalisation used by place resolution and matching."""

import pytest

from bot.matching.normalise import expand_umlauts, normalise


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("München", "Muenchen"),
        ("München", "Munchen"),
        ("Straße", "Strasse"),
        ("Köln", "KOELN"),
        ("Frankfurt/Main", "frankfurt main"),
        ("Łódź", "Lodz"),
        ("  3D-Druck!  ", "3d druck"),
    ],
)
def test_spellings_meet(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


def test_distinct_words_stay_distinct() -> None:
    assert normalise("Graz") != normalise("Gratz")
    assert normalise("Berlin") != normalise("Bern")


def test_expand_umlauts() -> None:
    assert expand_umlauts("München") == "muenchen"
