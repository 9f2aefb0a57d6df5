"""Words and dates as units and admins read them (Chinese), shared by replies, reminders, digest and workbook."""
from __future__ import annotations

from datetime import date, datetime

OFFICE = "唐山市素质办"
STATUS_CN = {"accepted": "已采用", "superseded": "已被更新", "needs_review": "待人工核查", "ignored": "非报送"}
FORMAT_CN = {"online": "线上", "offline": "线下", "hybrid": "线上线下"}


def cn_date(day: date) -> str:
    """2025-09-26 -> '2025年9月26日'."""
    return f"{day.year}年{day.month}月{day.day}日"


def short_time(value: str | None, tz=None) -> str:
    """An ISO time -> '9月20日 10:11' (in ``tz`` when given); '' for none, the text itself if unreadable."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:16]
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def cn_datetime(moment: datetime) -> str:
    """2025-09-20 10:11 -> '2025年9月20日 10:11'."""
    return f"{cn_date(moment)} {moment:%H:%M}"
