"""extract_activities on sheets and Word tables as units lay them out."""
from __future__ import annotations

from datetime import date

import officebuild as ob
import pytest

from parsers.docx import read_docx
from parsers.spreadsheet import read_workbook
from parsers.tables import extract_activities


@pytest.fixture(scope="module")
def sheets():
    return {s.name: s.rows for s in read_workbook(ob.activity_workbook())}


def by_title(activities):
    return {a.fields["title"]: a for a in activities}


def test_main_sheet_two_level_header_totals_notes_footers(sheets):
    acts, notes = extract_activities(sheets[ob.MAIN_SHEET], "活动表.xlsx!重点活动")
    assert [a.source for a in acts] == ["活动表.xlsx!重点活动!R6", "活动表.xlsx!重点活动!R7",
                                       "活动表.xlsx!重点活动!R8"]
    lecture, quiz, museum = acts
    assert lecture.fields == {
        "title": "科普讲座进社区", "date": "2025年9月15日", "location": "幸福社区", "format": "线下",
        "participants_online": None, "participants_offline": 300, "organizer": "区科协", "remark": None,
    }
    assert quiz.fields["date"] == date(2025, 9, 20)
    assert quiz.fields["participants_online"] == 1200
    assert museum.fields["remark"] == "免费参观"
    assert all(a.extra == {} for a in acts)  # 序号 dropped, nothing unknown
    # R10 has a date and a place but no title: skipped, and said so; R11 (only 序号) silently
    assert notes == ["活动表.xlsx!重点活动!R10：该行有内容但没有活动名称，已跳过"]


def test_reordered_columns_and_unknown_column_kept(sheets):
    acts, notes = extract_activities(sheets[ob.REORDERED_SHEET], "活动表.xlsx!活动明细（二）")
    assert notes == []
    first, second = acts
    assert first.fields == {"location": "区图书馆", "participants": 260, "title": "院士科普报告会",
                            "date": "2025.9.18", "contact": "赵六", "phone": "13900000001", "platform": "是"}
    assert first.extra == {"活动亮点": "邀请院士讲座"}
    assert second.extra == {}  # empty unknown cells are left out
    assert second.fields["participants"] == "约1.2万人次"
    assert second.source.endswith("!R3")


@pytest.mark.parametrize("sheet", ["填表说明", "联系人"])
def test_cover_and_contact_sheets_yield_nothing(sheets, sheet):
    assert extract_activities(sheets[sheet], f"x.xlsx!{sheet}") == ([], [])


def test_unfilled_merges_as_in_ods():
    rows = [
        ["2025年科普月活动统计表", None, None, None, None],
        ["填报单位：XX镇", None, None, "填报日期：9月20日", None],
        ["序号", "活动名称", "活动时间", "参与人数", None],
        [None, None, None, "线上", "线下"],
        ["合计", None, None, 100, 250],
        [1, "健康讲座", "9月3日", None, 250],
        [2, "网上答题", "9月9日", 100, None],
    ]
    acts, notes = extract_activities(rows, "t.ods!S")
    assert [(a.fields["title"], a.fields["participants_online"], a.fields["participants_offline"])
            for a in acts] == [("健康讲座", None, 250), ("网上答题", 100, None)]
    assert [a.source for a in acts] == ["t.ods!S!R6", "t.ods!S!R7"]


def test_word_table_with_repeated_merged_header():
    tables = read_docx(ob.summary_docx()).tables
    acts, notes = extract_activities(tables[0], "总结.docx!表1")
    assert [a.fields["title"] for a in acts] == ["科普讲座进社区", "线上科普知识竞赛", "科技馆开放日"]
    assert [a.source for a in acts] == ["总结.docx!表1!R4", "总结.docx!表1!R5", "总结.docx!表1!R8"]
    assert acts[0].fields == {"title": "科普讲座进社区", "date": "9月15日", "location": "幸福社区",
                              "participants_online": None, "participants_offline": "300"}
    assert notes == []


def test_word_contact_table_is_not_an_activity_table():
    tables = read_docx(ob.summary_docx()).tables
    assert extract_activities(tables[1], "总结.docx!表2") == ([], [])


def test_layout_table_and_nested_activity_table():
    tables = read_docx(ob.nested_table_docx()).tables
    assert extract_activities(tables[0], "d!表1") == ([], [])
    acts, _ = extract_activities(tables[1], "d!表2")
    assert [a.fields for a in acts] == [{"title": "科普大篷车", "date": "9月10日", "location": "XX镇"}]


def test_header_synonyms_and_preferences():
    rows = [
        ["编号", "单位名称", "活动主题", "举办日期", "活动形式（线上/线下）", "受众对象", "参与人次（人次）",
         "主办单位", "承办单位", "联系人", "手机", "说明"],
        ["A1", "XX学会", "数学文化节", "9月6日", "线下", "中学生", "约500", "学会", "一中", "钱七", "139", "无"],
    ]
    acts, _ = extract_activities(rows, "s")
    fields, extra = acts[0].fields, acts[0].extra
    assert fields["title"] == "数学文化节"
    assert fields["date"] == "9月6日"
    assert fields["format"] == "线下"
    assert fields["participants"] == "约500"
    assert fields["organizer"] == "学会"  # 主办单位 is preferred over 单位名称 and 承办单位
    assert fields["contact"] == "钱七" and fields["phone"] == "139" and fields["remark"] == "无"
    assert extra == {"单位名称": "XX学会", "受众对象": "中学生", "承办单位": "一中"}
    assert "编号" not in extra


def test_title_column_alone_is_not_enough():
    rows = [["活动名称", "联系人", "联系电话"], ["科普讲座", "张三", "138"]]
    acts, notes = extract_activities(rows, "x!表3")
    assert acts == []
    assert notes == ["x!表3：有“活动名称”列，但没有时间、地点、人数或形式列，未当作活动表"]


def test_section_rows_notes_and_title_only_rows():
    rows = [
        ["活动名称", "活动时间", "活动地点"],
        ["一、线下活动", None, None],
        ["科普讲座", "9月1日", "社区"],
        ["院士报告会", None, None],  # a title alone is still an activity
        ["二、线上活动", "二、线上活动", "二、线上活动"],  # a merged group label
        ["网络直播", "9月2日", "线上"],
        ["说明：以上活动均已在平台填报。", None, None],
        ["备注：数据截至9月25日", "备注：数据截至9月25日", "备注：数据截至9月25日"],
        ["合计：3场", None, None],
    ]
    acts, notes = extract_activities(rows, "s")
    assert [a.fields["title"] for a in acts] == ["科普讲座", "院士报告会", "网络直播"]
    assert notes == []


def test_a_second_table_with_its_own_header():
    rows = [
        ["活动名称", "活动时间", "参与人数"],
        ["讲座", "9月1日", 100],
        [None, None, None],
        ["线上活动", None, None],
        ["活动地点", "活动名称", "线上参与人数"],
        ["线上", "直播课", 3000],
    ]
    acts, _ = extract_activities(rows, "s")
    assert acts[0].fields == {"title": "讲座", "date": "9月1日", "participants": 100}
    assert acts[-1].fields == {"location": "线上", "title": "直播课", "participants_online": 3000}
    assert len(acts) == 3  # the lone "线上活动" line is kept as a title-only row


def test_header_cell_spanning_two_data_columns_in_word():
    rows = [
        ["活动名称", "活动时间", "活动时间", "地点"],
        ["科技周", "9月1日", "9月7日", "广场"],
        ["讲座", "9月3日", "9月3日", "礼堂"],
    ]
    acts, _ = extract_activities(rows, "s")
    assert acts[0].fields["date"] == "9月1日 9月7日"
    assert acts[1].fields["date"] == "9月3日"


def test_three_level_header():
    rows = [
        ["活动名称", "参与人数", "参与人数", "参与人数"],
        ["活动名称", "线下", "线上", "线上"],
        ["活动名称", "线下", "直播", "回放"],
        ["直播讲座", 20, 3000, 1200],
    ]
    acts, _ = extract_activities(rows, "s")
    assert acts[0].fields == {"title": "直播讲座", "participants_offline": 20, "participants_online": 3000}
    assert acts[0].extra == {"参与人数/线上/回放": 1200}


def test_data_rows_are_not_taken_for_sub_headers():
    rows = [
        ["活动名称", "活动时间", "活动地点", "活动形式"],
        ["科普进校园", "9月中旬", "各学校", "线下"],
    ]
    acts, _ = extract_activities(rows, "s")
    assert [a.fields["title"] for a in acts] == ["科普进校园"]


def test_empty_and_ragged_input():
    assert extract_activities([], "s") == ([], [])
    acts, _ = extract_activities([["活动名称", "时间"], ["a"], ["b", "9月", "extra"]], "s")
    assert [a.fields for a in acts] == [{"title": "a", "date": None}, {"title": "b", "date": "9月"}]


def test_header_whose_second_field_is_only_in_the_sub_header():
    rows = [
        ["活动名称", "活动信息", None],
        [None, "时间", "地点"],
        ["观星夜", "9月12日", "天文台"],
    ]
    acts, _ = extract_activities(rows, "s")
    assert [a.fields for a in acts] == [{"title": "观星夜", "date": "9月12日", "location": "天文台"}]


def test_group_row_above_the_header():
    rows = [
        ["XX街道科普活动统计表", "XX街道科普活动统计表", "XX街道科普活动统计表", "XX街道科普活动统计表"],
        ["基本信息", "基本信息", "参与人数", "参与人数"],
        ["活动名称", "活动时间", "线上", "线下"],
        ["社区科普日", "9月20日", 0, 150],
    ]
    acts, _ = extract_activities(rows, "s")
    assert acts[0].fields == {"title": "社区科普日", "date": "9月20日",
                              "participants_online": 0, "participants_offline": 150}
    assert acts[0].source == "s!R4"


def test_a_form_laid_out_as_a_table_is_not_a_list():
    rows = [  # a Word evaluation form: labels and blanks to fill in, python-docx style
        ["填表人类别", "□单位 □个人", "□单位 □个人", "□单位 □个人", "□单位 □个人", "□单位 □个人"],
        ["填表人名称或姓名", "", "", "", "地址", ""],
        ["活动名称", "", "", "", "", ""],
        ["联系人", "", "电话", "", "传真", ""],
    ]
    assert extract_activities(rows, "s") == ([], [])


def test_a_data_row_with_header_words_is_not_a_new_header():
    """Word tables are all text: '5 | “…”消防安全主题科普展 | 2025/9/8 | … | 1440人次' is a row, not a header."""
    rows = [["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"],
            ["1", "垃圾分类科普讲座", "9.7", "习家套乡中心小学", "线下", "1790人"],
            ["2", "“走近科学 拥抱未来”消防安全主题科普展", "2025/9/8", "王辇庄乡卫生院", "线下", "1440人次"],
            ["3", "消防安全科技下乡服务", "9月11日至9月19日", "古冶区图书馆", "线下", "1564"]]
    activities, _ = extract_activities(rows, "总结.docx!表1")
    assert [a.fields["title"] for a in activities] == [r[1] for r in rows[1:]]
    assert activities[2].fields["location"] == "古冶区图书馆"


# --- two-row date headers (issue 9, point 1) --------------------------------------------------

@pytest.mark.parametrize("rows", [
    # 活动时间 merged over 开始 | 结束, as python-docx and the merged-range filling give it
    [["活动名称", "活动时间", "活动时间", "活动地点"], ["活动名称", "开始", "结束", "活动地点"]],
    # the same with the merges left empty (.ods, or a sheet whose merge was not recorded)
    [["活动名称", "活动时间", None, "活动地点"], [None, "开始日期", "结束日期", None]],
    [["活动名称", "起止时间", "起止时间", "活动地点"], ["活动名称", "起", "止", "活动地点"]],
    [["活动名称", "活动日期", "活动日期", "活动地点"], ["", "开始时间", "截止时间", ""]],
    # one row, no parent
    [["活动名称", "开始时间", "结束时间", "活动地点"]],
    [["活动名称", "起始日期", "终止日期", "活动地点"]],
], ids=["merged", "ods-blanks", "qi-zhi", "jiezhi", "one-row", "qishi-zhongzhi"])
def test_start_and_end_columns_are_both_read(rows):
    acts, notes = extract_activities(rows + [["科普月系列活动", "9月1日", "9月30日", "全区"]], "s")
    assert notes == []
    assert acts[0].fields == {"title": "科普月系列活动", "date_start": "9月1日", "date_end": "9月30日",
                              "location": "全区"}
    assert acts[0].extra == {}


def test_a_range_column_named_qizhi_stays_one_date():
    rows = [["活动名称", "活动起止时间", "活动地点"], ["科普周", "9月15日-21日", "区科技馆"]]
    acts, _ = extract_activities(rows, "s")
    assert acts[0].fields == {"title": "科普周", "date": "9月15日-21日", "location": "区科技馆"}


def test_dates_and_counts_both_split_in_a_two_row_header():
    rows = [["序号", "活动名称", "活动时间", "活动时间", "参与人数", "参与人数"],
            ["序号", "活动名称", "开始", "结束", "线下", "线上"],
            ["1", "科普大篷车巡展", "9月8日", "9月12日", "600", "0"]]
    acts, _ = extract_activities(rows, "总结.docx!表1")
    assert acts[0].fields == {"title": "科普大篷车巡展", "date_start": "9月8日", "date_end": "9月12日",
                              "participants_offline": "600", "participants_online": "0"}


# --- template example rows (issue 9, point 2) -------------------------------------------------

HEADER = ["序号", "活动名称", "活动时间", "活动地点"]


@pytest.mark.parametrize("row", [
    ["1", "（示例）XX社区科普讲座", "9月1日", "XX社区"],
    ["示例", "社区科普讲座", "9月1日", "幸福社区"],
    ["例", "社区科普讲座", "9月1日", "幸福社区"],
    ["1", "例：社区科普讲座", "9月1日", "幸福社区"],
    ["1", "例如：科技馆开放日", "9月1日", "科技馆"],
    ["1", "【示例】科技馆开放日", "9月1日", "科技馆"],
    ["1", "示例1：科技馆开放日", "9月1日", "科技馆"],
    ["1", "××镇科普大集", "9月×日", "××镇"],
    ["1", "xxx学校科学课", "9月1日", "xxx学校"],
    ["1", "某某小区防诈骗讲座", "9月1日", "某某小区"],
    ["1", "社区科普讲座", "9月1日", "此行为示例，填写时请删除"],
    ["1", "社区科普讲座", "9月1日", "（填写说明：地点写到村、社区）"],
])
def test_example_rows_are_not_activities(row):
    acts, notes = extract_activities([HEADER, row, ["2", "科普进校园", "9月3日", "实验小学"]], "表.xlsx!Sheet1")
    assert [a.fields["title"] for a in acts] == ["科普进校园"]
    assert len(notes) == 1 and notes[0].startswith("表.xlsx!Sheet1!R2：") and "示例行" in notes[0]


@pytest.mark.parametrize("title", ["病例分享会", "典型案例分享会", "科协例会暨科普工作部署会", "例行安全科普宣传",
                                   "示例性科普展览", "XXL号科普大篷车开放日", "Linux开源软件科普讲座"])
def test_titles_that_merely_contain_li_are_activities(title):
    acts, notes = extract_activities([HEADER, ["1", title, "9月1日", "市人民医院"]], "s")
    assert [a.fields["title"] for a in acts] == [title]
    assert notes == []


def test_instructions_merged_across_the_table_are_a_note():
    rows = [HEADER, ["填写说明：活动名称请写全称"] * 4, ["1", "科普进校园", "9月3日", "实验小学"]]
    acts, notes = extract_activities(rows, "s")
    assert [a.fields["title"] for a in acts] == ["科普进校园"] and notes == []



def test_a_date_column_beside_a_clock_column_and_a_count_named_by_its_unit():
    """Found by the blind table set: 日期 | 时间 (9:00-11:30) and 受益群众（人）."""
    from parsers.tables import extract_activities

    rows = [["活动名称", "日期", "时间", "地点", "受益群众（人）"],
            ["消防科普体验", "9月15日", "9:00-11:30", "消防救援站", "90"]]
    [row], _ = extract_activities(rows, "t.xlsx!Sheet1")
    assert (row.fields["date"], row.fields["participants"]) == ("9月15日", "90")
