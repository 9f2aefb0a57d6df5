"""Who may speak for a unit: flags for admins (and the unit) when a mail's sender is not what it claims.

- A mail attributed to a unit by its content, from an address not registered for that unit
  (a personal address, or someone else's): flagged ``SENDER_FLAG``; the acknowledgment asks the
  unit to confirm the address, the digest lists it.
- ``Authentication-Results`` (RFC 8601) added by the receiving server saying SPF, DKIM or DMARC
  failed: flagged ``AUTH_FLAG`` (the topmost header is the one our provider wrote; lower ones may
  be forged by the sender and are ignored).

Flags are stored in the message's ``notes`` (each note starts with its flag), so they can be
queried from the ledger: ``SELECT key FROM messages WHERE notes LIKE '%【发件人未登记】%'``.
"""
from __future__ import annotations

import re

SENDER_FLAG = "【发件人未登记】"
AUTH_FLAG = "【发件认证未通过】"
_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*(fail|softfail|permerror|temperror|none|neutral|pass|policy)\b", re.I)
_BAD = {"fail", "softfail", "permerror"}


def auth_failures(headers: dict[str, list[str]]) -> list[str]:
    """``["spf=fail", "dkim=fail"]`` from the topmost Authentication-Results header, or []."""
    values = headers.get("authentication-results") or []
    if not values:
        return []
    found = []
    for method, result in _RESULT.findall(values[0][:4000]):
        item = f"{method.lower()}={result.lower()}"
        if result.lower() in _BAD and item not in found:
            found.append(item)
    return found


def trust_notes(envelope, unit, how: str, office_addresses: set[str]) -> tuple[list[str], list[str]]:
    """(notes for admins, fixes for the unit) about the sender of a submission attributed to ``unit``."""
    notes: list[str] = []
    fixes: list[str] = []
    failures = auth_failures(envelope.headers)
    if failures:
        notes.append(f"{AUTH_FLAG}收件服务器记录的发件人认证结果为 {', '.join(failures)}，发件人可能被冒用，请人工核实")
    sender = (envelope.from_addr or "").lower()
    if unit is not None and how == "content" and sender and sender not in office_addresses \
            and sender not in {e.lower() for e in unit.emails}:
        notes.append(f"{SENDER_FLAG}发件地址 {sender} 不是“{unit.name}”登记的邮箱，按材料内容归属，请核实")
        fixes.append(f"本邮件的发件地址（{sender}）不是贵单位登记的报送邮箱；如确为贵单位报送，请回复确认，"
                     "今后请尽量使用登记邮箱发送")
    return notes, fixes
