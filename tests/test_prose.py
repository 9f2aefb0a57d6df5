"""Prose summaries written the way offices write them, each with the rows a person would type, by hand.

The reader proposes rows (title, dates, place, count, format); these tests hold what it must find and
what it must leave alone (totals, meetings, the closing date, narrative without a date).
"""
from datetime import date

import pytest

from parsers.prose import propose_from_paragraphs, propose_from_text
from parsers.values import normalize_activity

D = date

# 1. A district: parts with 一、二、, activities as （一）（二） with the date first, quoted names.
DISTRICT = """路南区科协2025年全国科普月活动总结
一、基本情况
按照市素质办通知要求，我区高度重视，成立了科普月活动领导小组，制定了实施方案。
科普月期间，全区共开展各类科普活动28场次，累计参与群众10万人次。
二、活动开展情况
（一）9月15日，在友谊街道社区开展‘科普进社区’活动，参与群众300余人。
（二）9月18日至19日，在区青少年活动中心举办“青少年科技创新大赛”，吸引全区中小学生1200人参加。
（三）9月23日，联合区卫健局在学院路街道开展“健康科普大讲堂”，邀请3名专家为居民讲解慢病防治知识，现场群众约150人，线上直播观看2000余人次。
三、工作成效
通过系列活动，全区公民科学素质进一步提升。
路南区科学技术协会
2025年9月25日"""

DISTRICT_ROWS = [
    ("科普进社区活动", D(2025, 9, 15), D(2025, 9, 15), "友谊街道社区", 300, "offline"),
    ("青少年科技创新大赛", D(2025, 9, 18), D(2025, 9, 19), "区青少年活动中心", 1200, "offline"),
    ("健康科普大讲堂", D(2025, 9, 23), D(2025, 9, 23), "学院路街道", 2150, "hybrid"),
]

# 2. A member unit: 一是/二是/三是 inside one paragraph, separated by ；, no quotes.
MEMBER = """市应急管理局科普月工作总结
科普月期间，我局围绕防灾减灾主题，扎实开展科普宣传。一是9月10日在市民广场举办防灾减灾科普宣传活动，发放宣传资料2000余份，参与市民500余人；二是9月17日组织开展应急救护技能培训，在局机关培训干部职工80人；三是9月24日在开平区第一中学开展消防安全进校园活动，师生600人参加。
下一步，我局将继续做好应急科普工作。"""

MEMBER_ROWS = [
    ("防灾减灾科普宣传活动", D(2025, 9, 10), D(2025, 9, 10), "市民广场", 500, "offline"),
    ("应急救护技能培训", D(2025, 9, 17), D(2025, 9, 17), "局机关", 80, "offline"),
    ("消防安全进校园活动", D(2025, 9, 24), D(2025, 9, 24), "开平区第一中学", 600, "offline"),
]

# 3. A society: Arabic numbers "1." and the date at the end of each paragraph, in brackets.
SOCIETY = """唐山市营养学会科普月活动情况
1.举办《合理膳食 健康生活》科普讲座。学会专家走进路北区机场路社区，为老年居民讲解膳食知识，到场居民120人（9月12日）。
2.开展“营养进校园”活动。在唐山市第二实验小学为学生讲解营养午餐知识，参与学生350名（9月19日）。
3.撰写科普文章5篇，在学会公众号推送。"""

SOCIETY_ROWS = [
    ("合理膳食 健康生活科普讲座", D(2025, 9, 12), D(2025, 9, 12), "路北区机场路社区", 120, "offline"),
    ("营养进校园活动", D(2025, 9, 19), D(2025, 9, 19), "唐山市第二实验小学", 350, "offline"),
]

# 4. A base: each paragraph opens with its date, no numbers at all; an online activity.
BASE = """9月6日，我馆开展“走进航天”主题科普展览，接待参观群众3000余人次。
9月13日至14日，举办“科学之夜”开放日活动，在馆内组织青少年观星、动手实验，参与家庭200组，共计600余人。
9月20日，通过抖音直播开展“云游科技馆”线上活动，观看人数达1.2万人次。
本月我馆还对展厅进行了维护更新。"""

BASE_ROWS = [
    ("走进航天主题科普展览", D(2025, 9, 6), D(2025, 9, 6), None, 3000, None),
    ("科学之夜开放日活动", D(2025, 9, 13), D(2025, 9, 14), "馆内", 600, "offline"),
    ("云游科技馆线上活动", D(2025, 9, 20), D(2025, 9, 20), None, 12000, "online"),
]

# 5. A county: several activities in one paragraph separated by ；, run-in heading per paragraph.
COUNTY = """二、主要做法
（一）科普进乡村。9月8日，在东王庄村开展农业科技培训，参训农民90人；9月9日，在西刘庄村开展“科技助农”义诊，服务村民210人。
（二）科普进校园。9月16日，县科协联合县教育局在城关小学开展“科学实验秀”活动，300余名学生参与。"""

COUNTY_ROWS = [
    ("农业科技培训", D(2025, 9, 8), D(2025, 9, 8), "东王庄村", 90, "offline"),
    ("科技助农义诊", D(2025, 9, 9), D(2025, 9, 9), "西刘庄村", 210, "offline"),
    ("科学实验秀活动", D(2025, 9, 16), D(2025, 9, 16), "城关小学", 300, "offline"),
]

# 6. An enterprise: (1)(2) numbering, full dates with the year, Chinese numerals, a meeting that is no activity.
ENTERPRISE = """（1）2025年9月2日，召开科普月工作部署会，对活动作出安排。
（2）2025年9月11日，在公司职工之家举办“安全生产科普知识竞赛”，参赛职工一百二十人。
（3）2025年9月22日，组织开展“工匠精神进车间”宣讲活动，在二号车间为一线员工宣讲，参与职工八十余人。"""

ENTERPRISE_ROWS = [
    ("安全生产科普知识竞赛", D(2025, 9, 11), D(2025, 9, 11), "公司职工之家", 120, "offline"),
    ("工匠精神进车间宣讲活动", D(2025, 9, 22), D(2025, 9, 22), "二号车间", 80, "offline"),
]

# 7. A college: ① numbering, date ranges written 9月15-16日 and 中旬, a hybrid count given apart.
COLLEGE = """①9月15-16日，在学校图书馆举办“科技前沿”系列报告会，线下听众260人，线上观看1500人次。
②9月中旬，组织大学生科普志愿者30名赴乐亭县开展科普支教活动，服务当地中小学生400余人。"""

COLLEGE_ROWS = [
    ("科技前沿系列报告会", D(2025, 9, 15), D(2025, 9, 16), "学校图书馆", 1760, "hybrid"),
    ("科普支教活动", D(2025, 9, 11), D(2025, 9, 20), "乐亭县", 400, "offline"),
]

# 8 and 9 were written after the reader, as a held-out check: before the fixes they prompted, it found 5 of
# their 6 activities (a video series fell to the totals rule), every date and count right, 1 title of 5 exact.
# 8. A district report: "1.9月5日上午" (a number right before the date), a ceremony, 线上线下同步.
OPENING = """开平区科协关于全国科普月活动开展情况的报告
一、总体情况
今年科普月，我区以“科学守护健康”为主题，共组织开展科普活动15场，服务群众2万余人次。
二、重点活动
1.9月5日上午，区科协在开平镇中心广场举办全国科普月开平区启动仪式，区领导出席，现场群众800余人。
2.9月12日，组织科技志愿者深入越河镇开展“科技兴农”田间课堂，培训种植户65人。
3.9月26日，在开平区图书馆举行青少年科普阅读分享会，线上线下同步开展，参与人数约450人。
三、存在问题
宣传覆盖面有待扩大。"""

OPENING_ROWS = [
    ("全国科普月开平区启动仪式", D(2025, 9, 5), D(2025, 9, 5), "开平镇中心广场", 800, "offline"),
    ("科技兴农田间课堂", D(2025, 9, 12), D(2025, 9, 12), "越河镇", 65, "offline"),
    ("青少年科普阅读分享会", D(2025, 9, 26), D(2025, 9, 26), "开平区图书馆", 450, "hybrid"),
]

# 9. A member unit: run-in headings that are the names, 《》 titles, a video series counted in views (no people).
WEATHER = """市气象局科普月工作总结
科普月期间，我局开展了以下活动：
（一）气象开放日。2025年9月13日，市气象台面向公众开放，组织市民参观气象观测场，接待市民及中小学生260人次。
（二）气象科普进校园。9月19日，我局专家走进丰润区实验小学，讲授《天气的秘密》科普课，400余名师生聆听。
（三）线上科普。9月下旬，在局官方视频号推出“二十四节气与天气”系列科普短视频，累计播放3.5万次。"""

WEATHER_ROWS = [
    ("气象开放日", D(2025, 9, 13), D(2025, 9, 13), None, 260, None),
    ("天气的秘密科普课", D(2025, 9, 19), D(2025, 9, 19), "丰润区实验小学", 400, "offline"),
    ("二十四节气与天气系列科普短视频", D(2025, 9, 21), D(2025, 9, 30), None, None, "online"),
]

CASES = {"district": (DISTRICT, DISTRICT_ROWS), "member": (MEMBER, MEMBER_ROWS),
         "society": (SOCIETY, SOCIETY_ROWS), "base": (BASE, BASE_ROWS), "county": (COUNTY, COUNTY_ROWS),
         "enterprise": (ENTERPRISE, ENTERPRISE_ROWS), "college": (COLLEGE, COLLEGE_ROWS),
         "opening": (OPENING, OPENING_ROWS), "weather": (WEATHER, WEATHER_ROWS)}


def _rows(text: str) -> list[tuple]:
    out = []
    for raw in propose_from_text(text, "总结.docx 正文"):
        a = normalize_activity(raw, 2025)
        out.append((a.title, a.start_date, a.end_date, a.location, a.participants, a.format))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_each_office_style_gives_the_rows_a_person_would_type(name):
    text, expected = CASES[name]
    assert _rows(text) == expected


def test_totals_meetings_and_dateless_narrative_are_no_activities():
    assert propose_from_text("科普月期间，全区共开展各类科普活动28场次，累计参与群众10万人次。") == []
    assert propose_from_text("9月1日至30日，全县累计开展科普活动46场，惠及群众3万余人。") == []
    assert propose_from_text("（1）2025年9月2日，召开科普月工作部署会，对活动作出安排。") == []
    assert propose_from_text("我单位高度重视，精心组织，取得了良好效果。\n2025年9月25日") == []


def test_rows_carry_their_place_in_words_the_paragraph_and_a_confidence():
    rows = propose_from_text(DISTRICT, "总结.docx 正文")
    assert [r.source for r in rows] == ["总结.docx 正文第二部分第（一）段", "总结.docx 正文第二部分第（二）段",
                                        "总结.docx 正文第二部分第（三）段"]
    assert rows[0].evidence == "（一）9月15日，在友谊街道社区开展‘科普进社区’活动，参与群众300余人。"
    assert all(0 < r.confidence <= 1 for r in rows)
    member = propose_from_text(MEMBER, "邮件正文")
    assert [r.source for r in member] == ["邮件正文第1段“一是”", "邮件正文第1段“二是”", "邮件正文第1段“三是”"]
    county = propose_from_paragraphs(COUNTY.splitlines(), "正文")
    assert [r.source for r in county] == ["正文第二部分第（一）段第1项", "正文第二部分第（一）段第2项",
                                          "正文第二部分第（二）段"]


def test_accuracy_over_all_styles():
    """Found and right, counted over every hand-written row: the floor the issue asks for."""
    expected = [row for _, rows in CASES.values() for row in rows]
    found = [row for text, _ in CASES.values() for row in _rows(text)]
    hits = sum(1 for row in expected if row in found)
    assert hits / len(expected) >= 0.9
    assert hits / len(found) >= 0.95


def test_the_mail_body_as_the_summary_stops_at_the_quoted_mail():
    body = ("各位老师好：\n我单位科普月活动情况如下：\n" + MEMBER.splitlines()[1] +
            "\n\n-----原始邮件-----\n发件人：市素质办\n9月1日，在市民广场举办启动仪式，参与群众800人。")
    from parsers.prose import propose_from_mail_body

    rows = propose_from_mail_body(body)
    assert [normalize_activity(r).title for r in rows] == [row[0] for row in MEMBER_ROWS]
    assert rows[0].source == "邮件正文第1段“一是”"  # the greeting and the lead-in line count as no paragraph


def test_a_pdf_text_layer_broken_at_the_page_width_is_joined_back():
    from parsers.prose import propose_from_wrapped_text

    wrapped = ("（一）9月15日，在友谊街道社区开展‘科普进社区’活动，参与\n群众300余人。\n"
               "（二）9月18日至19日，在区青少年活动中心举办“青少年科技创新\n大赛”，吸引全区中小学生1200人参加。")
    assert [tuple(getattr(normalize_activity(r), f) for f in ("title", "participants"))
            for r in propose_from_wrapped_text(wrapped, "总结.pdf 正文")] == \
        [("科普进社区活动", 300), ("青少年科技创新大赛", 1200)]
