"""Every attachment of the set: its activities (hand-typed through ``office.acts``) and the LibreOffice file."""
from __future__ import annotations

from blindmail.office import NARRATIVE, Act, acts, convert_all, sheet, word

# unit label -> activities as typed in its table (the expected rows come from here too)
ACTS: dict[str, list[Act]] = {
    "lunan": acts(11, 3, "路南区"),
    "gaoxin": acts(6, 5, "高新区", 80),
    "fengrun": acts(12, 2, "丰润区", 150, typed="dot"),
    "zunhua": acts(10, 4, "遵化市"),
    "tsxy": acts(3, 10, "唐山学院", 200),
    "dizhen": acts(2, 12, "地震遗址纪念公园", 300),
    "qianan": acts(10, 6, "迁安市", 90),
    "tangang": acts(2, 15, "唐钢", 60),
    "nongxue": acts(2, 18, "", 45),
    "lutai": acts(5, 8, "芦台开发区", 70),
    "huali": acts(3, 9, "华北理工大学", 260),
    "caofeidian": acts(10, 1, "曹妃甸区", 110),
    "weijian": acts(4, 11, "市卫健委", 180),
    "qixiang1": acts(3, 6, "市气象局", 55),
    "qixiang2": acts(4, 6, "市气象局", 55),
    "nongye": acts(3, 14, "", 75),
    "qianxi": acts(1, 20, "迁西县", 95),
    "lubei": acts(10, 7, "路北区", 130),
    "luanzhou": acts(10, 2, "滦州市", 85),
    "yixuehui": acts(2, 16, "", 140),
    "dizhi": acts(2, 21, "", 50),
    "kailuan": acts(2, 13, "开滦", 160),
    "kuangshan": acts(1, 19, "", 220),
    "haigang": acts(5, 10, "海港开发区", 65),
    "jiaoyu_week": [],
    "guye": acts(10, 3, "古冶区", 100),
    "kaiping": acts(10, 5, "开平区", 140),
    "jidong": acts(2, 17, "冀东水泥", 90),
    "luannan": acts(10, 4, "滦南县", 115),
    "xinli": acts(2, 20, "", 40),
    "lunan_fix": acts(12, 3, "路南区"),
}

N = NARRATIVE


def writer_sources() -> dict[str, bytes]:
    return {
        "路南区科协2025年全国科普月活动总结.docx": word("唐山市路南区科协2025年全国科普月活动总结", N),
        "唐山高新区全国科普月活动总结.docx": word("唐山高新区2025年全国科普月活动总结", N[:4], "theme", ACTS["gaoxin"]),
        "丰润区科协科普月活动总结.doc": word("丰润区科协关于2025年全国科普月活动开展情况的总结", N),
        "遵化市2025年全国科普月活动总结.docx": word("遵化市2025年全国科普月活动总结", N[:2], "plain", ACTS["zunhua"], after=N[2:]),
        "唐山学院科协全国科普月活动总结.docx": word("唐山学院科协2025年全国科普月活动总结", N[:2], "plain", ACTS["tsxy"]),
        "地震遗址纪念公园科普月活动总结.docx": word("唐山地震遗址纪念公园2025年全国科普月活动总结", N[:2], "theme", ACTS["dizhen"]),
        "迁安市科协全国科普月工作总结.docx": word("迁安市科协2025年全国科普月工作总结", N[:2], "org", ACTS["qianan"], "迁安市科协"),
        "唐钢公司科协2025年全国科普月活动总结.docx": word("河钢集团唐钢公司科协2025年全国科普月活动总结", N[:2], "plain", ACTS["tangang"]),
        "唐山市农学会科普月活动总结.docx": word("唐山市农学会2025年全国科普月活动总结", N[:2], "plain", ACTS["nongxue"]),
        "芦台开发区科普月活动总结.doc": word("芦台经济开发区2025年全国科普月活动总结", N),
        "华北理工大学科协全国科普月活动总结.docx": word("华北理工大学科协2025年全国科普月活动总结", N),
        "曹妃甸区科协科普月活动总结.docx": word("曹妃甸区科协2025年全国科普月活动总结", N),
        "科普月活动总结.docx": word("2025年全国科普月活动总结", N),
        "迁西县板栗产业科普示范项目2025年全国科普月活动总结.docx": word(
            "迁西县板栗产业科普示范项目2025年全国科普月活动总结", N[:2], "plain", ACTS["qianxi"]),
        "路北区2025年全国科普月活动总结.docx": word("唐山市路北区2025年全国科普月活动总结", N[:2], "theme", ACTS["lubei"]),
        "滦州市科协科普月活动总结.docx": word("滦州市科协2025年全国科普月活动总结", N),
        "唐山市医学会科普月活动总结.docx": word("唐山市医学会2025年全国科普月活动总结", N),
        "唐山市地质学会科普月活动总结.docx": word("唐山市地质学会2025年全国科普月活动总结", N[:2], "plain", ACTS["dizhi"]),
        "海港开发区科普月活动总结.docx": word("唐山海港经济开发区2025年全国科普月活动总结", N[:2], "key", ACTS["haigang"]),
        "古冶区科协科普月活动总结.docx": word("古冶区科协2025年全国科普月活动总结", N),
        "开平区科协科普月活动总结.docx": word("开平区科协2025年全国科普月活动总结", N[:2], "plain", ACTS["kaiping"], after=N[2:]),
        "冀东水泥集团科协科普月活动总结.docx": word("冀东水泥集团科协2025年全国科普月活动总结", N[:2], "theme", ACTS["jidong"]),
        "滦南县科协科普月活动总结.docx": word("滦南县科协2025年全国科普月活动总结", N[:2], "plain", ACTS["luannan"], after=N[2:]),
        "唐山市心理卫生协会科普月活动总结.pdf": word("唐山市心理卫生协会2025年全国科普月活动总结", N[:2], "plain", ACTS["xinli"]),
        "市教育局2025年科技活动周活动总结.docx": word(
            "市教育局2025年科技活动周活动总结",
            ["2025年5月科技活动周期间，市教育局组织全市中小学开展科技活动。", "一、活动开展情况"], "plain",
            [Act("校园科技节", "2025年5月18日", "", "", "第十中学", "线下", "600", 600),
             Act("青少年机器人竞赛", "2025年5月20日", "", "", "青少年宫", "线下", "320", 320)]),
    }


def calc_sources() -> dict[str, bytes]:
    a = ACTS
    return {
        "路南区全国科普月重点活动统计表.xlsx": sheet("路南区2025年全国科普月重点科普活动统计表", "plain", a["lunan"]),
        "丰润区全国科普月重点科普活动统计表.xls": sheet("丰润区全国科普月重点科普活动统计表", "key", a["fengrun"]),
        "芦台开发区科普月活动统计表.xls": sheet("芦台经济开发区全国科普月活动统计表", "theme", a["lutai"]),
        "华北理工大学科协重点活动统计表.xlsx": sheet("华北理工大学科协全国科普月重点活动统计表", "key", a["huali"]),
        "曹妃甸区科普月活动统计表.xlsx": sheet("曹妃甸区2025年全国科普月活动统计表", "plain", a["caofeidian"]),
        "市卫健委全国科普月重点活动统计表.xlsx": sheet("市卫健委全国科普月重点活动统计表", "theme", a["weijian"]),
        "市气象局科普月活动统计表.xlsx": sheet("唐山市气象局全国科普月活动统计表", "plain", a["qixiang1"]),
        "市气象局科普月活动统计表（更正）.xlsx": sheet("唐山市气象局全国科普月活动统计表", "plain", a["qixiang2"]),
        "活动统计表.xlsx": sheet("全国科普月活动统计表", "plain", a["nongye"]),
        "滦州市科普月活动统计表.ods": sheet("滦州市全国科普月重点活动统计表", "plain", a["luanzhou"]),
        "唐山市医学会活动统计表.xlsx": sheet("唐山市医学会全国科普月活动统计表", "org", a["yixuehui"], "唐山市医学会"),
        "开滦集团科协重点活动统计表.xlsx": sheet("开滦集团科协全国科普月重点活动统计表", "key", a["kailuan"]),
        "开滦国家矿山公园科普月活动统计表.xlsx": sheet("开滦国家矿山公园全国科普月活动统计表", "plain", a["kuangshan"]),
        "2025年唐山市科普讲解大赛报名表.xlsx": _entry_form(),
        "滦南县科普月重点活动统计表.xlsx": sheet("滦南县全国科普月重点活动统计表", "plain", a["luannan"]),
        "路南区全国科普月重点活动统计表（更正）.xlsx": sheet("路南区2025年全国科普月重点科普活动统计表", "plain", a["lunan_fix"]),
    }


def _entry_form() -> bytes:
    import lobuild as lo
    return lo.fods({"报名表": [["2025年唐山市科普讲解大赛报名表", "", "", "", ""],
                               ["序号", "姓名", "性别", "单位", "讲解题目"],
                               [1, "王晓静", "女", "唐山科技馆", "地震科普知识"],
                               [2, "孙浩", "男", "唐山科技馆", "走进人工智能"]]})


def build() -> dict[str, bytes]:
    return convert_all(writer_sources(), calc_sources())


def platform_export_xls(items: list[Act], organizer: str) -> bytes:
    """What web systems hand out as "Excel": an HTML table saved as .xls (the 平台 export a unit forwards)."""
    head = ["活动名称", "活动开始时间", "活动结束时间", "活动地点", "举办单位", "活动形式", "参与人数"]
    rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in (a.title, a.start + " 09:00:00", a.end + " 17:00:00",
                                                                a.place, organizer, a.fmt, a.participants)) + "</tr>"
                   for a in items)
    return ('<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
            '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><table border="1">'
            "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + rows + "</table></body></html>").encode("utf-8")
