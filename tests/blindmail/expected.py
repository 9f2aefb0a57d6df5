"""The outcome of each mail of the blind set, written by hand from the contract (shared/CONTRACT.md) and the
README's rules, before the parsers and judges were read.

status / unit_id / activities: of the message in the export (activities = its current ones).
rows: a few rows as (title, start_date, participants, location), exactly as the export must show them.
acked: whether the sender gets an acknowledgment (None: not checked).
The full list of each file's rows is in files.ACTS; ``rows_of`` names which list a mail carries.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expect:
    status: str
    unit_id: str | None
    activities: int
    rows_of: str | None = None  # key of files.ACTS
    rows: tuple[tuple[str, str, int, str], ...] = field(default_factory=tuple)
    acked: bool | None = True
    why: str = ""


FIRST = "“科技强国 创新有我”主题科普展"

EXPECTED: dict[str, Expect] = {
    "lunan_outlook": Expect("accepted", "lunan", 11, "lunan", (
        (FIRST, "2025-09-03", 120, "路南区科技馆一楼展厅"), ("数字素养与技能提升培训", "2025-09-23", 470, "路南区职业技术学校")),
        why="Outlook: related HTML with a cid logo, gb2312 RFC 2047 attachment names"),
    "lunan_thanks": Expect("ignored", None, 0, acked=False, why="收到，谢谢 under Outlook's quote of our ack"),
    "lunan_oof": Expect("ignored", None, 0, acked=False, why="Exchange out-of-office reply"),
    "gaoxin_outlook_fwd": Expect("accepted", "gaoxin", 6, "gaoxin", (
        (FIRST, "2025-09-05", 80, "高新区科技馆一楼展厅"), ("科普大篷车进乡村", "2025-09-15", 255, "高新区镇政府广场")),
        why="the zone's own address forwards a colleague's (personal address) mail, Outlook's 发件人/发送时间 block"),
    "fengrun_foxmail": Expect("superseded", "fengrun", 0, why="the same mail sent again the next day"),
    "fengrun_foxmail_again": Expect("accepted", "fengrun", 12, "fengrun", (
        (FIRST, "2025-09-02", 150, "丰润区科技馆一楼展厅"), ("农业新技术田间课堂", "2025-09-24", 535, "丰润区农业示范园")),
        why="Foxmail labelled gb2312 writing GBK (喆), words split every 3 characters, .doc + .xls, dates 2025.9.2"),
    "lunan_photos": Expect("needs_review", "lunan", 0, why="photos after the summary: replaces nothing"),
    "jiaoyu_thanks_notice": Expect("ignored", None, 0, acked=False, why="收到 to the office's notice, says nothing of a file"),
    "xinli_qq_large": Expect("superseded", "xinli", 0, why="only a QQ 超大附件 link, then the PDF"),
    "xinli_pdf": Expect("accepted", "xinli", 2, "xinli", ((FIRST, "2025-09-20", 40, "科技馆一楼展厅"),),
                        why="a PDF exported from Word (text layer) with the table"),
    "luannan_word_and_excel": Expect("accepted", "luannan", 10, "luannan", ((FIRST, "2025-09-04", 115, "滦南县科技馆一楼展厅"),),
                                     why="the same 10 rows in Word and Excel count once; Word's ~$ owner file beside"),
    "lunan_qq_correction": Expect("needs_review", "lunan", 0,
                                  why="a correction from a personal QQ address in the county's name: held, the 11 stay"),
    "guye_platform_xls": Expect("accepted", "guye", 10, "guye", (
        (FIRST, "2025-09-03", 100, "古冶区科技馆一楼展厅"),), why="an HTML table saved as .xls (platform export)"),
    "kaiping_docx_named_doc": Expect("accepted", "kaiping", 10, "kaiping", (
        (FIRST, "2025-09-05", 140, "开平区科技馆一楼展厅"),), why="a .docx saved under a .doc name (WPS)"),
    "jidong_126_eml_forward": Expect("accepted", "jidong", 2, "jidong", (
        (FIRST, "2025-09-17", 90, "冀东水泥科技馆一楼展厅"),),
        why="126's forward as attachment: the original as an .eml octet-stream; a colleague's personal address"),
    "zunhua_foxmail_reply_notice": Expect("accepted", "zunhua", 10, "zunhua", (
        (FIRST, "2025-09-04", 120, "遵化市科技馆一楼展厅"), ("青少年科技创新作品展", "2025-09-22", 435, "遵化市青少年活动中心")),
        why="a reply to the office's notice (quoted, naming every category) carrying the summary"),
    "tsxy_apple": Expect("accepted", "tsxy", 3, "tsxy", (
        (FIRST, "2025-09-10", 200, "唐山学院科技馆一楼展厅"), ("老年人防范电信诈骗科普宣传", "2025-09-14", 270, "唐山学院文化广场")),
        why="Apple Mail: attachment inline inside alternative/mixed, RFC 2231 continued name"),
    "dizhen_iphone": Expect("accepted", "dizhen", 2, "dizhen", (
        (FIRST, "2025-09-12", 300, "地震遗址纪念公园科技馆一楼展厅"),),
        why="iPhone: docx with the table plus two HEIC photos, 发自我的iPhone"),
    "kejiguan_iphone_photos": Expect("needs_review", "kejiguan", 0, why="photos only, summary promised later"),
    "kejiguan_contest": Expect("ignored", None, 0, acked=False, why="科普讲解大赛报名表: another event"),
    "qianan_126_large": Expect("accepted", "qianan", 10, "qianan", (
        (FIRST, "2025-09-06", 90, "迁安市科技馆一楼展厅"), ("青少年科技创新作品展", "2025-09-24", 405, "迁安市青少年活动中心")),
        why="126 web mail in GBK, table in the Word file (约N人), a 超大附件 video link"),
    "haigang_163_largeonly": Expect("superseded", "haigang", 0,
                                    why="only a 超大附件 link: needs review, then superseded by the office's forward"),
    "tangang_qq_personal": Expect("accepted", "tangang", 2, "tangang", (
        (FIRST, "2025-09-15", 60, "唐钢科技馆一楼展厅"),),
        why="QQ Mail gb18030 from a personal QQ address; the unit is in the file title and the signature"),
    "nongxue_qq_forward": Expect("accepted", "nongxue", 2, "nongxue", (
        (FIRST, "2025-09-18", 45, "科技馆一楼展厅"),),
        why="the society's registered QQ address forwards a member's mail (NBSP 原始邮件 separator)"),
    "lutai_wps": Expect("accepted", "lutai", 5, "lutai", (
        (FIRST, "2025-09-08", 70, "芦台开发区科技馆一楼展厅"), ("应急避险科普演练", "2025-09-16", 210, "芦台开发区第一中学操场")),
        why="WPS files: .wps (a .doc) and .et (a .xls), 人次 counts"),
    "huali_nodemailer": Expect("accepted", "huali", 3, "huali", (
        (FIRST, "2025-09-09", 260, "华北理工大学科技馆一楼展厅"),),
        why="an OA system's nodemailer: QP UTF-8, long folded subject, filename*0*= continuations"),
    "caofeidian_zip": Expect("accepted", "caofeidian", 10, "caofeidian", (
        (FIRST, "2025-09-01", 110, "曹妃甸区科技馆一楼展厅"), ("青少年科技创新作品展", "2025-09-19", 425, "曹妃甸区青少年活动中心")),
        why="a zip with GBK names in a folder, from Outlook"),
    "weijian_reply_notice": Expect("accepted", "weijian", 4, "weijian", (
        (FIRST, "2025-09-11", 180, "市卫健委科技馆一楼展厅"), ("食品安全科普进校园", "2025-09-17", 285, "市卫健委实验小学")),
        why="Outlook 答复 to the notice, the notice quoted under Outlook's header block"),
    "laoting_baidupan": Expect("needs_review", "laoting", 0, why="only a 百度网盘 link"),
    "jiaoyu_other_event": Expect("ignored", None, 0, acked=False, why="科技活动周 summary: another event"),
    "lubei_forgot": Expect("superseded", "lubei", 0, why="附件是…总结 with nothing attached, then re-sent"),
    "lubei_resend": Expect("accepted", "lubei", 10, "lubei", (
        (FIRST, "2025-09-07", 130, "路北区科技馆一楼展厅"), ("青少年科技创新作品展", "2025-09-25", 445, "路北区青少年活动中心")),
        why="the re-sent mail with the file"),
    "luanzhou_thunderbird": Expect("accepted", "luanzhou", 10, "luanzhou", (
        (FIRST, "2025-09-02", 85, "滦州市科技馆一楼展厅"), ("青少年科技创新作品展", "2025-09-20", 400, "滦州市青少年活动中心")),
        why="Thunderbird, format=flowed, an .ods from LibreOffice"),
    "jiaoyu_forwards_kuangshan": Expect("accepted", "kuangshan", 1, "kuangshan", (
        (FIRST, "2025-09-19", 220, "科技馆一楼展厅"),),
        why="a member forwards as attachment (message/rfc822) a base's mail from the base's registered address"),
    "office_forwards_haigang": Expect("accepted", "haigang", 5, "haigang", (
        (FIRST, "2025-09-10", 65, "海港开发区科技馆一楼展厅"), ("应急避险科普演练", "2025-09-18", 205, "海港开发区第一中学操场")),
        acked=None, why="the office's own mailbox forwards (126 web 转发邮件信息) the zone's mail"),
    "bounce_163": Expect("ignored", None, 0, acked=False, why="NetEase 系统退信"),
    "spam_invoice": Expect("ignored", None, 0, acked=False, why="advertising from a stranger"),
    "qixiang_first": Expect("superseded", "qixiang", 0, why="replaced by the correction"),
    "qixiang_second": Expect("accepted", "qixiang", 4, "qixiang2", (
        ("食品安全科普进校园", "2025-09-12", 160, "市气象局实验小学"),), why="更正…以此为准 (mutt)"),
    "nongye_personal_signature": Expect("accepted", "nongye", 3, "nongye", (
        (FIRST, "2025-09-14", 75, "科技馆一楼展厅"),),
        why="a personal address, files naming nobody; the unit only in the signature (s-nail)"),
    "qianxi_personal_title": Expect("accepted", "qianxi", 1, "qianxi", (
        (FIRST, "2025-09-20", 95, "迁西县科技馆一楼展厅"),), why="a personal address; the unit in the file title (swaks)"),
    "yixuehui_mutt": Expect("accepted", "yixuehui", 2, "yixuehui", (
        (FIRST, "2025-09-16", 140, "科技馆一楼展厅"),), why="mutt, 约N人 with an organizer column"),
    "dizhi_snail_personal": Expect("accepted", "dizhi", 2, "dizhi", (
        (FIRST, "2025-09-21", 50, "科技馆一楼展厅"),), why="a society with no registered address (s-nail)"),
    "kailuan_swaks": Expect("accepted", "kailuan", 2, "kailuan", (
        (FIRST, "2025-09-13", 160, "开滦科技馆一楼展厅"),), why="swaks, octet-stream attachment, 8-bit name"),
}
