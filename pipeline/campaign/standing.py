"""Where the campaign stands, derived from the ledger: statuses, current activities, quotas.

Nothing here is stored: superseding and quota status are recomputed from the messages each
time, so a reingest or a registry change can never leave a stale verdict behind.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from pipeline.campaign.registry import Registry
from pipeline.ledger.rows import MessageRow


@dataclass
class MessageStatus:
    status: str  # accepted | superseded | needs_review | ignored
    reason: str
    parts: dict[str, str] = field(default_factory=dict)  # unit_id -> status, for a mail carrying several units' files

    def status_for(self, unit_id: str | None) -> str:
        """The status of the part that counts for ``unit_id`` (the message's own status for a one-unit mail)."""
        return self.parts.get(unit_id or "", self.status) if self.parts else self.status


def unit_views(m: MessageRow) -> list[MessageRow]:
    """A message as each unit sees it: itself, or for a mail of several units one view per part (its
    unit, standing and what it carries), so superseding and current lists work per unit."""
    if not m.parts:
        return [m]
    return [replace(m, unit_id=p.unit_id, standing=p.standing, carries_list=p.carries_list,
                    carries_narrative=p.carries_narrative) for p in m.parts]


def _fold(key: str, views: list[MessageRow], by_view: dict[tuple[str, str], MessageStatus]) -> MessageStatus:
    """One status for a mail of several units: accepted while any part counts, then needs_review, else
    superseded; the reason names each unit's part where they differ."""
    mine = {v.unit_id or "": by_view[(key, v.unit_id or "")] for v in views}
    statuses = {u: st.status for u, st in mine.items()}
    status = next(s for s in ("accepted", "needs_review", "superseded") if s in statuses.values() or s == "superseded")
    reasons = list(dict.fromkeys(st.reason for st in mine.values()))
    reason = reasons[0] if len(reasons) == 1 else "；".join(f"{u}：{st.reason}" for u, st in mine.items())
    return MessageStatus(status, reason, statuses)


@dataclass
class UnitProgress:
    unit_id: str
    name: str
    category: str
    required: int
    reported: int
    met: bool
    submitted: bool
    late: bool
    last_received_at: str | None
    current_key: str | None  # the message whose activity list is current
    message_keys: list[str] = field(default_factory=list)


def _complements(m: MessageRow) -> bool:
    """A narrative without an activity list: accepted once the unit's list arrives by another mail."""
    return m.outcome == "needs_review" and bool(m.carries_narrative) and not m.carries_list \
        and m.kind == "submission" and m.unit_id is not None


def message_statuses(messages: Iterable[MessageRow]) -> dict[str, MessageStatus]:
    """Final status of every message; ``messages`` are ledger rows (any order)."""
    ordered = sorted(messages, key=lambda m: (m.received_at or "", m.key))
    out: dict[str, MessageStatus] = {}
    by_unit: dict[str, list[MessageRow]] = {}
    split: dict[str, list[MessageRow]] = {}
    for m in ordered:
        if m.state == "parked":
            out[m.key] = MessageStatus("needs_review", m.reason or f"处理失败：{m.last_error or ''}")
        elif m.state != "done":
            out[m.key] = MessageStatus("needs_review", "尚未处理完毕")
        elif m.outcome == "ignored":
            out[m.key] = MessageStatus("ignored", m.reason or "")
        elif m.unit_id is None:
            out[m.key] = MessageStatus(m.outcome or "needs_review", m.reason or "")
        else:
            views = unit_views(m)
            if len(views) > 1 or views[0] is not m:
                split[m.key] = views
            for view in views:
                by_unit.setdefault(view.unit_id or "", []).append(view)
    by_view: dict[tuple[str, str], MessageStatus] = {}
    for unit_messages in by_unit.values():
        for m, status in _unit_statuses(unit_messages):
            by_view[(m.key, m.unit_id or "")] = status
    for key, views in split.items():
        out[key] = _fold(key, views, by_view)
    out.update({key: st for (key, _), st in by_view.items() if key not in split})
    return out


def _unit_statuses(unit_messages: list[MessageRow]) -> list[tuple[MessageRow, MessageStatus]]:
    """Statuses of one unit's messages (in order): later accepted mail supersedes what it covers."""
    effective, reasons = _vouched(unit_messages)
    out = []
    for i, m in enumerate(unit_messages):
        status, reason = effective[m.key], reasons.get(m.key, m.reason or "")
        # what another address sent never replaces what the unit's own address sent
        later_accepted = [n for n in unit_messages[i + 1:] if effective[n.key] == "accepted"
                          and (n.standing == "own" or m.standing != "own")]
        if status == "needs_review" and later_accepted:
            status, reason = "superseded", f"已由后来的邮件（{(later_accepted[0].received_at or '')[:16]}）取代"
        elif status == "accepted":
            covering = [n for n in later_accepted if _covers(n, m)]
            if covering:
                status, reason = "superseded", f"已由后来的邮件（{(covering[0].received_at or '')[:16]}）更新"
            elif _complements(m):
                reason = "活动总结（活动明细见本单位另一封邮件）"
        out.append((m, MessageStatus(status, reason)))
    return out


def _covers(later: MessageRow, earlier: MessageRow) -> bool:
    return (not earlier.carries_list or bool(later.carries_list)) \
        and (not earlier.carries_narrative or bool(later.carries_narrative))


def _replaces_part(later: MessageRow, earlier: MessageRow) -> bool:
    """The later message would take the place of the earlier's activity list or narrative."""
    return bool(later.carries_list and earlier.carries_list) \
        or bool(later.carries_narrative and earlier.carries_narrative)


def _vouched(unit_messages: Sequence[MessageRow]) -> tuple[dict[str, str], dict[str, str]]:
    """Outcome of each of a unit's messages once complements are counted, and a mail from another
    address that would replace what the unit's own address sent is held for a person (review assign)."""
    has_list = any(m.outcome == "accepted" and m.carries_list for m in unit_messages)
    effective = {m.key: ("accepted" if _complements(m) and has_list else m.outcome or "needs_review")
                 for m in unit_messages}
    reasons: dict[str, str] = {}
    for i, m in enumerate(unit_messages):
        if effective[m.key] != "accepted" or m.standing == "own":
            continue
        own = [n for n in unit_messages[:i] if effective[n.key] == "accepted" and n.standing == "own"]
        if any(_replaces_part(m, n) for n in own):
            effective[m.key] = "needs_review"
            what = "他单位转发" if m.standing == "forward" else "非该单位登记邮箱发来"
            reasons[m.key] = (f"{what}的材料，该单位已从登记邮箱报送过（{(own[-1].received_at or '')[:16]}），"
                                 "未替换原有数据；确认后用 review assign 归属")
    return effective, reasons


def current_list_keys(messages: Iterable[MessageRow], statuses: Mapping[str, MessageStatus]) -> dict[str, str]:
    """unit_id -> key of its newest accepted message that carries an activity list."""
    current: dict[str, tuple[str, str]] = {}
    for m in (view for row in messages for view in unit_views(row)):
        if statuses[m.key].status_for(m.unit_id) == "accepted" and m.carries_list and m.unit_id:
            stamp = (m.received_at or "", m.key)
            if m.unit_id not in current or stamp > current[m.unit_id]:
                current[m.unit_id] = stamp
    return {unit: stamp[1] for unit, stamp in current.items()}


def unit_progress(registry: Registry, quotas: Mapping[str, int], messages: Sequence[MessageRow],
                  statuses: Mapping[str, MessageStatus], activity_counts: Mapping[Any, int]) -> list[UnitProgress]:
    """Per registered unit: submitted, late, reported, met. ``activity_counts`` is per (message key, unit_id),
    or per message key (one-unit mail only)."""
    current = current_list_keys(messages, statuses)
    mine: dict[str, list[MessageRow]] = {}
    for m in sorted((v for row in messages for v in unit_views(row)), key=lambda m: (m.received_at or "", m.key)):
        if m.unit_id and statuses[m.key].status_for(m.unit_id) != "ignored":
            mine.setdefault(m.unit_id, []).append(m)
    out = []
    for unit in registry.units:
        own = mine.get(unit.unit_id, [])
        key = current.get(unit.unit_id)
        reported = activity_counts.get((key, unit.unit_id), activity_counts.get(key, 0)) if key else 0
        required = int(quotas.get(unit.category, 0))
        out.append(UnitProgress(
            unit.unit_id, unit.name, unit.category, required, reported, reported >= required,
            submitted=bool(own), late=bool(own and own[0].late),
            last_received_at=own[-1].received_at if own else None, current_key=key,
            message_keys=[m.key for m in own]))
    return out
