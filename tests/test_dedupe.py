"""dedupe_activities: one activity listed in the Word table and the Excel file of a mail counts once,
with the fields of both (issue 9, point 6). Files made by LibreOffice: test_libreoffice_tables.py."""
from __future__ import annotations

from datetime import date

from parsers.parsed import Activity
from pipeline.judge.decide import dedupe_activities


def act(title, start=None, end=None, *, location=None, format=None, participants=None, source="", flags=()):
    return Activity(title, start, end, location, None, format, participants, None, None, source,
                    raw={"date": start.isoformat()} if start else {}, flags=list(flags))


def test_each_copy_gives_what_the_other_lacks():
    word = act("科普讲座进社区", date(2025, 9, 15), date(2025, 9, 15), location="幸福社区", participants=300,
               source="总结.docx!表1!R3")
    excel = act("科普讲座进社区 ", date(2025, 9, 15), date(2025, 9, 15), format="offline", participants=300,
                source="活动表.xlsx!Sheet1!R2")
    (one,) = dedupe_activities([word, excel])
    assert (one.location, one.format, one.participants) == ("幸福社区", "offline", 300)
    assert one.source == "总结.docx!表1!R3"  # the first of equally full copies leads


def test_a_range_in_one_list_beats_a_single_day_in_the_other():
    (one,) = dedupe_activities([act("科普月系列活动", date(2025, 9, 1), date(2025, 9, 1)),
                                act("科普月系列活动", date(2025, 9, 1), date(2025, 9, 30), location="全区")])
    assert (one.start_date, one.end_date, one.location) == (date(2025, 9, 1), date(2025, 9, 30), "全区")


def test_an_undated_copy_joins_the_one_dated_copy():
    undated = act("科技馆开放日", location="区科技馆", format="offline", participants=500, flags=["date_empty"])
    dated = act("科技馆开放日", date(2025, 9, 21), date(2025, 9, 23))
    (one,) = dedupe_activities([dated, undated])
    assert (one.start_date, one.end_date, one.location, one.participants) == (
        date(2025, 9, 21), date(2025, 9, 23), "区科技馆", 500)
    assert one.flags == [] and one.raw["date"] == "2025-09-21"


def test_same_title_on_other_days_are_other_activities():
    lectures = [act("科普讲座", date(2025, 9, d), date(2025, 9, d)) for d in (1, 8, 15)]
    assert len(dedupe_activities(lectures + [act("科普讲座")])) == 4  # an undated fourth: which one? kept
