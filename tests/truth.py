"""Compare an exported dataset with the sample generator's ground truth."""
from __future__ import annotations

from dataclasses import dataclass, field

FIELDS = ("start_date", "end_date", "location", "format", "participants")


@dataclass
class Comparison:
    messages: int = 0
    message_errors: list[str] = field(default_factory=list)
    activities_expected: int = 0
    activities_found: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    field_errors: list[str] = field(default_factory=list)
    unit_errors: list[str] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return not (self.message_errors or self.missing or self.extra or self.field_errors or self.unit_errors)

    def report(self) -> str:
        lines = self.message_errors + self.missing + self.extra + self.field_errors + self.unit_errors
        return "\n".join(lines[:60])


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def compare(sample, data: dict) -> Comparison:
    result = Comparison(messages=len(sample.mails))
    by_id = {m["message_id"]: m for m in data["messages"]}
    for mail in sample.mails:
        truth, got = mail.truth, by_id.get(mail.message_id)
        if got is None:
            result.message_errors.append(f"missing message {mail.message_id} ({truth.case})")
            continue
        want = (truth.status, truth.unit_id, truth.late)
        have = (got["status"], got["unit_id"], got["late"])
        if want != have:
            result.message_errors.append(f"{truth.case} {mail.message_id}: want {want}, got {have} ({got['reason']})")

    expected = sample.expected_current()
    found: dict[str, dict[str, dict]] = {}
    for a in data["activities"]:
        found.setdefault(a["unit_id"], {})[a["title"]] = a
    result.activities_found = len(data["activities"])
    for unit_id, activities in expected.items():
        have = dict(found.get(unit_id, {}))
        for e in activities:
            result.activities_expected += 1
            got = have.pop(e.title, None)
            if got is None:
                result.missing.append(f"missing activity {unit_id}: {e.title}")
                continue
            for name in FIELDS:
                if got[name] != _iso(getattr(e, name)):
                    result.field_errors.append(f"{unit_id} {e.title} {name}: want {_iso(getattr(e, name))!r}, "
                                               f"got {got[name]!r} ({got['source']})")
        result.extra += [f"extra activity {unit_id}: {t}" for t in have]
    result.extra += [f"extra activity {u}: {t}" for u in found if u not in expected for t in found[u]]

    units = sample.expected_units()
    for unit in data["units"]:
        want = units[unit["unit_id"]]
        for key in ("submitted", "late", "reported", "required", "met"):
            if unit[key] != want[key]:
                result.unit_errors.append(f"unit {unit['unit_id']} {key}: want {want[key]}, got {unit[key]}")
    return result
