"""The units registry of the sample campaign: realistic Tangshan names, aliases, addresses.

Real names come first; when a large registry is asked for, names are composed from
towns, subjects and brands so that every name stays unique and plausible.
"""
from __future__ import annotations

import random
from collections.abc import Iterator

from .model import Unit

# slug, name, former name (or "")
COUNTIES = [
    ("lunan", "路南区", ""), ("lubei", "路北区", ""), ("guye", "古冶区", ""), ("kaiping", "开平区", ""),
    ("fengnan", "丰南区", ""), ("fengrun", "丰润区", ""), ("caofeidian", "曹妃甸区", "唐海县"),
    ("luanzhou", "滦州市", "滦县"), ("zunhua", "遵化市", ""), ("qianan", "迁安市", ""),
    ("luannan", "滦南县", ""), ("laoting", "乐亭县", ""), ("qianxi", "迁西县", ""), ("yutian", "玉田县", ""),
]

TOWNS = {
    "路南区": ["学院南路街道", "友谊街道", "小山街道", "女织寨乡"],
    "路北区": ["乔屯街道", "文化路街道", "果园乡", "翔云道街道"],
    "古冶区": ["范各庄镇", "卑家店镇", "王辇庄乡", "习家套乡"],
    "开平区": ["开平街道", "栗园镇", "洼里镇", "双桥镇"],
    "丰南区": ["黄各庄镇", "钱营镇", "大新庄镇", "唐坊镇", "胥各庄街道"],
    "丰润区": ["左家坞镇", "泉河头镇", "七树庄镇", "火石营镇", "银城铺镇"],
    "曹妃甸区": ["唐海镇", "滨海镇", "柳赞镇", "一农场", "十一农场"],
    "滦州市": ["榛子镇", "古马镇", "茨榆坨镇", "雷庄镇", "杨柳庄镇"],
    "遵化市": ["马兰峪镇", "西留村乡", "党峪镇", "堡子店镇", "平安城镇"],
    "迁安市": ["杨店子街道", "夏官营镇", "野鸡坨镇", "马兰庄镇", "木厂口镇"],
    "滦南县": ["倴城镇", "宋道口镇", "长凝镇", "胡各庄镇", "坨里镇"],
    "乐亭县": ["汤家河镇", "胡家坨镇", "姜各庄镇", "毛庄镇", "中堡王庄镇"],
    "迁西县": ["汉儿庄镇", "洒河桥镇", "东荒峪镇", "新集镇", "三屯营镇"],
    "玉田县": ["林南仓镇", "鸦鸿桥镇", "窝洛沽镇", "石臼窝镇", "亮甲店镇"],
}

ZONES = [
    ("gaoxin", "唐山高新技术产业开发区", ["唐山高新区", "高新区科协"]),
    ("lutai", "芦台经济开发区", ["芦台开发区", "唐山市芦台经济开发区科协"]),
    ("hangu", "汉沽管理区", ["唐山市汉沽管理区", "汉沽管理区科协"]),
    ("haigang", "唐山海港经济开发区", ["海港开发区", "唐山海港开发区科协"]),
]

# slug, name, aliases
MEMBERS = [
    ("jyj", "市教育局", ["唐山市教育局"]), ("wjw", "市卫生健康委员会", ["唐山市卫生健康委员会", "市卫健委"]),
    ("nyncj", "市农业农村局", ["唐山市农业农村局"]), ("sthjj", "市生态环境局", ["唐山市生态环境局"]),
    ("yjglj", "市应急管理局", ["唐山市应急管理局"]), ("kjj", "市科学技术局", ["唐山市科学技术局", "市科技局"]),
    ("gxj", "市工业和信息化局", ["唐山市工业和信息化局", "市工信局"]), ("mzj", "市民政局", ["唐山市民政局"]),
    ("rsj", "市人力资源和社会保障局", ["唐山市人力资源和社会保障局", "市人社局"]),
    ("zrzyj", "市自然资源和规划局", ["唐山市自然资源和规划局"]),
    ("zjj", "市住房和城乡建设局", ["唐山市住房和城乡建设局", "市住建局"]),
    ("jtysj", "市交通运输局", ["唐山市交通运输局"]), ("slj", "市水利局", ["唐山市水利局"]),
    ("wglj", "市文化广电和旅游局", ["唐山市文化广电和旅游局", "市文旅局"]),
    ("scjgj", "市市场监督管理局", ["唐山市市场监督管理局", "市市场监管局"]),
    ("qxj", "市气象局", ["唐山市气象局"]), ("dzj", "市地震局", ["唐山市地震局"]),
    ("xcb", "市委宣传部", ["中共唐山市委宣传部"]), ("fl", "市妇联", ["唐山市妇女联合会"]),
    ("tsw", "团市委", ["共青团唐山市委员会"]), ("zgh", "市总工会", ["唐山市总工会"]),
    ("cl", "市残联", ["唐山市残疾人联合会"]), ("gaj", "市公安局", ["唐山市公安局"]),
    ("sfj", "市司法局", ["唐山市司法局"]), ("ybj", "市医疗保障局", ["唐山市医疗保障局", "市医保局"]),
    ("xfzd", "市消防救援支队", ["唐山市消防救援支队"]), ("tjj", "市统计局", ["唐山市统计局"]),
    ("tyjrj", "市退役军人事务局", ["唐山市退役军人事务局"]), ("tyj", "市体育局", ["唐山市体育局"]),
    ("gxs", "市供销合作社", ["唐山市供销合作社", "市供销社"]),
    ("lsj", "市粮食和物资储备局", ["唐山市粮食和物资储备局"]),
    ("swj", "国家税务总局唐山市税务局", ["唐山市税务局"]),
]

SOCIETIES = ["唐山市医学会", "唐山市农学会", "唐山市中医药学会", "唐山市护理学会", "唐山市计算机学会",
             "唐山市气象学会", "唐山市地震学会", "唐山市科普作家协会", "唐山市青少年科技教育协会",
             "唐山市药学会", "唐山市预防医学会", "唐山市营养学会", "唐山市心理卫生协会", "唐山市金属学会",
             "唐山市煤炭学会", "唐山市硅酸盐学会", "唐山市机械工程学会", "唐山市电机工程学会",
             "唐山市环境科学学会", "唐山市林学会", "唐山市园艺学会", "唐山市畜牧兽医学会", "唐山市水利学会",
             "唐山市土木建筑学会", "唐山市自动化学会", "唐山市通信学会", "唐山市汽车工程学会",
             "唐山市测绘学会", "唐山市地质学会", "唐山市数学会", "唐山市物理学会", "唐山市化学化工学会",
             "唐山市植物保护学会", "唐山市水产学会", "唐山市食品科学技术学会", "唐山市老科技工作者协会"]
SOCIETY_SUBJECTS = ["康复医学", "口腔医学", "眼科", "急救", "糖尿病防治", "抗癌", "针灸", "麻醉", "药理",
                    "土壤肥料", "果树", "蔬菜", "蚕桑", "养蜂", "农业机械", "农业经济", "水土保持", "航海",
                    "铁道", "公路", "城市规划", "风景园林", "档案", "图书馆", "统计", "会计", "法学", "心理",
                    "人工智能", "大数据", "电子", "光学", "声学", "力学", "无线电", "航模", "天文", "集邮",
                    "钢铁工业", "陶瓷工业", "焊接", "铸造", "热处理", "腐蚀与防护", "节能", "新能源", "储能"]
SOCIETY_KINDS = ["学会", "协会", "研究会"]

# name, aliases (the first listed enterprise carries the ones named in the brief)
ENTERPRISES = [
    ("开滦（集团）有限责任公司科协", ["开滦集团科协", "开滦集团公司科学技术协会"]),
    ("河钢集团唐钢公司科协", ["唐钢科协", "河钢唐钢科协"]),
    ("首钢京唐钢铁联合有限责任公司科协", ["首钢京唐公司科协"]),
    ("中车唐山机车车辆有限公司科协", ["中车唐山公司科协"]),
    ("唐山三友集团有限公司科协", ["三友集团科协"]),
    ("唐山冀东水泥股份有限公司科协", ["冀东水泥科协"]),
    ("唐山港集团股份有限公司科协", ["唐山港集团科协"]),
    ("国网冀北电力有限公司唐山供电公司科协", ["国网唐山供电公司科协"]),
    ("河北津西钢铁集团股份有限公司科协", ["津西钢铁科协"]),
    ("唐山惠达陶瓷（集团）股份有限公司科协", ["惠达陶瓷科协"]),
    ("唐山燕山钢铁有限公司科协", ["燕山钢铁科协"]),
]
BRANDS = ["华冶", "荣信", "金马", "瑞丰", "东海", "德龙", "文丰", "国义", "金泉", "兴业", "鑫达", "宝业",
          "建龙", "远通", "冀盛", "北方", "百川", "恒源", "正丰", "华润"]
INDUSTRIES = ["钢铁", "陶瓷", "化工", "机械", "新材料", "科技", "电气", "建材", "焦化", "物流"]

COLLEGES = [
    ("华北理工大学科协", ["华北理工大学科学技术协会", "河北联合大学科协"]),  # former name of the university
    ("唐山学院科协", ["唐山学院科学技术协会"]), ("唐山师范学院科协", ["唐山师院科协"]),
    ("唐山职业技术学院科协", ["唐职院科协"]), ("唐山工业职业技术学院科协", ["唐山工业职院科协"]),
    ("河北能源职业技术学院科协", ["河北能源职院科协"]),
    ("唐山科技职业技术学院科协", ["唐山科技职院科协"]),
    ("唐山幼儿师范高等专科学校科协", ["唐山幼专科协"]), ("曹妃甸职业技术学院科协", ["曹妃甸职院科协"]),
    ("唐山海运职业学院科协", ["唐山海运职院科协"]),
]
CN_NUMBERS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
              "十五", "十六", "十七", "十八", "十九", "二十"]

BASES = [
    ("唐山科技馆", ["唐山市科技馆"]), ("开滦国家矿山公园", ["开滦博物馆"]),
    ("唐山地震遗址纪念公园", ["唐山抗震纪念馆"]), ("唐山博物馆", ["唐山市博物馆"]),
    ("唐山陶瓷博物馆", ["中国陶瓷博物馆唐山馆"]), ("唐山市青少年宫", ["唐山青少年宫"]),
    ("唐山动物园", ["唐山市动物园"]), ("曹妃甸湿地和鸟类省级自然保护区", ["曹妃甸湿地"]),
    ("唐山市气象科普馆", ["唐山气象科普馆"]), ("唐山市消防科普教育馆", ["唐山消防科普馆"]),
]
BASE_THEMES = ["青少年科技活动中心", "农业科技示范园", "气象科普馆", "防震减灾科普馆", "中医药文化科普基地",
               "生态农业科普园", "消防科普教育基地", "地质科普馆", "禁毒教育基地", "科技馆"]
PROJECT_KINDS = ["农业技术协会", "科普示范基地", "科普e站", "科普示范村"]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["丽", "伟", "芳", "娜", "敏", "静", "秀英", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀兰", "霞", "平", "刚", "桂英", "晓燕", "海燕", "建华", "志强", "雪", "丹", "鹏", "宇航", "欣怡",
         "子涵", "佳琪", "春雨", "立新", "红梅", "玉兰", "文博", "晨曦"]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def qq_address(rng: random.Random) -> str:
    return f"{rng.randint(10**7, 4 * 10**9)}@qq.com"


def personal_address(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return qq_address(rng)
    words = ["zhangli", "wangwei", "liuyang", "chenjing", "yangfan", "zhaolei", "sunmin", "huangli", "tskp", "kepu"]
    return f"{rng.choice(words)}{rng.randint(1970, 2003)}@{rng.choice(['163.com', '126.com', 'sina.com'])}"


def _allocate(n_units: int) -> dict[str, int]:
    """How many units of each category a registry of n_units holds."""
    counts = {"county": min(14, max(1, round(n_units * 0.28))),
              "zone": min(4, max(1, round(n_units * 0.08))),
              "member": min(len(MEMBERS), max(1, round(n_units * 0.22)))}
    rest = n_units - sum(counts.values())
    weights = {"society": 0.35, "enterprise_sa": 0.15, "college_sa": 0.12, "base": 0.2, "project": 0.18}
    for cat, w in weights.items():
        counts[cat] = max(1, int(rest * w))
    counts["society"] += n_units - sum(counts.values())  # rounding rest
    return counts


def _composed(rng: random.Random, real: list[tuple[str, list[str]]], extra) -> "Iterator[tuple[str, list[str]]]":
    """Yield (name, aliases): the real names first (shuffled), then composed ones."""
    real = list(real)
    rng.shuffle(real)
    seen = set()
    for name, aliases in real:
        seen.add(name)
        yield name, aliases
    for name, aliases in extra():
        if name not in seen:
            seen.add(name)
            yield name, aliases


def build_units(rng: random.Random, n_units: int) -> list[Unit]:
    if n_units < 20:
        raise ValueError("n_units must be at least 20 so that every case has a unit")
    counts = _allocate(n_units)
    county_names = [c[1] for c in COUNTIES]
    units: list[Unit] = []

    for slug, name, former in rng.sample(COUNTIES, counts["county"]):
        aliases = [f"唐山市{name}科协", f"{name}全民科学素质工作领导小组办公室", f"{name}科学技术协会"]
        if former:
            aliases.append(f"{former}科协")
        units.append(Unit(slug, name, "county", aliases, [f"{slug}_kx@126.com"]))
    for slug, name, aliases in rng.sample(ZONES, counts["zone"]):
        units.append(Unit(slug, name, "zone", list(aliases), [f"{slug}kx@126.com"]))
    for slug, name, aliases in rng.sample(MEMBERS, counts["member"]):
        box = rng.choice(["163.com", "126.com"])
        units.append(Unit(f"m-{slug}", name, "member", list(aliases), [f"ts{slug}kp@{box}"]))

    def societies():
        for subject in SOCIETY_SUBJECTS:
            for kind in SOCIETY_KINDS:
                yield f"唐山市{subject}{kind}", []

    def enterprises():
        for brand in BRANDS:
            for industry in INDUSTRIES:
                yield f"唐山{brand}{industry}有限公司科协", [f"{brand}{industry}科协"]

    def colleges():
        for n in CN_NUMBERS:
            yield f"唐山市第{n}中学科协", [f"唐山{n}中科协"]
        for county in county_names:
            yield f"{county}职业技术教育中心科协", [f"{county}职教中心科协"]

    def bases():
        for theme in BASE_THEMES:
            for county in county_names:
                yield f"{county}{theme}", [f"唐山市{county}{theme}"]

    def projects():
        for kind in PROJECT_KINDS:
            for county, towns in TOWNS.items():
                for town in towns:
                    yield f"{county}{town}{kind}", [f"{town}{kind}"]

    society_real = [(n, [n.replace("唐山市", "唐山", 1)]) for n in SOCIETIES]
    pools = {
        "society": ("s", _composed(rng, society_real, societies)),
        "enterprise_sa": ("e", _composed(rng, ENTERPRISES, enterprises)),
        "college_sa": ("c", _composed(rng, COLLEGES, colleges)),
        "base": ("b", _composed(rng, BASES, bases)),
        "project": ("p", _composed(rng, [], projects)),
    }
    for cat, (prefix, names) in pools.items():
        for k in range(1, counts[cat] + 1):
            name, aliases = next(names)
            addr = f"ts{prefix}{k:03d}kp@{rng.choice(['163.com', '126.com', 'sina.com'])}"
            units.append(Unit(f"{prefix}{k:03d}", name, cat, list(aliases), [addr]))

    # Address variety: some QQ mailboxes, a few units with two, some with none registered.
    for unit in units:
        r = rng.random()
        if r < 0.10:
            unit.emails = []
        elif r < 0.22:
            unit.emails = [qq_address(rng)]
        elif r < 0.30:
            unit.emails.append(qq_address(rng) if rng.random() < 0.5 else unit.emails[0].replace("@", "2025@"))
    return units


def text_names(unit: Unit) -> list[str]:
    """How a unit's own people spell its name in subjects, titles and file names."""
    name = unit.name
    variants = [name]
    if unit.category in ("county", "zone"):
        if not name.startswith("唐山"):
            variants.append("唐山市" + name)
        variants.append(name + "科协")
    elif unit.category == "member" and name.startswith("市"):
        variants.append("唐山" + name)
    elif unit.category == "society" and name.startswith("唐山市"):
        variants.append(name[3:])
    variants.extend(a for a in unit.aliases if a not in variants)
    return variants


def town_of(rng: random.Random, unit: Unit) -> tuple[str, str]:
    """A county and a town where the unit's activities happen."""
    county = unit.name if unit.name in TOWNS else next((c for c in TOWNS if unit.name.startswith(c)), None)
    if county is None:
        county = rng.choice(list(TOWNS))
    return county, rng.choice(TOWNS[county])
