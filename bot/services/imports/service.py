"""Staff imports of registrations (interchange format) and their claim through an invite link."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bot.matching.interchange import ProfileRecord
from bot.services import deeplinks
from bot.services.unit import Unit
from storage import repo
from storage.models import ImportedProfile, utcnow


@dataclass
class ImportReport:
    """What an import did, and the invite payload of every record."""

    created: int = 0
    updated: int = 0
    claimed: int = 0  # already claimed: the live profile belongs to its owner and is left alone
    invites: dict[str, str] = field(default_factory=dict)  # external id → /start payload


def record_to_json(record: ProfileRecord) -> dict[str, Any]:
    """A record as stored (dates as ISO strings)."""
    data = asdict(record)
    for key in ("available_from", "available_to"):
        value = data[key]
        data[key] = value.isoformat() if isinstance(value, date) else None
    data["ecosystems"] = list(record.ecosystems)
    data["languages"] = list(record.languages)
    data.pop("line", None)
    return data


async def import_records(unit: Unit, records: list[ProfileRecord]) -> ImportReport:
    """Insert new records, update known ids (same invite link), in the unit's transaction."""
    report = ImportReport()
    for record in records:
        row = await repo.get_import(unit.session, external_id=record.id)
        data = record_to_json(record)
        if row is None:
            row = ImportedProfile(
                external_id=record.id, record=data, invite_token=secrets.token_urlsafe(12)
            )
            unit.session.add(row)
            report.created += 1
        else:
            row.record, row.updated_at = data, utcnow()
            report.updated += 1
            report.claimed += row.claimed_by is not None
        report.invites[record.id] = deeplinks.payload(deeplinks.IMPORT, row.invite_token)
    return report
