"""Rendering a profile for its owner (summary, /profile) in the reader's language."""

from __future__ import annotations

from bot.domain import ECOSYSTEMS, ORG_TYPE_LABELS, ROLE_SHORT
from bot.i18n import N_, _, country_name, format_date, format_date_range, format_list, language_name
from bot.services.ui import esc
from storage.models import Profile

# Editable fields, in the order of the conversation, with their labels.
FIELD_LABELS: dict[str, str] = {
    "role": N_("Role"),
    "org_type": N_("Organisation type"),
    "name": N_("Name"),
    "organisation": N_("Organisation"),
    "country": N_("Country"),
    "city": N_("City"),
    "ecosystems": N_("Ecosystems"),
    "partnership": N_("Partnership"),
    "offers": N_("Offers"),
    "seeks": N_("Seeks"),
    "languages": N_("Languages"),
    "availability": N_("Availability"),
    "motivation": N_("Motivation"),
    "email": N_("E-mail"),
}


def field_value(profile: Profile, key: str, partnerships: dict[int, str] | None = None) -> str:
    """One field, formatted and escaped; an em dash when empty."""
    none = "—"
    if key == "partnership":
        name = (partnerships or {}).get(profile.partnership_id or 0)
        return esc(name) if name else none
    if key == "role":
        return _(ROLE_SHORT[profile.role]) if profile.role in ROLE_SHORT else none
    if key == "org_type":
        return _(ORG_TYPE_LABELS[profile.org_type]) if profile.org_type in ORG_TYPE_LABELS else none
    if key == "country":
        return esc(country_name(profile.country)) if profile.country else none
    if key == "ecosystems":
        names = [_(ECOSYSTEMS[s]) for s in profile.ecosystems if s in ECOSYSTEMS]
        return esc(format_list(names)) if names else none
    if key == "languages":
        return esc(format_list([language_name(c) for c in profile.languages])) or none
    if key == "availability":
        if profile.available_from and profile.available_to:
            return format_date_range(profile.available_from, profile.available_to)
        if profile.available_from:
            return format_date(profile.available_from) + " – …"
        return none
    value = getattr(profile, key, None)
    return esc(value) if value else none


def fields(with_partnership: bool) -> dict[str, str]:
    """The editable fields; the partnership only where partnerships exist."""
    if with_partnership:
        return FIELD_LABELS
    return {k: v for k, v in FIELD_LABELS.items() if k != "partnership"}


def profile_card(profile: Profile, title: str, partnerships: dict[int, str] | None = None) -> str:
    """The whole profile as an HTML message (``partnerships``: names by id, if any exist)."""
    lines = [f"<b>{esc(title)}</b>", ""]
    for key, label in fields(bool(partnerships)).items():
        value = field_value(profile, key, partnerships)
        if key in {"offers", "seeks", "motivation"}:
            lines.append(f"<b>{esc(_(label))}:</b>\n{value}")
        else:
            lines.append(f"<b>{esc(_(label))}:</b> {value}")
    return "\n".join(lines)


# A change of these fields of an approved profile goes back to the partnership's validation
# (the others apply at once); the city and its coordinates travel with the country.
MATERIAL = ("role", "organisation", "country", "offers", "seeks")
HELD = (*MATERIAL, "city", "city_geoname_id", "latitude", "longitude")


def change_lines(profile: Profile, names: dict[int, str] | None = None) -> list[str]:
    """The fields a pending change touches: "Offers: old → new", escaped."""
    pending = profile.pending_changes or {}
    after = Profile(
        **{c: getattr(profile, c) for c in ("user_id", *HELD, "partnership_id")},
    )
    for f, value in pending.items():
        if f in HELD:
            setattr(after, f, value)
    lines = []
    for f in MATERIAL:
        if f in pending or (f == "country" and "city" in pending):
            key = f
            label = _(FIELD_LABELS[key])
            old, new = field_value(profile, key, names), field_value(after, key, names)
            if f == "country":
                old = f"{esc(profile.city or '')}, {old}"
                new = f"{esc(after.city or '')}, {new}"
            lines.append(f"• <b>{esc(label)}:</b> {old} → {new}")
    return lines
