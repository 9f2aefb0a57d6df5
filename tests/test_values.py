"""Table-driven tests of parsers.values: sure answers, and no confident wrong ones."""
from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from parsers.parsed import Activity, RawActivity
from parsers.values import Count, DateSpan, cell_text, normalize_activity, parse_count, parse_dates, parse_format

D = lambda m, d, y=2025: date(y, m, d)  # noqa: E731


# --- dates: sure ---------------------------------------------------------------

SURE_DATES = [
    # single days, every spelling seen
    ("2025-09-15", D(9, 15), D(9, 15)),
    ("2025.9.15", D(9, 15), D(9, 15)),
    ("2025/9/15", D(9, 15), D(9, 15)),
    ("9/15", D(9, 15), D(9, 15)),  # month/day, as Excel shows a date in a Chinese locale (like 9.15)
    ("9/15-9/18", D(9, 15), D(9, 18)),
    ("2025.09.29", D(9, 29), D(9, 29)),
    ("9月15日", D(9, 15), D(9, 15)),
    ("9月15号", D(9, 15), D(9, 15)),
    ("2025年9月15日", D(9, 15), D(9, 15)),
    ("9 月 16 日", D(9, 16), D(9, 16)),
    (" 2025 年 9 月 16 日 ", D(9, 16), D(9, 16)),
    ("9.15", D(9, 15), D(9, 15)),
    ("9.1", D(9, 1), D(9, 1)),  # typed as text: sure
    ("9.10", D(9, 10), D(9, 10)),
    ("9.15日", D(9, 15), D(9, 15)),  # jionlp: 10-15
    ("20250915", D(9, 15), D(9, 15)),
    ("2025-09-15 00:00:00", D(9, 15), D(9, 15)),
    # Excel cells
    (date(2025, 9, 15), D(9, 15), D(9, 15)),
    (datetime(2025, 9, 15, 14, 30), D(9, 15), D(9, 15)),
    (45915, D(9, 15), D(9, 15)),
    (45915.0, D(9, 15), D(9, 15)),
    (45915.625, D(9, 15), D(9, 15)),  # serial with a time of day
    ("45915", D(9, 15), D(9, 15)),
    (20250915, D(9, 15), D(9, 15)),
    (9.15, D(9, 15), D(9, 15)),
    (9.25, D(9, 25), D(9, 25)),
    (9.5, D(9, 5), D(9, 5)),  # 9.50 is no date, so 9.5 is sure
    # ranges, every dash
    ("9月1日-30日", D(9, 1), D(9, 30)),
    ("9月1日至9月30日", D(9, 1), D(9, 30)),
    ("9月1日至30日", D(9, 1), D(9, 30)),
    ("2025.9.10-9.12", D(9, 10), D(9, 12)),
    ("9 月 16 日—9 月 23 日", D(9, 16), D(9, 23)),
    ("2025年9月18日——24日", D(9, 18), D(9, 24)),
    ("9.10~9.12", D(9, 10), D(9, 12)),
    ("9月10日到12日", D(9, 10), D(9, 12)),
    ("9月10日–12日", D(9, 10), D(9, 12)),
    ("9月10日―12日", D(9, 10), D(9, 12)),
    ("9月10日～12日", D(9, 10), D(9, 12)),
    ("9月10日－12日", D(9, 10), D(9, 12)),
    ("9月10日〜12日", D(9, 10), D(9, 12)),
    ("9月10日 - 9月12日", D(9, 10), D(9, 12)),
    ("9月30日-10月3日", D(9, 30), D(10, 3)),
    ("2025.9.1-2025.9.30", D(9, 1), D(9, 30)),
    ("9月15日起至9月30日", D(9, 15), D(9, 30)),
    # parts of the month
    ("9月上旬", D(9, 1), D(9, 10)),
    ("9月中旬", D(9, 11), D(9, 20)),
    ("9月下旬", D(9, 21), D(9, 30)),
    ("9月全月", D(9, 1), D(9, 30)),
    ("9月份", D(9, 1), D(9, 30)),
    ("9月", D(9, 1), D(9, 30)),
    ("2025年9月", D(9, 1), D(9, 30)),
    ("2025.9", D(9, 1), D(9, 30)),
    ("9月中下旬", D(9, 11), D(9, 30)),
    ("9月上中旬", D(9, 1), D(9, 20)),
    ("9月上旬-中旬", D(9, 1), D(9, 20)),
    # day lists: the span from first to last
    ("2025年9月20日、21日", D(9, 20), D(9, 21)),
    ("9月5日、12日、19日", D(9, 5), D(9, 19)),
    ("9月20日，9月27日", D(9, 20), D(9, 27)),
    # clock times and weekdays are notes, not dates
    ("9月20日（周六）上午9:00", D(9, 20), D(9, 20)),
    ("9.20（星期六）14:00-16:00", D(9, 20), D(9, 20)),
    ("9.20(周六)", D(9, 20), D(9, 20)),
    ("2025.9.20 9:00", D(9, 20), D(9, 20)),
    ("9月20日 14：00—16：30", D(9, 20), D(9, 20)),
    ("9月20日下午3点", D(9, 20), D(9, 20)),
    ("2025年9月20日 星期日 下午三点半", D(9, 20), D(9, 20)),
    ("9月20日（周六）-9月21日（周日）", D(9, 20), D(9, 21)),
    # full-width digits and Chinese numerals
    ("９月１５日", D(9, 15), D(9, 15)),
    ("２０２５．９．１５", D(9, 15), D(9, 15)),
    ("九月十五日", D(9, 15), D(9, 15)),
    ("九月三十日", D(9, 30), D(9, 30)),
    ("九月二十一日", D(9, 21), D(9, 21)),
    ("二○二五年九月十五日", D(9, 15), D(9, 15)),  # ○ U+25CB
    ("二〇二五年九月十五日", D(9, 15), D(9, 15)),  # 〇 U+3007
    ("二零二五年九月十五日", D(9, 15), D(9, 15)),
    ("九月一日至九月三十日", D(9, 1), D(9, 30)),
    # day ranges sharing the month (issue 9, point 7)
    ("2025/9/19 9:00", D(9, 19), D(9, 19)),
    ("9月15-16日", D(9, 15), D(9, 16)),
    ("2025年9月15-16日", D(9, 15), D(9, 16)),
    ("9.15-16日", D(9, 15), D(9, 16)),
    ("2025.9.15-16", D(9, 15), D(9, 16)),
    ("9月15日-16", D(9, 15), D(9, 16)),
    ("9月1日/9月3日", D(9, 1), D(9, 3)),
]


@pytest.mark.parametrize(("value", "start", "end"), SURE_DATES)
def test_sure_dates(value, start, end):
    span = parse_dates(value)
    assert (span.start, span.end, span.flag) == (start, end, None)
    assert span.raw == cell_text(value)


# --- dates: not sure -------------------------------------------------------------

UNSURE_DATES = [
    (None, "empty"),
    ("", "empty"),
    ("   ", "empty"),
    ("/", "empty"),
    ("—", "empty"),
    ("无", "empty"),
    (9.1, "ambiguous"),  # Excel made "9.10" into 9.1: Sept 1 or Sept 10?
    (9.2, "ambiguous"),
    (9.3, "ambiguous"),
    (10.1, "ambiguous"),
    ("9月28日-3日", "ambiguous"),  # October 3 or a typo
    ("若干", "unparsed"),
    ("待定", "unparsed"),
    ("全月", "unparsed"),  # which month?
    ("15日", "unparsed"),
    ("2025年", "unparsed"),
    ("9-15", "unparsed"),  # Sept 9..15 or Sept 15?
    ("9  15", "unparsed"),
    ("9.10-12", "unparsed"),
    ("9月10日-12", "unparsed"),  # the 12th, or December?
    ("9月31日", "unparsed"),
    ("13月1日", "unparsed"),
    ("15.9", "unparsed"),
    ("9月15日上旬", "unparsed"),
    ("9月1日-5日-9日", "unparsed"),
    ("九月十几日", "unparsed"),
    (9, "unparsed"),
    (123456789, "unparsed"),
    (True, "unparsed"),
    (float("nan"), "empty"),
    (float("inf"), "unparsed"),
    (object(), "unparsed"),
    ("活动期间", "unparsed"),
]


@pytest.mark.parametrize(("value", "flag"), UNSURE_DATES)
def test_unsure_dates_give_no_date(value, flag):
    span = parse_dates(value)
    assert (span.start, span.end, span.flag) == (None, None, flag)


@pytest.mark.parametrize(("value", "start", "end"), [
    ("即日起至9月30日", None, D(9, 30)),
    ("今日起至9月30日", None, D(9, 30)),
    ("9月15日起", D(9, 15), None),
    ("9月15日开始", D(9, 15), None),
])
def test_open_ranges_keep_the_known_end(value, start, end):
    assert parse_dates(value) == DateSpan(start, end, value, "ambiguous")


@pytest.mark.parametrize(("value", "wrong"), [
    ("9月中下旬", (D(9, 10), D(9, 20))),  # jionlp's answer
    ("9.15日", (D(10, 15), D(10, 15))),
    ("9.20（周六）", (D(10, 4), D(10, 4))),
    ("2025年9月20日、21日", (D(9, 10), D(9, 10))),  # dateparser's answer
    ("9.20（星期六）14:00-16:00", (D(9, 14), D(9, 16))),  # the clock range is no date range
    (9.1, (D(9, 1), D(9, 1))),
])
def test_known_wrong_answers_are_not_given(value, wrong):
    span = parse_dates(value)
    assert (span.start, span.end) != wrong


@pytest.mark.parametrize(("value", "year", "start", "flag"), [
    ("2024.09.29", 2025, D(9, 29, 2024), "out_of_campaign_year"),
    ("二○○七年十月十九日", 2025, date(2007, 10, 19), "out_of_campaign_year"),
    (date(2024, 9, 15), 2025, D(9, 15, 2024), "out_of_campaign_year"),
    ("9月15日", 2026, D(9, 15, 2026), None),  # no explicit year: the campaign's
    ("2026年9月15日", 2026, D(9, 15, 2026), None),
    ("2025年9月15日", 2026, D(9, 15), "out_of_campaign_year"),
])
def test_campaign_year(value, year, start, flag):
    span = parse_dates(value, year=year)
    assert (span.start, span.flag) == (start, flag)


# --- counts ------------------------------------------------------------------------

SURE_COUNTS = [
    (500, 500), (500.0, 500), ("500", 500), ("500.0", 500), (0, 0),
    ("约500人", 500), ("500余人", 500), ("近500名", 500), ("约400余人次", 400),
    ("1800多名", 1800), ("3000+", 3000), ("超过3000人", 3000), ("3000人以上", 3000), ("500人左右", 500),
    ("1.2万人次", 12000), ("12.11万人次", 121100), ("10万余人次", 100000), ("20多万人次", 200000),
    ("2千人", 2000), ("3k", 3000), ("3K", 3000), ("1.5W", 15000), ("1.5w人", 15000),
    ("三百人", 300), ("一千二百人", 1200), ("两千人", 2000), ("三百五十人", 350), ("一千零五人", 1005),
    ("二十人", 20), ("十五人", 15), ("二十多万人次", 200000), ("三万人", 30000),
    ("3,000人", 3000), ("１２,０００人", 12000), ("５００人", 500),
    ("参与学生500余人", 500), ("3场，共500人", 500), ("共开展2期，累计800人次", 800),
    ("线上线下共500人", 500),  # one total, no split given
    ("500(学生300,家长200)", 500),  # a breakdown by other groups adds nothing
]


@pytest.mark.parametrize(("value", "total"), SURE_COUNTS)
def test_sure_counts(value, total):
    count = parse_count(value)
    assert (count.total, count.flag) == (total, None)
    assert count.raw == cell_text(value)


@pytest.mark.parametrize(("value", "total", "offline", "online"), [
    ("现场200人，线上1.5万人次", 15200, 200, 15000),
    ("线上3000人次、线下500人", 3500, 500, 3000),
    ("线下500人；网络直播观看2万人次", 20500, 500, 20000),
    ("线上3000人次", 3000, None, 3000),
    ("现场参与200人", 200, 200, None),
    # a breakdown does not double count; the missing part is not inferred (300 of 500 online
    # does not tell that 200 were there in person: the counts may be of different things)
    ("500人次（其中线上300）", 500, None, 300),
    ("共500人，其中线上300人，线下200人", 500, 200, 300),
    ("共500人，线上300人", 500, None, 300),
])
def test_counts_kept_apart_by_channel(value, total, offline, online):
    assert parse_count(value) == Count(total, offline, online, value, None)


@pytest.mark.parametrize(("value", "flag"), [
    ("300-500人", "ambiguous"),
    ("300～500人", "ambiguous"),
    ("300至500人", "ambiguous"),
    ("三百到五百人", "ambiguous"),
    ("第一场200人，第二场300人", "ambiguous"),  # two totals: not summed blindly
    ("200，300人", "ambiguous"),  # a full-width comma is a list, not thousands
    ("３，０００人", "ambiguous"),
    ("线上300人，线上500人", "ambiguous"),
    ("共300人，其中线上500人", "ambiguous"),  # a part larger than the whole
    ("若干", "unparsed"),
    ("多人", "unparsed"),
    ("几十人", "vague"),
    ("十几人", "unparsed"),  # not 10
    ("数百人", "vague"),  # not 100
    ("上千人", "vague"),
    ("一两百人", "unparsed"),  # not 200
    ("1.5人", "unparsed"),
    ("3场", "unparsed"),
    ("100%", "unparsed"),
    (12.5, "unparsed"),
    (-3, "unparsed"),
    (True, "unparsed"),
    (date(2025, 9, 15), "unparsed"),
    ("/", "empty"),
    ("—", "empty"),
    ("-", "empty"),
    ("", "empty"),
    (None, "empty"),
    ("无", "empty"),
    (float("nan"), "empty"),
])
def test_unsure_counts_give_no_number(value, flag):
    count = parse_count(value)
    assert (count.total, count.offline, count.online, count.flag) == (None, None, None, flag)


# --- format ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("线上", "online"), ("网络直播", "online"), ("云端讲座", "online"), ("Online", "online"),
    ("线下", "offline"), ("现场", "offline"), ("实地", "offline"), ("讲座", "offline"),
    ("展览", "offline"), ("OFFLINE", "offline"), ("科普讲座", "offline"),
    ("线上线下", "hybrid"), ("线上+线下", "hybrid"), ("线上、线下", "hybrid"), ("线下线上", "hybrid"),
    ("混合", "hybrid"), ("线上线下相结合", "hybrid"), ("online/offline", "hybrid"), ("ｏｎｌｉｎｅ", "online"),
    ("", None), (None, None), ("/", None), ("其他", None), (5, None),
])
def test_parse_format(value, expected):
    assert parse_format(value) == expected


# --- cell_text -----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (None, ""), ("  活动  ", "活动"), (12, "12"), (12.0, "12"), (9.15, "9.15"), (9.1, "9.1"),
    (date(2025, 9, 15), "2025-09-15"), (datetime(2025, 9, 15), "2025-09-15"),
    (datetime(2025, 9, 15, 14, 30), "2025-09-15 14:30"), (float("nan"), ""), (True, "True"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


# --- never raise -----------------------------------------------------------------------

def test_random_input_never_raises():
    rng = random.Random(20250915)
    alphabet = "0123456789.-—~～/、，,()（）年月日号至到起上中下旬份全周六星期:万千百人次名余多约近线上下现场〇○零一二十百 \n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        span, count = parse_dates(text), parse_count(text)
        assert span.flag in {None, "empty", "unparsed", "ambiguous", "out_of_campaign_year"}
        assert (span.start is None or span.end is None or span.start <= span.end)
        assert count.flag in {None, "empty", "unparsed", "ambiguous", "vague", "approximate"}
        assert count.flag is not None or count.total is not None
        parse_format(text)


# --- normalize_activity -------------------------------------------------------------------

def test_normalize_activity_full_row():
    raw = RawActivity(
        fields={"title": "  科普讲座进社区 ", "date": "9月20日（周六）上午9:00", "location": " 路南区 ",
                "organizer": "", "format": "线下", "participants": "约500人", "phone": 13800000000,
                "remark": None},
        extra={"备注2": "无", "空列": None, "序号": 3.0},
        source="a.xlsx!Sheet1!R7",
    )
    act = normalize_activity(raw)
    assert isinstance(act, Activity)
    assert (act.title, act.start_date, act.end_date) == ("科普讲座进社区", D(9, 20), D(9, 20))
    assert (act.location, act.organizer, act.format, act.participants) == ("路南区", None, "offline", 500)
    assert act.source == "a.xlsx!Sheet1!R7"
    assert act.flags == []
    assert act.raw == {"title": "科普讲座进社区", "date": "9月20日（周六）上午9:00", "location": "路南区",
                       "format": "线下", "participants": "约500人", "phone": "13800000000"}
    assert act.extra == {"备注2": "无", "序号": "3"}


def test_normalize_activity_split_columns_are_summed():
    raw = RawActivity(fields={"title": "展", "date": "9月上旬", "participants_offline": 200,
                              "participants_online": "1.5万人次", "participants": "若干"})
    act = normalize_activity(raw)
    assert (act.participants, act.participants_offline, act.participants_online) == (15200, 200, 15000)
    assert act.format == "hybrid"  # inferred from the two columns
    assert (act.start_date, act.end_date, act.flags) == (D(9, 1), D(9, 10), [])


def test_normalize_activity_one_split_column():
    act = normalize_activity(RawActivity(fields={"title": "t", "date": 45915, "participants_online": "3000"}))
    assert (act.participants, act.participants_offline, act.participants_online) == (3000, None, 3000)
    assert act.format == "online"


def test_normalize_activity_segments_in_participants_cell():
    act = normalize_activity(RawActivity(fields={"title": "t", "date": "2025.9.10-9.12",
                                                 "participants": "现场200人，线上1.5万人次"}))
    assert (act.participants, act.participants_offline, act.participants_online) == (15200, 200, 15000)
    assert act.format == "hybrid"
    assert (act.start_date, act.end_date) == (D(9, 10), D(9, 12))


def test_normalize_activity_explicit_format_wins():
    act = normalize_activity(RawActivity(fields={"title": "t", "date": "9月1日", "format": "线上",
                                                 "participants": "线下300人"}))
    assert act.format == "online"


def test_normalize_activity_flags():
    raw = RawActivity(fields={"title": None, "date": 9.1, "participants": "300-500人", "format": "其他"})
    act = normalize_activity(raw, year=2025)
    assert act.title == ""
    assert (act.start_date, act.end_date, act.participants, act.format) == (None, None, None, None)
    assert act.flags == ["date_ambiguous", "participants_ambiguous", "format_unparsed"]
    assert act.raw == {"date": "9.1", "participants": "300-500人", "format": "其他"}


def test_normalize_activity_bad_split_column_falls_back_to_participants():
    raw = RawActivity(fields={"title": "t", "participants_online": "若干", "participants": "800人"})
    act = normalize_activity(raw)
    assert act.participants == 800
    assert act.flags == ["date_empty", "participants_online_unparsed"]


def test_normalize_activity_other_year_is_kept_and_flagged():
    act = normalize_activity(RawActivity(fields={"title": "t", "date": "2024.09.29"}), year=2025)
    assert act.start_date == date(2024, 9, 29)
    assert act.flags == ["date_out_of_campaign_year"]
    assert act.participants is None  # no participants column: no flag


# --- start and end columns (开始 | 结束) -----------------------------------------------------

@pytest.mark.parametrize("start, end, first, last, flag", [
    ("9月1日", "9月30日", D(9, 1), D(9, 30), None),
    ("2025年9月15日", "2025年9月16日", D(9, 15), D(9, 16), None),
    ("2025/9/19", "2025/9/19", D(9, 19), D(9, 19), None),
    (datetime(2025, 9, 1), datetime(2025, 9, 30), D(9, 1), D(9, 30), None),
    (45901, "2025年9月30日", D(9, 1), D(9, 30), None),  # a date cell beside a text cell
    ("9月1日", None, D(9, 1), D(9, 1), None),  # no end: a one-day activity
    ("9月1日", "", D(9, 1), D(9, 1), None),
    ("9月1日-3日", None, D(9, 1), D(9, 3), None),  # the start cell holds the range itself
    ("9月1日", "30日", D(9, 1), D(9, 30), None),  # the end borrows the start's month
    ("2025-09-01 09:00", "2025-09-01 17:00", D(9, 1), D(9, 1), None),
    (None, "9月30日", None, D(9, 30), "ambiguous"),  # an end alone: when did it start?
    ("9月10日", "9月3日", D(9, 10), None, "ambiguous"),
    ("9月1日", "待定", D(9, 1), None, "unparsed"),
    ("2024年9月1日", "2024年9月2日", date(2024, 9, 1), date(2024, 9, 2), "out_of_campaign_year"),
])
def test_start_and_end_columns(start, end, first, last, flag):
    act = normalize_activity(RawActivity(fields={"title": "展", "date_start": start, "date_end": end}))
    assert (act.start_date, act.end_date) == (first, last)
    assert act.flags == ([f"date_{flag}"] if flag else [])


def test_start_and_end_columns_are_quoted_as_one_date():
    act = normalize_activity(RawActivity(fields={"title": "展", "date_start": "9月1日", "date_end": "9月三十日"}))
    assert act.raw["date"] == "9月1日至9月三十日"
    assert act.end_date == D(9, 30)


def test_start_and_end_clock_columns_beside_a_date_column():
    """活动日期 | 活动时间 over 开始时间 | 结束时间 holding clock times: the date column gives the day."""
    act = normalize_activity(RawActivity(fields={"title": "讲座", "date": "2025年9月15日", "date_start": "9:00",
                                                 "date_end": "11:30"}))
    assert (act.start_date, act.end_date, act.flags) == (D(9, 15), D(9, 15), [])



# --- issue 16, item 10: round figures and weeks ------------------------------------------------

@pytest.mark.parametrize("text, total", [("近千人", 1000), ("近百人", 100), ("近万人次", 10000), ("千余人", 1000)])
def test_a_round_figure_is_reported_and_flagged_approximate(text, total):
    assert (parse_count(text).total, parse_count(text).flag) == (total, "approximate")


@pytest.mark.parametrize("text", ["上千人", "数百人", "成千上万", "数十人"])
def test_a_vague_count_gives_no_number(text):
    assert (parse_count(text).total, parse_count(text).flag) == (None, "vague")


@pytest.mark.parametrize("text, start, end", [
    ("2025年9月第三周", date(2025, 9, 15), date(2025, 9, 21)),  # 1 September 2025 is a Monday
    ("9月第一周", date(2025, 9, 1), date(2025, 9, 7)),
    ("2025年10月第一周", date(2025, 10, 1), date(2025, 10, 5)),  # Wednesday 1st: cut to the month
    ("2025年10月第五周", date(2025, 10, 27), date(2025, 10, 31)),
])
def test_a_week_of_the_month_is_monday_to_sunday(text, start, end):
    span = parse_dates(text)
    assert (span.start, span.end, span.flag) == (start, end, None)


def test_a_week_past_the_month_is_not_guessed():
    assert parse_dates("2025年10月第六周").flag == "unparsed"


# --- found by the blind table set (tests/blindtables) ----------------------------------------------

def test_a_channel_named_after_its_figure():
    count = parse_count("500（线上）+200（线下）")
    assert (count.total, count.online, count.offline, count.flag) == (700, 500, 200, None)
    count = parse_count("1000人（线下500，线上500）")  # a breakdown in brackets still does not add
    assert (count.total, count.online, count.offline) == (1000, 500, 500)


def test_days_only_take_the_month_they_are_given():
    assert parse_dates("23-24日").flag == "unparsed"  # alone: which month?
    span = parse_dates("23-24日", month=9)
    assert (span.start, span.end, span.flag) == (D(9, 23), D(9, 24), None)
    span = parse_dates("全月", month=9)
    assert (span.start, span.end) == (D(9, 1), D(9, 30))


def test_a_row_naming_days_only_is_read_in_the_month_of_its_file():
    from parsers.read_mail import file_activities

    rows = [RawActivity(fields={"title": t, "date": d}, source=f"R{i}")
            for i, (t, d) in enumerate([("a", "9月15日"), ("b", "23-24日"), ("c", "全月")])]
    got = [(a.start_date, a.end_date) for a in file_activities(rows, 2025)]
    assert got == [(D(9, 15), D(9, 15)), (D(9, 23), D(9, 24)), (D(9, 1), D(9, 30))]
    mixed = rows + [RawActivity(fields={"title": "d", "date": "10月2日"}, source="R9")]
    assert file_activities(mixed, 2025)[1].start_date is None  # months disagree: no guess


def test_empty_markers_in_place_and_a_channel_counted_zero():
    row = RawActivity(fields={"title": "t", "date": "9月1日", "location": "—", "organizer": "无",
                              "participants_offline": 1200, "participants_online": 0}, source="R1")
    activity = normalize_activity(row)
    assert (activity.location, activity.organizer, activity.format, activity.participants) == \
        (None, None, "offline", 1200)
