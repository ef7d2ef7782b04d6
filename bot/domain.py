"""The scheme's vocabulary: roles, organisation types, the 14 industrial ecosystems, languages.

Labels are marked with ``N_`` and translated where they are shown.
"""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import N_


class Role(StrEnum):
    """Who travels: a visitor visits, a host receives, ``both`` can play either."""

    VISITOR = "visitor"
    HOST = "host"
    BOTH = "both"


ROLE_LABELS: dict[str, str] = {
    Role.VISITOR: N_("Visitor: we want to visit a host abroad"),
    Role.HOST: N_("Host: we want to receive a visitor"),
    Role.BOTH: N_("Both: visit and host"),
}
ROLE_SHORT: dict[str, str] = {
    Role.VISITOR: N_("Visitor"),
    Role.HOST: N_("Host"),
    Role.BOTH: N_("Visitor and host"),
}


class OrgType(StrEnum):
    """Organisation types of the interchange format (SCHEME §2)."""

    CLUSTER = "cluster"
    SME = "sme"
    SUPPORT = "support"
    LARGE = "large"
    PUBLIC = "public"
    TRAINING = "training"


ORG_TYPE_LABELS: dict[str, str] = {
    OrgType.CLUSTER: N_("Cluster organisation"),
    OrgType.SME: N_("SME or start-up"),
    OrgType.SUPPORT: N_("Scaling-up support organisation"),
    OrgType.LARGE: N_("Large company"),
    OrgType.PUBLIC: N_("Public body"),
    OrgType.TRAINING: N_("Training provider"),
}

# Only hosts may be large companies, public bodies or training providers (SCHEME §1).
HOST_ONLY_ORG_TYPES = frozenset({OrgType.LARGE, OrgType.PUBLIC, OrgType.TRAINING})

# The 14 industrial ecosystems of the EU Industrial Strategy, by stable slug; the English
# names are the Commission's, the German ones those of docs/GLOSSARY.md (in the catalog).
ECOSYSTEMS: dict[str, str] = {
    "aerospace-defence": N_("Aerospace & defence"),
    "agri-food": N_("Agri-food"),
    "construction": N_("Construction"),
    "cultural-creative": N_("Cultural and creative industries"),
    "digital": N_("Digital"),
    "electronics": N_("Electronics"),
    "energy-intensive": N_("Energy-intensive industries"),
    "renewable-energy": N_("Renewable energy"),
    "health": N_("Health"),
    "mobility-transport-automotive": N_("Mobility – transport – automotive"),
    "proximity-social-economy": N_("Proximity, social economy and civil security"),
    "retail": N_("Retail"),
    "textiles": N_("Textiles"),
    "tourism": N_("Tourism"),
}
# What else is accepted on input (imports, typed answers), besides the slug and the English
# name: the German name shown, the variants of docs/GLOSSARY.md, and labels used before
# (the proximity ecosystem was once mislabelled "civil society"). Matching folds case,
# accents, dashes, "&"/"und"/"and" and typos (bot/matching/ecosystems.py).
ECOSYSTEM_FORMS: dict[str, tuple[str, ...]] = {
    "aerospace-defence": (
        "Luft- und Raumfahrt und Verteidigung",
        "Luft- und Raumfahrt & Verteidigung",
        "Aerospace and defense",
    ),
    "agri-food": (
        "Agrar- und Lebensmittelwirtschaft",
        "Agrar- und Ernährungswirtschaft",
        "Agrarlebensmittel",
        "Agrifood",
    ),
    "construction": ("Baugewerbe", "Bauwirtschaft", "Bauwesen"),
    "cultural-creative": ("Kultur- und Kreativwirtschaft", "Cultural and creative"),
    "digital": ("Digitales", "Digitalwirtschaft", "digitale Wirtschaft"),
    "electronics": ("Elektronik",),
    "energy-intensive": ("Energieintensive Industrien", "Energy intensive"),
    "renewable-energy": ("Erneuerbare Energien", "Energie – Erneuerbare", "Renewables"),
    "health": ("Gesundheit", "Gesundheitswirtschaft", "Gesundheitswesen"),
    "mobility-transport-automotive": (
        "Mobilität – Verkehr – Automobilindustrie",
        "Mobilität, Verkehr und Automobilindustrie",
        "Mobility, transport and automotive",
    ),
    "proximity-social-economy": (
        "Nahversorgung, Sozialwirtschaft und zivile Sicherheit",
        "Nahversorgung, Sozialwirtschaft und Zivilgesellschaft",
        "Proximity, social economy and civil society",
    ),
    "retail": ("Einzelhandel",),
    "textiles": ("Textilien", "Textilwirtschaft"),
    "tourism": ("Tourismus",),
}
MAX_ECOSYSTEMS = 3

# Spoken languages offered as buttons (ISO 639-1): EU official languages and those of the
# COSME countries, most common first. Names come from CLDR in the reader's language.
LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "it", "pl", "nl", "pt", "cs", "sk", "sl", "hr",
    "hu", "ro", "bg", "el", "sv", "da", "fi", "et", "lv", "lt", "ga", "mt",
    "tr", "uk", "sq", "sr", "bs", "mk", "is", "hy",
)  # fmt: skip

# Field limits (characters).
LIMITS: dict[str, int] = {
    "name": 80,
    "organisation": 120,
    "city": 80,
    "offers": 1000,
    "seeks": 1000,
    "motivation": 1500,
    "email": 254,
}
# How far ahead an availability window may reach.
MAX_MONTHS_AHEAD = 18
