"""Is a mail about this campaign, or about another event (科技活动周, 科普讲解大赛报名表, 科普日)?

Judged by what names the mail and its files: the subject (and forwarded subjects), the files'
titles and names. The body is not read for it: a 科普月 summary often mentions other events in passing.
A place naming the campaign (科普月 from ``campaign.name``, or 重点科普活动) makes the mail the campaign's;
otherwise a place naming another event makes it that event's. Pure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from parsers.parsed import Activity, Envelope, FileResult

# other events and forms a unit sends the same office, by the words that name them
OTHER_EVENTS = re.compile(r"科技活动周|科技周|全国科普日|科普日|科普讲解大赛|讲解大赛|讲解比赛|创新大赛|知识竞赛|"
                          r"报名表|报名回执|申报书|申报表|推荐表|征文|评选表")
# events that fall inside the campaign's month: a mail about one may still be the campaign's (ask a person)
NEAR_EVENTS = ("全国科普日", "科普日")
KEY_ACTIVITIES = "重点科普活动"
_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|回复|答复|转发)\s*[:：]\s*)+", re.I)


def campaign_key(name: str) -> str:
    """The words that name the campaign in a title: 2025年全国科普月 → 科普月."""
    key = re.sub(r"^\s*\d{4}\s*年?|全国|首届|第[一二三四五六七八九十\d]+届|\s+", "", name or "")
    return key or (name or "").strip()


@dataclass(frozen=True)
class EventVerdict:
    event: str  # the other event's words as found (科技活动周)
    unsure: bool  # may still be the campaign's: a person decides


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def naming_places(envelope: Envelope, files: list[FileResult]) -> list[str]:
    """The subject, forwarded subjects, and each file's title and name."""
    places = [_PREFIX.sub("", envelope.subject or "")] + [_PREFIX.sub("", f.subject or "") for f in envelope.forwarded]
    for f in files:
        places += [f.title or "", _basename(f.name)]
    return [p for p in places if p.strip()]


def other_event_of(text: str, key: str) -> str | None:
    """The other event a title names, or None when it names none or names the campaign too."""
    if not text or key in text or KEY_ACTIVITIES in text:
        return None
    found = OTHER_EVENTS.search(text)
    return found.group(0) if found else None


def judge_event(envelope: Envelope, files: list[FileResult], activities: list[Activity], campaign_name: str,
                period: tuple[date, date]) -> EventVerdict | None:
    """None when the mail is (or may be) the campaign's; else the other event it is about."""
    key = campaign_key(campaign_name)
    places = naming_places(envelope, files)
    if any(key in p or KEY_ACTIVITIES in p for p in places):
        return None
    events = [e for e in (other_event_of(p, key) for p in places) if e]
    if not events:
        return None
    dated_in_period = any(a.start_date and period[0] <= a.start_date <= period[1] for a in activities)
    unsure = any(e in NEAR_EVENTS for e in events) or dated_in_period
    return EventVerdict(events[0], unsure)


def set_aside(files: list[FileResult], campaign_name: str) -> dict[str, str]:
    """Files of a campaign mail whose own title or name is another event's: file name -> that event."""
    key = campaign_key(campaign_name)
    out = {}
    for f in files:
        names = [f.title or "", _basename(f.name)]
        if any(key in n or KEY_ACTIVITIES in n for n in names):
            continue
        event = next((e for e in (other_event_of(n, key) for n in names) if e), None)
        if event:
            out[f.name] = event
    return out
