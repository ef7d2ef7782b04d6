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

# The 14 industrial ecosystems of the EU Industrial Strategy, by stable slug.
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
    "mobility-transport-automotive": N_("Mobility, transport and automotive"),
    "proximity-social-economy": N_("Proximity, social economy and civil society"),
    "retail": N_("Retail"),
    "textiles": N_("Textiles"),
    "tourism": N_("Tourism"),
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
