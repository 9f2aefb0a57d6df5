"""The commendation shortlist and the narratives' grouping, on a small season written by hand here:
every expected score and evidence below is worked out by hand from the notice's criteria as
pipeline/reporting/shortlist.py documents them."""
from pipeline.reporting.narratives import UnitNarrative, group_suggestions, section_kind, themes_of
from pipeline.reporting.shortlist import activity_key, build_shortlist, declared_platform


def _unit(uid, name, reported, required, late=False, submitted=True):
    return {"unit_id": uid, "name": name, "category": "county", "required": required, "reported": reported,
            "met": reported >= required, "submitted": submitted, "late": late}


def _act(uid, title, location, participants, **more):
    return {"unit_id": uid, "message_id": f"<{uid}>", "title": title, "start_date": "2025-09-10",
            "end_date": "2025-09-10", "location": location, "participants": participants, **more}


DATA = {
    "units": [_unit("a", "甲县", 4, 2), _unit("b", "乙学会", 1, 2, late=True), _unit("c", "丙局", 0, 3, submitted=False)],
    "activities": [
        _act("a", "人工智能科普进校园", "甲县第一小学", 800),
        _act("a", "“千万IP创科普”短视频征集", "抖音", 50000, participants_offline=0, participants_online=50000),
        _act("a", "全国科普月主场活动", "甲县文化广场", 3000),
        _act("a", "防灾减灾讲座", "甲县图书馆", 200),
        _act("b", "心理健康讲座", "某社区", 90),
    ],
    "messages": [],
}
NARRATIVES = {
    "a": UnitNarrative("a", "甲县", "county", "<a>", "2025-09-20", {
        "effect": [("二、工作成效", "活动覆盖全县。甲县电视台对防灾减灾讲座进行了报道，群众反响良好。")],
        "case": [("三、典型案例", "人工智能科普进校园：学生踊跃参与。")],
        "suggestion": [("四、意见建议", "建议统一总结模板。建议增加经费投入，适当延长报送时间。")]}),
    "b": UnitNarrative("b", "乙学会", "society", "<b>", "2025-09-28", {
        "suggestion": [("存在问题和建议", "报送模板不统一，填报口径不一。希望加强志愿者培训。")]}),
}


def test_units_ranked_with_their_evidence():
    shortlist = build_shortlist(DATA, NARRATIVES, {})
    assert [c.unit_id for c in shortlist.units] == ["a", "b"]  # a unit that sent nothing is no candidate
    a = {k.name: k for k in shortlist.units[0].criteria}
    # 4 of 2 = twice the quota -> 50; on time -> 20; no platform data -> 0
    assert a["组织动员有力"].score == 70.0
    assert "暂无" in a["组织动员有力"].evidence[2].text
    # new technology 40 + #千万IP创科普# 30 + 主场活动 30, each naming its activity
    assert a["亮点特色突出"].score == 100.0
    texts = " ".join(e.text for e in a["亮点特色突出"].evidence)
    assert "《人工智能科普进校园》" in texts and "《“千万IP创科普”短视频征集》" in texts and "《全国科普月主场活动》" in texts
    # 1 of 4 at the grassroots (a primary school) -> 12.5; one kind (学校) -> 10; 54,000 people -> 20
    assert a["服务基层有效"].score == 42.5
    assert any(e.text.startswith("学校：《人工智能科普进校园》") for e in a["服务基层有效"].evidence)
    b = {k.name: k for k in shortlist.units[1].criteria}
    # 1 of 2 -> 50 * 0.5 / 2 = 12.5; late -> 0
    assert b["组织动员有力"].score == 12.5 and "逾期报送" in [e.text for e in b["组织动员有力"].evidence]
    assert b["亮点特色突出"].score == 0
    # 1 of 1 in a community -> 50 + 10; 90 people -> 20 * 0.009 = 0.2
    assert b["服务基层有效"].score == 60.2
    assert shortlist.units[0].total == 212.5


def test_platform_share_from_the_import_or_else_the_units_own_column():
    with_import = dict(DATA, platform={"rows": 3, "matched": 2, "only_on_platform": []},
                       activities=[dict(a, platform_id="P1" if i < 2 else None) for i, a in enumerate(DATA["activities"])])
    a = build_shortlist(with_import, NARRATIVES, {}).units[0].criteria[0]
    assert a.score == 70.0 + 15.0  # 2 of 4 registered -> 30 * 0.5
    assert "平台已登记2/4项" in a.evidence[2].text and "《人工智能科普进校园》" in a.evidence[2].text
    declared = {activity_key(DATA["activities"][0]): declared_platform("是"),
                activity_key(DATA["activities"][1]): declared_platform("否")}
    shortlist = build_shortlist(DATA, NARRATIVES, declared)
    assert shortlist.units[0].criteria[0].score == 70.0 + 15.0  # 1 of the 2 that say
    assert "是否平台填报" in shortlist.platform_source
    assert [declared_platform(v) for v in ("已填报", "√", "未填报", "否", "", None)] == \
        [True, True, False, False, None, None]


def test_activities_by_reach_and_response():
    shortlist = build_shortlist(DATA, NARRATIVES, {})
    talk, video = shortlist.activities[:2]
    assert video.title == "“千万IP创科普”短视频征集"  # 50,000 people: 60 * log10(50000) / 5 = 56.4
    assert video.score == 56.4 + 5.0  # and the unit's summary mentions media (电视台), not naming this one
    assert talk.title == "防灾减灾讲座"
    # 200 people: 60 * log10(200) / 5 = 27.6; media named (甲县电视台…防灾减灾讲座) 25; praise in that sentence 15
    assert talk.score == 27.6 + 25 + 15
    assert any("甲县电视台对防灾减灾讲座进行了报道" in e.text for e in talk.evidence)
    school = next(c for c in shortlist.activities if c.title == "人工智能科普进校园")
    assert any(e.text == "列为本单位典型案例" for e in school.evidence)


def test_suggestions_grouped_by_theme():
    assert section_kind("四、意见建议") == "suggestion" and section_kind("三、典型案例") == "case"
    assert section_kind("（二）取得成效") == "effect" and section_kind("存在问题和建议") == "suggestion"
    assert themes_of("建议增加经费投入，适当延长报送时间。") == ["经费", "延期"]
    assert themes_of("感谢市科协的指导。") == ["其他"]
    groups = {g.theme: g for g in group_suggestions(NARRATIVES)}
    assert groups["统一模板"].units == 2  # 甲县 "统一总结模板" and 乙学会 "报送模板不统一，填报口径不一"
    assert [q.unit for q in groups["经费"].quotes] == ["甲县"]
    assert [q.unit for q in groups["队伍和培训"].quotes] == ["乙学会"]
    assert list(groups)[0] == "统一模板"  # the most units first
