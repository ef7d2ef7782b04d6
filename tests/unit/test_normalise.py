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


def test_content_words_drop_function_words_in_both_languages() -> None:
    from bot.matching.normalise import content_words

    assert content_words("We are looking for partners in the textile industry") == (
        "textile industry"
    )
    assert content_words("Wir suchen Partner für die Textilindustrie") == "textilindustrie"
