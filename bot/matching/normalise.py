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


# Function words of English and German that carry no topic (folded with ``normalise``).
_STOP_WORDS_RAW = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves us via per etc eg ie looking look seek
seeking offer offering offers want wants like new company companies organisation organization
partner partners
aber alle allem allen aller alles als also am an ander andere anderen anderer anderes auch auf aus
bei bin bis bist da damit dann der den des dem die das dass daß derselbe dieselbe dasselbe dies
diese dieser dieses doch dort du durch ein eine einem einen einer eines einig einige er es etwas
euer eure für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihr ihre ihrem
ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jetzt kann kein keine
können könnte machen man manche mein meine mich mir mit muss musste nach nicht nichts noch nun
nur ob oder ohne sehr sein seine sich sie sind so solche soll sollte sondern sonst über um und
uns unser unsere unter viel vom von vor während war waren warum was weg weil weiter welche wenn
werde werden wie wieder will wir wird wo wollen wollte würde zu zum zur zwar zwischen suchen
sucht bieten bietet biete suche unternehmen firma partner partnern partnerin
"""
STOP_WORDS: frozenset[str] = frozenset(normalise(w) for w in _STOP_WORDS_RAW.split())


def content_words(text: str) -> str:
    """``normalise`` without the stop words: what a text is about, for fuzzy comparison."""
    return " ".join(w for w in normalise(text).split() if w not in STOP_WORDS and len(w) > 1)
