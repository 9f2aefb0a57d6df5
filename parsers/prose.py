"""Activities told in prose: numbered paragraphs of a report become proposed rows.

Offices that send no table still describe each activity in a numbered paragraph:
"（一）9月15日，在友谊街道社区开展‘科普进社区’活动，参与群众300余人。", "一是…；二是…", or
a paragraph opening with its date. Each such passage (a day-level date plus a title, an activity
verb or a place) becomes a ``RawActivity`` with a confidence, the paragraph as evidence and its
place in words ("总结.docx 正文第二部分第（三）段"). These are proposals: a person confirms them
before they count. A sentence about totals ("共开展各类科普活动28场次") is never an activity.

Pure: text in, rows out. Values stay as the text found; ``values.normalize_activity`` reads them
like any table cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .parsed import RawActivity
from .values import parse_dates

_CN = "一二三四五六七八九十"
_NUMBER = rf"[\d{_CN}百千万两〇零.]+"

# a paragraph's own number: （三） (3) 3. 3、 ③ 一是 第三，
_MARKER = re.compile(
    rf"^\s*(?P<m>[（(]\s*[{_CN}\d]{{1,3}}\s*[)）]|\d{{1,2}}\s*[、．]|\d{{1,2}}\.(?!\d{{1,2}}(?:[日号，,\s]|$))"
    rf"|[①-⑳]|[{_CN}]{{1,3}}是|[{_CN}]{{1,3}}\s*[、．]|第[{_CN}]{{1,3}}[,，、])\s*")
# a part of the report: 一、活动开展情况 / 第二部分
_SECTION = re.compile(rf"^\s*(?:(?P<n>[{_CN}]{{1,3}})\s*[、．.]|第(?P<p>[{_CN}]{{1,3}})部分)")
_INLINE = re.compile(rf"(?:(?<=^)|(?<=[。；;，,：:]))\s*(?P<m>[{_CN}]{{1,3}}是)")
_CLAUSE_END = re.compile(r"(?<=[。；;!！?？])")

_DAY = r"\d{1,2}[日号]|\d{1,2}(?=\s*[-–—~～至到]\s*\d{1,2}[日号])|上中旬|中下旬|上旬|中旬|下旬"
_DAY_CN = rf"[{_CN}]{{1,3}}[日号]"
_DATE = re.compile(
    rf"(?:(?:20\d{{2}}|二〇二\S)年)?(?:\d{{1,2}}|[{_CN}]{{1,2}})月(?:{_DAY}|{_DAY_CN})"
    rf"(?:\s*(?:至|到|-|—|–|～|~|、)\s*(?:(?:\d{{1,2}}|[{_CN}]{{1,2}})月)?(?:{_DAY}|{_DAY_CN}|\d{{1,2}}(?=[日号])[日号]?))?"
    rf"|(?<![\d.])(?:20\d{{2}}[.\-/])?\d{{1,2}}[.\-/]\d{{1,2}}(?![\d.%])(?:日)?")
_QUOTED = re.compile(r"[“\"'‘「《【]\s*([^“”\"'‘’「」《》【】，。；]{2,40}?)\s*[”\"'’」》】]")
_NOUNS = (r"活动|讲座|宣讲|展览|展|比赛|竞赛|大赛|培训|课堂|科普课|课|观影|直播|讲堂|论坛|开放日|宣传周|宣传|体验|义诊"
          r"|集市|嘉年华|研学|沙龙|报告会|分享会|知识竞赛|演出|巡展|夏令营|短视频|视频|专栏|仪式")
_TITLE_TAIL = re.compile(rf"^(?:[\u4e00-\u9fff]{{0,8}}?(?:主题|专题|系列|科普|宣传|知识|公益|线上|线下|云端)*(?:{_NOUNS}))+")
_PLACE_BEFORE = re.compile(r"(?:在|于|通过|依托|利用|借助|由)\s*$")  # “唐山科协”微信公众号 is where, not what
_VERB = re.compile(r"(?:组织开展|联合开展|开展了?|举办了?|举行了?|组织了?|开设了?|承办了?|启动了?|推出了?|策划了?|走进)")
_LEAD_VERB = re.compile(r"开展|举办|举行|组织")  # a phrase holding one of these names no activity yet
_PLACE = re.compile(
    r"(?:(?<![正存所实现自内])在|(?<![由对关])于|走进|深入|赴)(?P<loc>[^，。；、,;:：“”\"'‘’]{2,25}?)"
    r"(?=开展|举办|举行|组织|进行|召开|开设|启动|参加|参观|培训|讲解|宣讲|接待|发放|邀请|为|向|对|面向|，|,|。|；|$)")
_COUNT = re.compile(rf"(?P<n>(?:约|近|超过|逾|达到?|共)?{_NUMBER}\s*(?:余|多)?\s*(?:万|千)?\s*(?:余|多)?\s*(?:人次|人|名))")
# "参与群众1435": a count with no 人 after it, where the verb before it says it counts people
_BARE_COUNT = re.compile(r"(?:参与|参加|观看|受益|惠及)(?:群众|人数|人员|师生|学生|居民)?(?:达到?|约|近|超过|逾)?"
                         r"(?P<n>\d+(?:\.\d+)?\s*万?)(?![\d.]|\s*(?:余|多)?\s*(?:万|千)?\s*(?:人|名|场|次|项|期|个|%|元))")
_PARTAKE = re.compile(r"参与|参加|吸引|惠及|受益|覆盖|服务|观看|听众|群众|观众|师生|学生|居民|市民|职工|青少年|儿童"
                      r"|家长|村民|农民|游客|人数|到场|线上|线下|直播")
_NOT_AUDIENCE = re.compile(r"专家|志愿者|讲师|老师|教授|工作人员|嘉宾|医生|科技工作者|辅导员|队员|获奖|名次|一等奖")
_TOTALS = re.compile(
    rf"(?:共|累计|总计|合计|共计|先后|陆续|全年|各类)(?:开展|举办|组织|举行|发放|推送|组织开展)?[^，。；]{{0,14}}?"
    rf"{_NUMBER}\s*(?:余|多)?\s*(?:场次|场|项|期|批|个)(?!人)")
_MEETING = re.compile(r"(?:召开|举行|组织)[^，。；]{0,12}(?:动员|部署|推进|调度|筹备|工作|座谈)(?:会|会议)")
_ONLINE = re.compile(r"线上|网上|直播|云端|在线|视频号|抖音|快手|公众号|网络(?!安全)")
_OFFLINE = re.compile(r"线下|现场|实地")
_HYBRID = re.compile(r"线上线下|线上[+＋和与及、]线下|线下[+＋和与及、]线上")
_TRAILING_COUNT = re.compile(rf"\s*{_NUMBER}\s*(?:余|多)?\s*(?:场次|场|期|次|个)$")
# a PDF's text layer puts spaces between digits and characters ("9 月15 日", "300 余人"): never meaningful
_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=[\u3000-\u9fff\uff00-\uffef])|(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=\d)")
_LEADING_NOISE = re.compile(r"^(?:了|一场|一次|一期|一系列|系列|以[^，。；]{1,20}为主题的|主题为)")


@dataclass
class _Passage:
    """The text of one activity: its clauses, the paragraph it sits in and where that is."""

    clauses: list[str]
    heading: str  # a run-in heading before the activity's date ("（一）科普进校园。")
    paragraph: str
    place: str
    alone: bool = True  # the only activity under its heading: the heading is then its name

    @property
    def text(self) -> str:
        return "".join(self.clauses)


def propose_from_text(text: str, where: str = "正文") -> list[RawActivity]:
    """Proposed activities of a plain text (a .doc read as text, a PDF's text layer, a mail body)."""
    return propose_from_paragraphs([line for line in (text or "").splitlines() if line.strip()], where)


def propose_from_paragraphs(paragraphs: list[str], where: str = "正文") -> list[RawActivity]:
    """Proposed activities of a document's paragraphs, in order. ``where`` starts each row's source."""
    rows: list[RawActivity] = []
    section, index = None, 0
    for raw_paragraph in paragraphs:
        paragraph = _DIGIT_GAP.sub("", " ".join(raw_paragraph.split()))
        if not paragraph:
            continue
        heading = _SECTION.match(paragraph)
        if heading and not _DATE.search(paragraph):
            section, index = heading.group("n") or heading.group("p"), 0
            continue
        index += bool(re.search(r"[。；;，,]", paragraph))  # title and signature lines are no paragraphs
        marker = _MARKER.match(paragraph)
        label = f"第{marker.group('m').strip('，,、 ')}段" if marker else f"第{index}段"
        place = f"{where}第{section}部分{label}" if section else f"{where}{label}"
        body = paragraph[marker.end():] if marker else paragraph
        found = [(p, row) for p in _passages(body, paragraph, place) if (row := _row(p)) is not None]
        places = [p.place for p, _ in found]
        for i, (p, row) in enumerate(found):
            if places.count(p.place) > 1:
                row.source = f"{p.place}第{places[:i].count(p.place) + 1}项"
            rows.append(row)
    return rows


def _passages(body: str, paragraph: str, place: str) -> list[_Passage]:
    """A paragraph cut at 一是/二是 and between clauses that each carry their own date."""
    segments: list[tuple[str, str]] = []  # (inline marker, text)
    cuts = list(_INLINE.finditer(body))
    if len(cuts) >= 2:
        head = body[:cuts[0].start()]
        for i, cut in enumerate(cuts):
            end = cuts[i + 1].start() if i + 1 < len(cuts) else len(body)
            segments.append((cut.group("m"), body[cut.end():end]))
        if _DATE.search(head):
            segments.insert(0, ("", head))
    else:
        segments.append(("", body))
    out: list[_Passage] = []
    for inline, text in segments:
        where = f"{place}“{inline}”" if inline else place
        out += _dated_groups(text, paragraph, where)
    return out


def _dated_groups(text: str, paragraph: str, place: str) -> list[_Passage]:
    clauses = [c for c in _CLAUSE_END.split(text) if c.strip()]
    groups: list[_Passage] = []
    heading: list[str] = []
    for clause in clauses:
        dated = bool(_DATE.search(clause))
        if dated and (not groups or _DATE.search(groups[-1].text)):
            groups.append(_Passage([clause], "".join(heading), paragraph, place))
        elif groups:
            groups[-1].clauses.append(clause)
        else:
            heading.append(clause)
    for group in groups:
        group.alone = len(groups) == 1
    return groups


def _row(passage: _Passage) -> RawActivity | None:
    text = passage.text
    date = _DATE.search(text)
    if date is None or _TOTALS.search(text) or _MEETING.search(text) or parse_dates(date.group(0)).start is None:
        return None
    title, how = _title(text, passage.heading, passage.alone)
    location = _location(text)
    if not re.search(r"[\u4e00-\u9fff]{2}", title):  # an activity's name is Chinese here
        return None
    fields: dict[str, object] = {"title": title, "date": date.group(0).strip()}
    if location:
        fields["location"] = location
    count = _participants(text)
    if count:
        fields["participants"] = count
    fmt = _format(text, location)
    if fmt:
        fields["format"] = fmt
    confidence = 0.45 + {"quoted": 0.2, "verb": 0.15, "heading": 0.1}[how]
    confidence += 0.15 * bool(location) + 0.1 * bool(count) + 0.05 * bool(re.search(_DAY, date.group(0)))
    evidence = passage.paragraph if len(passage.paragraph) <= 500 else passage.paragraph[:500] + "…"
    return RawActivity(fields=fields, source=passage.place, confidence=round(min(confidence, 0.95), 2),
                       evidence=evidence)


def _title(text: str, heading: str, alone: bool = True) -> tuple[str, str]:
    """The activity's name: a quoted name (with its noun: “科普进社区”活动); a short run-in heading that
    names this activity alone ("（一）气象开放日。"); the phrase after 开展/举办; the same in a longer heading."""
    quoted = _quoted_name(text)
    if quoted:
        return quoted
    head = re.sub(r"[。：:；;，,\s]+$", "", heading).strip()
    short_head = 2 <= len(head) <= 15 and not re.search(r"\d", head) and not _VERB.search(head)
    if alone and short_head:
        return head, "heading"
    for name in (_verb_phrase(text), _quoted_name(heading), _verb_phrase(heading)):
        if name:
            return name
    if 2 <= len(head) <= 25 and not re.search(r"\d", head):
        return head, "heading"
    return "", "verb"


def _quoted_name(text: str) -> tuple[str, str] | None:
    for m in _QUOTED.finditer(text):
        name = m.group(1).strip()
        if _DATE.fullmatch(name) or _PLACE_BEFORE.search(text[:m.start()]):
            continue
        tail = _TITLE_TAIL.match(text[m.end():])
        return (name + tail.group(0) if tail else name), "quoted"
    return None


def _verb_phrase(text: str) -> tuple[str, str] | None:
    for verb in _VERB.finditer(text):
        if verb.group(0) == "走进":
            continue  # names the place, not the activity
        phrase = re.split(r"[，,。；;：:（(]", text[verb.end():], maxsplit=1)[0]
        phrase = _TRAILING_COUNT.sub("", _LEADING_NOISE.sub("", phrase.strip()))
        phrase = re.split(r"(?:参与|参加|吸引|邀请|受益|覆盖)", phrase, maxsplit=1)[0].strip()
        if 2 <= len(phrase) <= 40 and not _DATE.search(phrase) and not _LEAD_VERB.search(phrase):
            return phrase, "verb"
    return None


def _location(text: str) -> str | None:
    for m in _PLACE.finditer(text):
        place = m.group("loc").strip()
        if _DATE.match(place) or re.match(r"^[\d上中下本此该期间线]", place) or "期间" in place:
            continue
        return place
    return None


def _participants(text: str) -> str | None:
    """The audience's count as written ("300余人"); both counts when 线上 and 线下 are given apart."""
    found: list[tuple[int, int, str, str]] = []  # (score, order, label, count)
    for order, m in enumerate(_COUNT.finditer(text)):
        before, after = text[max(0, m.start() - 8):m.start()], text[m.end():m.end() + 6]
        before = re.split(r"[，,。；;]", before)[-1]
        after = re.split(r"[，,。；;]", after)[0]
        score = 2 * bool(_PARTAKE.search(before + after)) - 3 * bool(_NOT_AUDIENCE.search(before + after))
        found.append((score, order, before, m.group("n")))
    if not found:
        bare = _BARE_COUNT.search(text)
        return bare.group("n") + "人" if bare else None
    channels = [(b, n) for s, _, b, n in found if s >= 0 and (_ONLINE.search(b) or _OFFLINE.search(b))]
    if len(channels) >= 2:
        return "，".join(("线上" if _ONLINE.search(b) else "线下") + n for b, n in channels)
    best = max(found, key=lambda f: (f[0], -f[1]))
    return best[3] if best[0] >= 0 else None


def _format(text: str, location: str | None) -> str | None:
    if _HYBRID.search(text) or (_ONLINE.search(text) and (_OFFLINE.search(text) or location)):
        return "线上线下"
    if _ONLINE.search(text):
        return "线上"
    if location or _OFFLINE.search(text):
        return "线下"
    return None


_QUOTE_START = re.compile(r"^\s*(?:-{2,}\s*(?:原始邮件|original message|回复的原邮件|forwarded message|转发邮件信息)"
                          r"|在\s*.{0,80}写道\s*[:：]|on .{0,120}wrote\s*:|(?:发件人|from)\s*[:：]|>)", re.I)
_SENTENCE_END = re.compile(r"[。！？!?；;：:]\s*$")


def propose_from_mail_body(text: str) -> list[RawActivity]:
    """The mail body as the summary itself: the sender's own words, before any quoted mail."""
    own: list[str] = []
    for line in (text or "").splitlines():
        if _QUOTE_START.match(line):
            break
        own.append(line)
    return propose_from_paragraphs(unwrap(own), "邮件正文")


def propose_from_wrapped_text(text: str, where: str) -> list[RawActivity]:
    """A PDF's text layer: lines broken at the page width, joined back into paragraphs."""
    return propose_from_paragraphs(unwrap((text or "").splitlines()), where)


def unwrap(lines: list[str]) -> list[str]:
    """Lines into paragraphs: a line continues the one before unless that one ended a sentence or this one
    opens with a number or a date. Linear in the text: only each new line is tested, and a paragraph's lines
    are joined once, at its end."""
    paragraphs: list[str] = []
    current: list[str] = []
    size, ended = 0, True
    for line in (s.strip() for s in lines):
        if not line:
            paragraphs.append("".join(current))
            current, size, ended = [], 0, True
            continue
        opens = bool(_MARKER.match(line) or _SECTION.match(line) or _DATE.match(line))
        if current and not opens and not ended and size >= 20:
            current.append(line)
        else:
            paragraphs.append("".join(current))
            current, size = [line], 0
        size += len(line)
        ended = bool(_SENTENCE_END.search(line))
    paragraphs.append("".join(current))
    return [p for p in paragraphs if p]
