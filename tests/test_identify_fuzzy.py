"""Unit identification from content: canonical suffixes, former names, fuzzy names, other cities."""
from parsers.parsed import Envelope, FileResult
from pipeline.campaign.registry import Registry, Unit
from pipeline.judge.identify import NameIndex, canon, core_name, identify

REGISTRY = Registry([
    Unit("lunan", "路南区", "county", ("唐山市路南区科协", "路南区全民科学素质工作领导小组办公室"), ("lunan@126.com",)),
    Unit("caofeidian", "曹妃甸区", "county", ("唐海县科协",), ()),
    Unit("yxh", "唐山市医学会", "society", (), ()),
    Unit("wjw", "市卫生健康委员会", "member", ("唐山市卫生健康委员会", "市卫健委"), ()),
    Unit("tsxy", "唐山学院科协", "college_sa", ("唐山学院科学技术协会",), ()),
    Unit("tssy", "唐山师范学院科协", "college_sa", ("唐山师院科协",), ()),
    Unit("hy", "唐山华冶钢铁有限公司科协", "enterprise_sa", ("华冶钢铁科协",), ()),
    Unit("hyc", "唐山华冶陶瓷有限公司科协", "enterprise_sa", ("华冶陶瓷科协",), ()),
    Unit("kjg", "唐山科技馆", "base", ("唐山市科技馆",), ()),
])
INDEX = NameIndex.build(REGISTRY)


def who(name: str, sender="12345678@qq.com"):
    envelope = Envelope(message_id="<m@x>", subject=f"{name}2025年全国科普月活动总结", from_addr=sender,
                        from_name="张三", text="老师好：\n附件请查收。")
    files = [FileResult(name=f"附件1：{name}科普月总结.docx", kind="docx", status="parsed",
                        title=f"关于{name}开展2025年全国科普月活动情况的总结")]
    return identify(envelope, files, REGISTRY, INDEX, {"tskxpjb@126.com"})


def test_canonical_suffixes():
    assert canon("唐山市 路南区科学技术协会") == "唐山市路南区科协"
    assert canon("路南区全民科学素质工作领导小组办公室") == "路南区科协"
    assert core_name("唐山学院科协") == "唐山学院"  # "唐山" is part of the proper name here
    assert core_name("唐山市路南区科协") == "路南区"


def test_suffix_variants_and_former_names():
    for name in ("唐山市路南区科学技术协会", "路南区科协", "路南区全民科学素质工作领导小组办公室"):
        assert who(name).unit_id == "lunan", name
    assert who("唐海县科协").unit_id == "caofeidian"  # the former county name is an alias
    # 科学技术协会 is 科协: the alias of 唐山学院 must not swallow 唐山师范学院's full name
    assert who("唐山师范学院科学技术协会").unit_id == "tssy"


def test_fuzzy_name_above_threshold():
    result = who("唐山市卫生健康委")
    assert (result.unit_id, result.how) == ("wjw", "fuzzy") and "相似度" in result.note
    assert who("唐山华冶钢铁公司科协").unit_id == "hy"


def test_fuzzy_close_call_goes_to_review():
    result = who("唐山华冶公司科协")  # steel or ceramics? both equally close
    assert result.unit_id is None


def test_other_city_is_not_ours():
    for name in ("石家庄市医学会", "秦皇岛市卫生健康委员会", "秦皇岛市北戴河区科协"):
        assert who(name).unit_id is None, name
    assert who("路南区科技馆").unit_id is None  # 科技馆 alone does not name 唐山科技馆


def test_registered_address_still_decides():
    assert who("唐山市卫生健康委", sender="lunan@126.com").unit_id == "lunan"  # a guess never overrides it
