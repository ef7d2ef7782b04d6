"""Explanations of a proposal in the reader's language, from what actually matched."""

from __future__ import annotations

from bot.domain import ECOSYSTEMS
from bot.i18n import _, format_date, format_list, language_name, use_language
from bot.matching.engine import Reasons
from bot.matching.vocabulary import Vocabulary


def explain(
    reasons: Reasons, vocabulary: Vocabulary, lang: str, *, exchange: bool = True
) -> list[str]:
    """One line per reason, most important first (plain text, no markup). Without
    ``exchange`` (a meeting at an event) nobody visits anybody: no dates, no direction."""

    def concepts(ids: tuple[str, ...]) -> str:
        return format_list([vocabulary.label(c, lang) for c in ids], lang)

    def related(pairs: tuple[tuple[str, str], ...]) -> str:
        return format_list(
            [
                _("{offered} (for {sought})").format(
                    offered=vocabulary.label(offered, lang), sought=vocabulary.label(sought, lang)
                )
                for sought, offered in pairs
            ],
            lang,
        )

    with use_language(lang):
        lines: list[str] = []
        if reasons.they_offer_you_seek:
            lines.append(
                _("They offer what you seek: {topics}").format(
                    topics=concepts(reasons.they_offer_you_seek)
                )
            )
        if reasons.you_offer_they_seek:
            lines.append(
                _("You offer what they seek: {topics}").format(
                    topics=concepts(reasons.you_offer_they_seek)
                )
            )
        if reasons.they_offer_related:
            lines.append(
                _("They offer something close to what you seek: {topics}").format(
                    topics=related(reasons.they_offer_related)
                )
            )
        if reasons.you_offer_related:
            lines.append(
                _("You offer something close to what they seek: {topics}").format(
                    topics=related(reasons.you_offer_related)
                )
            )
        extra = tuple(
            c
            for c in reasons.shared_concepts
            if c not in reasons.they_offer_you_seek and c not in reasons.you_offer_they_seek
        )
        if extra:
            lines.append(_("You both work on: {topics}").format(topics=concepts(extra)))
        if reasons.shared_ecosystems:
            lines.append(
                _("Shared ecosystems: {ecosystems}").format(
                    ecosystems=format_list([_(ECOSYSTEMS[e]) for e in reasons.shared_ecosystems])
                )
            )
        if reasons.shared_languages:
            lines.append(
                _("Common languages: {languages}").format(
                    languages=format_list(
                        [language_name(c, lang) for c in reasons.shared_languages]
                    )
                )
            )
        if reasons.window is not None:
            start, end = reasons.window
            if end is None:
                lines.append(
                    _("Both available from {start}").format(start=format_date(start, lang))
                )
            else:
                lines.append(
                    _("Both available {start} – {end}").format(
                        start=format_date(start, lang), end=format_date(end, lang)
                    )
                )
        if exchange:
            lines.append(
                _("You would visit them.") if reasons.you_visit else _("They would visit you.")
            )
        return lines
