"""Text normalisation shared by place resolution and matching: pure Python, no I/O.

``normalise`` folds case, diacritics, ß and the German umlaut digraphs (``München``,
``Muenchen`` and ``Munchen`` all become ``munchen``) and turns punctuation into spaces.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ŀ": "l",
        "ŋ": "n",
    }
)
_NON_WORD = re.compile(r"[\W_]+")
_UMLAUT_DIGRAPH = re.compile(r"([aou])e")
_UMLAUT_EXPAND = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
GERMAN_LETTERS = frozenset("äöüÄÖÜß")


def light_fold(text: str) -> str:
    """Casefold, strip diacritics and fold punctuation, but keep 'ae'/'oe'/'ue' digraphs."""
    text = text.casefold().translate(_SPECIAL_LETTERS)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    # NFKD may expose letters (e.g. from ligatures) that need the special table again.
    text = text.translate(_SPECIAL_LETTERS)
    return " ".join(_NON_WORD.sub(" ", text).split())


def normalise(text: str) -> str:
    """Fold for matching: casefold, no diacritics, ß->ss, ae/oe/ue->a/o/u, punctuation->space."""
    return " ".join(_UMLAUT_DIGRAPH.sub(r"\1", light_fold(text)).split())


def expand_umlauts(text: str) -> str:
    """Light-fold text after writing German umlauts as digraphs (München -> muenchen)."""
    return light_fold(unicodedata.normalize("NFC", text.casefold()).translate(_UMLAUT_EXPAND))


def compare_form(text: str) -> str:
    """Casefold and fold punctuation but keep diacritics (for 'typed exactly like this')."""
    return " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFC", text.casefold())).split())
