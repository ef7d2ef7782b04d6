"""Catalog completeness: every message has a German translation with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import (
    _,
    format_date,
    locales_dir,
    pick_language,
    use_language,
)

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+>")
ROOT = Path(__file__).resolve().parents[2]


def _catalog(lang: str):
    with (locales_dir() / lang / "LC_MESSAGES" / "cxbot.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _messages(lang: str):
    return [m for m in _catalog(lang) if m.id]


def test_every_message_has_a_german_translation() -> None:
    missing = [
        m.id
        for m in _messages("de")
        if not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    assert missing == []


def test_no_fuzzy_german_translations() -> None:
    assert [m.id for m in _messages("de") if m.fuzzy] == []


@pytest.mark.parametrize("lang", ["de"])
def test_placeholders_and_tags_match(lang: str) -> None:
    bad = []
    for m in _messages(lang):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for i, s in enumerate(strings):
            # The singular may say "one" in words; every other form has the plural's.
            source = ids[0] if i == 0 else ids[-1]
            for pattern in (PLACEHOLDER, TAG):
                if Counter(pattern.findall(source)) != Counter(pattern.findall(s)):
                    bad.append((m.id, s))
    assert bad == []


def test_catalog_is_in_sync_with_the_code(tmp_path: Path) -> None:
    """Every string marked in the code is in the template and in both catalogs."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_", "-k", "N_", "-k", "ngettext:1,2", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    for lang in ("en", "de"):
        have = {m.id for m in _messages(lang)}
        assert wanted - have == set(), f"{lang} catalog lacks messages: run scripts/i18n update"


# Placeholders that hold how many of something there are: a sentence with one of them needs
# the singular and the plural ("1 working day", "1 Arbeitstag"), so it must be an ngettext
# entry. A label followed by its figure ("Signed up: {n}") reads the same for any number.
COUNTS = re.compile(r"\{(count|n|days|people|attendees|items)\}")


def counts_without_plural(messages) -> list[str]:  # type: ignore[no-untyped-def]
    """Singular messages that put a count into a sentence."""
    found = []
    for m in messages:
        if not m.id or isinstance(m.id, tuple):
            continue
        for match in COUNTS.finditer(m.id):
            if not m.id[: match.start()].rstrip().endswith(":"):
                found.append(m.id)
                break
    return found


def test_every_count_in_a_sentence_goes_through_ngettext() -> None:
    assert counts_without_plural(_messages("en")) == []


def test_the_plural_check_can_fail() -> None:
    from babel.messages.catalog import Message

    messages = [
        Message("That is only {days} working days."),  # "only 1 working days"
        Message("Signed up: {n}"),  # a label: fine
        Message(("{n} working day", "{n} working days")),  # ngettext: fine
    ]
    assert counts_without_plural(messages) == ["That is only {days} working days."]


def test_language_resolution_order() -> None:
    assert pick_language("de", "en") == "de"
    assert pick_language(None, "de-CH") == "de"
    assert pick_language(None, "fr") == "en"
    assert pick_language("xx", None) == "en"


def test_translation_and_dates_follow_the_language() -> None:
    from datetime import date

    with use_language("de"):
        assert _("Done") == "Fertig"
        assert format_date(date(2027, 3, 1)) == "01.03.2027"
    with use_language("en"):
        assert _("Done") == "Done"
        assert format_date(date(2027, 3, 1)) == "1 Mar 2027"
