"""The blind set: 44 mails as the clients of Chinese offices write them (see clients.py for each layout);
the outcome of each is written by hand in expected.py.

``build()`` returns [(label, raw bytes, delivery time)], cached by the content of this folder.
"""
from __future__ import annotations

import hashlib
import pickle
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from blindmail import clients as cl
from blindmail import files as fl
from blindmail.clients import Mail
from blindmail.mime import b64, date, message, multipart, part, word, zip_gbk
from blindmail.registry import MAILBOX

TZ = timezone(timedelta(hours=8))
NOTICE = (Path(__file__).resolve().parents[2] / "tests" / "data" / "notice.txt")
NOTICE_QUOTE = ("市全民科学素质工作领导小组各成员单位，各县（市）区、开发区（管理区）全民科学素质工作领导小组，市级各学会（协会、研究会），"
                "各院校科协、企业科协，各级科普教育基地，各有关单位：\n现将有关事项通知如下。\n"
                "每个县（市）区要组织重点科普活动10项以上；\n每个开发区（管理区）要组织重点科普活动5项以上；\n"
                "每个成员单位（含本系统）要组织重点科普活动3项以上；\n"
                "请各县（市）区各单位各部门认真梳理活动开展情况、工作成效、典型案例和意见建议，并于9月26日前将活动总结发送至联系人邮箱。\n"
                "联系人：白鹤华、刘禹彤\n电子邮箱：tskxpjb@126.com\n")
# a PNG signature logo (1x1) and HEIC photos: only the ISO-BMFF 'ftypheic' header and filler, no real picture
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(range(256)) * 40


def day(d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(2025, 9, d, h, mi, tzinfo=TZ)


def _ack_quote_outlook(unit: str, subject: str) -> str:
    return ("\n\n发件人: 唐山市素质办 [mailto:tskxpjb@126.com]\n发送时间: 2025年9月15日 10:05\n"
            f"收件人: {unit}\n主题: 【已收到】{unit}：{subject}\n\n{unit}：\n\n您好！唐山市素质办已收到您发送的邮件“{subject}”。"
            "以下是系统自动读取的结果，请核对。\n【收到的附件】\n  1. 统计表.xlsx：已读取，读出活动 11 项\n此邮件由系统自动发送。\n")


def _notice_quote_foxmail() -> str:
    return ("\n\n\n发件人： 唐山市素质办\n发送时间： 2025-08-05 15:20\n收件人： 遵化市科协\n"
            "主题： 关于广泛开展首个全国科普月唐山系列活动的通知\n" + NOTICE_QUOTE)


def _mails(f: dict[str, bytes], work: Path) -> list[tuple[str, bytes, datetime]]:
    out: list[tuple[str, bytes, datetime]] = []
    FENGRUN = [("丰润区科协科普月活动总结（刘喆）.doc", f["丰润区科协科普月活动总结.doc"]),
               ("丰润区全国科普月重点科普活动统计表.xls", f["丰润区全国科普月重点科普活动统计表.xls"])]

    def add(label: str, raw: bytes, when: datetime) -> None:
        out.append((label, raw, when))

    add("lunan_outlook", cl.outlook(Mail(
        "路南区科协", "lnkx@163.com", "路南区科协2025年全国科普月活动总结及统计表",
        "市素质办：\n    您好！路南区科协2025年全国科普月活动总结及重点活动统计表见附件，请查收。\n\n张晓燕\n路南区科学技术协会\n电话：0315-2812345",
        day(15, 9, 12), [("路南区科协2025年全国科普月活动总结.docx", f["路南区科协2025年全国科普月活动总结.docx"]),
                         ("路南区全国科普月重点活动统计表.xlsx", f["路南区全国科普月重点活动统计表.xlsx"])]), image=PNG), day(15, 9, 12))
    add("lunan_thanks", cl.outlook(Mail(
        "路南区科协", "lnkx@163.com", "答复: 【已收到】唐山市路南区科学技术协会：路南区科协2025年全国科普月活动总结及统计表",
        "收到，谢谢！" + _ack_quote_outlook("唐山市路南区科学技术协会", "路南区科协2025年全国科普月活动总结及统计表"),
        day(15, 10, 40), in_reply_to="<ack-unknown-1@tskxpjb.126.com>")), day(15, 10, 40))
    oof = cl.outlook(Mail("路南区科协", "lnkx@163.com", "自动答复: 【已收到】唐山市路南区科学技术协会：路南区科协2025年全国科普月活动总结及统计表",
                          "您好，我已休假，9月20日返回，急事请致电0315-2812345。", day(16, 8, 1),
                          in_reply_to="<ack-unknown-2@tskxpjb.126.com>"))
    add("lunan_oof", oof.replace(b"X-Mailer:", b"Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n"
                                  b"X-MS-Exchange-Inbox-Rules-Loop: lnkx@163.com\r\nX-Mailer:", 1), day(16, 8, 1))

    fwd = ("王科长转来的材料，请查收。\n\n高新区科协 王磊\n\n"
           "发件人: 刘洋 <liuyang_gx@163.com>\n发送时间: 2025年9月22日 9:15\n收件人: gxqkx@126.com\n"
           "主题: 高新区科普月活动总结\n\n王科长：\n高新区科普月总结已整理好，请审阅后报市科协。\n刘洋\n")
    add("gaoxin_outlook_fwd", cl.outlook(Mail(
        "高新区科协", "gxqkx@126.com", "转发: 高新区科普月活动总结", fwd, day(22, 10, 3),
        [("唐山高新区全国科普月活动总结.docx", f["唐山高新区全国科普月活动总结.docx"])])), day(22, 10, 3))

    add("fengrun_foxmail", cl.foxmail(Mail(
        "丰润区科协 刘喆", "frqkx@163.com", "丰润区科协2025年全国科普月活动总结",
        "市素质办：\n  丰润区科协全国科普月活动总结及重点科普活动统计表已整理完毕，见附件。\n\n丰润区科协 刘喆\n13903150000", day(19, 16, 45),
        FENGRUN)), day(19, 16, 45))
    add("fengrun_foxmail_again", cl.foxmail(Mail(
        "丰润区科协 刘喆", "frqkx@163.com", "丰润区科协2025年全国科普月活动总结",
        "市素质办：\n  昨天的邮件不知是否收到，现重新发送一遍。\n\n丰润区科协 刘喆\n13903150000", day(20, 8, 31),
        FENGRUN)), day(20, 8, 31))

    add("zunhua_foxmail_reply_notice", cl.foxmail(Mail(
        "遵化市科协", "zhkx_2020@163.com", "回复：关于广泛开展首个全国科普月唐山系列活动的通知",
        "市素质办：\n  遵化市全国科普月活动总结已按通知要求整理，见附件。\n\n遵化市科协" + _notice_quote_foxmail(), day(23, 11, 20),
        [("遵化市2025年全国科普月活动总结.docx", f["遵化市2025年全国科普月活动总结.docx"])])), day(23, 11, 20))

    add("tsxy_apple", cl.apple(Mail(
        "唐山学院科协", "tsxykx@163.com", "唐山学院科协全国科普月活动总结",
        "市素质办老师好：\n附件为唐山学院科协全国科普月活动总结，请查收。\n\n唐山学院科协 陈老师", day(18, 14, 2),
        [("唐山学院科协全国科普月活动总结.docx", f["唐山学院科协全国科普月活动总结.docx"])])), day(18, 14, 2))
    add("dizhen_iphone", cl.apple(Mail(
        "地震遗址公园宣教部", "dzyz_kp@126.com", "地震遗址纪念公园科普月总结",
        "市素质办老师好，我园科普月总结见附件，现场照片一并发送。\n\n发自我的iPhone", day(20, 21, 7),
        [("地震遗址纪念公园科普月活动总结.docx", f["地震遗址纪念公园科普月活动总结.docx"]),
         ("IMG_4021.HEIC", HEIC), ("IMG_4022.HEIC", HEIC[:-7] + b"second!")]), iphone=True), day(20, 21, 7))
    add("kejiguan_iphone_photos", cl.apple(Mail(
        "唐山科技馆 李华", "tskjg@126.com", "科技馆科普月活动照片",
        "活动照片先发一下，总结材料稍后补报。\n\n发自我的iPhone", day(21, 19, 30),
        [("IMG_5101.HEIC", HEIC[:-5] + b"photo"), ("IMG_5102.HEIC", HEIC[:-5] + b"phot2")]), iphone=True), day(21, 19, 30))
    add("kejiguan_contest", cl.coremail(Mail(
        "唐山科技馆", "tskjg@126.com", "2025年唐山市科普讲解大赛报名表（唐山科技馆）",
        "市科协：\n附件为我馆科普讲解大赛报名表，请查收。\n唐山科技馆", day(22, 9, 0),
        [("2025年唐山市科普讲解大赛报名表.xlsx", f["2025年唐山市科普讲解大赛报名表.xlsx"])])), day(22, 9, 0))

    add("qianan_126_large", cl.coremail(Mail(
        "迁安市科协", "qakx@126.com", "迁安市科协全国科普月工作总结",
        "市素质办：\n迁安市科协全国科普月工作总结见附件，活动视频较大，以超大附件发送。\n迁安市科协", day(17, 15, 33),
        [("迁安市科协全国科普月工作总结.docx", f["迁安市科协全国科普月工作总结.docx"])]),
        large=[("科普月活动视频合集.mp4", "356.2M", "https://mail.126.com/large-attachment-download/LD8s9fK2x")]),
        day(17, 15, 33))
    add("haigang_163_largeonly", cl.coremail(Mail(
        "海港开发区科协", "hgkfq_kx@163.com", "海港开发区科普月活动总结",
        "市素质办：\n我区科普月活动总结及附件照片较大，以超大附件形式发送，请下载。\n海港开发区科协", day(16, 11, 11)),
        large=[("海港开发区科普月活动总结及照片.zip", "88.5M", "https://mail.163.com/large-attachment-download/HG7x2Qp")]),
        day(16, 11, 11))

    add("tangang_qq_personal", cl.qqmail(Mail(
        "张伟", "3345129876@qq.com", "唐钢公司科协科普月活动总结",
        "您好，附件是我公司科协的科普月活动总结，请查收。\n\n河钢集团唐钢公司科协 张伟\n电话：0315-2701234", day(19, 20, 15),
        [("唐钢公司科协2025年全国科普月活动总结.docx", f["唐钢公司科协2025年全国科普月活动总结.docx"])])), day(19, 20, 15))
    qq_fwd = ("请查收。\n\n\n------------------\xa0原始邮件\xa0------------------\n发件人: \"赵红梅\"<zhm_1988@163.com>;\n"
              "发送时间: 2025年9月23日(星期二) 晚上8:12\n收件人: \"唐山市农学会\"<2658801234@qq.com>;\n"
              "主题: 农学会科普月活动材料\n\n秘书长：活动材料已整理好，见附件。\n赵红梅\n")
    qq_html = ("<div>请查收。</div><div><br></div><div style=\"font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;\">"
               "------------------&nbsp;原始邮件&nbsp;------------------</div><div style=\"font-size: 12px;background:#efefef;"
               "padding:8px;\"><div><b>发件人:</b>&nbsp;\"赵红梅\"&lt;zhm_1988@163.com&gt;;</div><div><b>发送时间:</b>&nbsp;"
               "2025年9月23日(星期二) 晚上8:12</div><div><b>收件人:</b>&nbsp;\"唐山市农学会\"&lt;2658801234@qq.com&gt;;</div>"
               "<div></div><div><b>主题:</b>&nbsp;农学会科普月活动材料</div></div><div><br></div>秘书长：活动材料已整理好，见附件。<br>赵红梅")
    add("nongxue_qq_forward", cl.qqmail(Mail(
        "唐山市农学会", "2658801234@qq.com", "转发：农学会科普月活动材料", qq_fwd, day(24, 8, 40),
        [("唐山市农学会科普月活动总结.docx", f["唐山市农学会科普月活动总结.docx"])], html=qq_html)), day(24, 8, 40))

    add("lutai_wps", cl.coremail(Mail(
        "芦台开发区", "ltkfq@126.com", "芦台经济开发区全国科普月活动总结",
        "市素质办：\n附件是我区科普月活动总结和活动统计表。\n芦台经济开发区", day(24, 16, 0),
        [("芦台开发区科普月活动总结.wps", f["芦台开发区科普月活动总结.doc"]),
         ("芦台开发区科普月活动统计表.et", f["芦台开发区科普月活动统计表.xls"])])), day(24, 16, 0))

    add("huali_nodemailer", cl.nodemailer(Mail(
        "华北理工大学科协", "ncstkx@126.com", "华北理工大学科协关于报送2025年全国科普月活动总结及重点活动统计表的函",
        "唐山市素质办：\n根据《关于广泛开展首个全国科普月唐山系列活动的通知》要求，现将我校科协2025年全国科普月活动总结及重点活动统计表报送你们，请查收。\n"
        "（本邮件由华北理工大学协同办公系统发送）", day(22, 17, 2),
        [("华北理工大学科协全国科普月活动总结.docx", f["华北理工大学科协全国科普月活动总结.docx"]),
         ("华北理工大学科协重点活动统计表.xlsx", f["华北理工大学科协重点活动统计表.xlsx"])])), day(22, 17, 2))

    archive = zip_gbk({"曹妃甸区科普月材料/曹妃甸区科协科普月活动总结.docx": f["曹妃甸区科协科普月活动总结.docx"],
                       "曹妃甸区科普月材料/曹妃甸区科普月活动统计表.xlsx": f["曹妃甸区科普月活动统计表.xlsx"]})
    add("caofeidian_zip", cl.outlook(Mail(
        "曹妃甸区科协", "cfdkx@126.com", "曹妃甸区科普月材料", "市素质办：\n曹妃甸区科普月材料打包发送，请查收。\n曹妃甸区科协",
        day(25, 9, 50), [("曹妃甸区科普月材料.zip", archive)])), day(25, 9, 50))

    add("weijian_reply_notice", cl.outlook(Mail(
        "市卫健委科教科", "tswjw@163.com", "答复: 关于广泛开展首个全国科普月唐山系列活动的通知",
        "市素质办：\n现将市卫健委全国科普月重点活动统计表报送，请查收。\n\n市卫健委科教科\n"
        "\n发件人: 唐山市素质办 [mailto:tskxpjb@126.com]\n发送时间: 2025年8月5日 15:20\n收件人: 市卫健委\n"
        "主题: 关于广泛开展首个全国科普月唐山系列活动的通知\n\n" + NOTICE_QUOTE, day(23, 15, 5),
        [("市卫健委全国科普月重点活动统计表.xlsx", f["市卫健委全国科普月重点活动统计表.xlsx"])])), day(23, 15, 5))

    add("laoting_baidupan", cl.coremail(Mail(
        "乐亭县科普惠农服务站", "ltkphn@163.com", "乐亭县科普惠农服务站项目科普月活动总结",
        "市素质办：\n我单位科普月活动总结和照片较大，已上传百度网盘，请下载。\n"
        "链接: https://pan.baidu.com/s/1Qx8LmZ3kTfR9pW2aB7cD4e 提取码: kp25\n--来自百度网盘超级会员v5的分享\n乐亭县科普惠农服务站",
        day(24, 10, 10))), day(24, 10, 10))

    add("jiaoyu_other_event", cl.coremail(Mail(
        "市教育局", "tsjyj_kp@126.com", "市教育局2025年科技活动周活动总结", "市科协：\n我局2025年科技活动周活动总结见附件。\n市教育局",
        day(8, 9, 0), [("市教育局2025年科技活动周活动总结.docx", f["市教育局2025年科技活动周活动总结.docx"])])), day(8, 9, 0))

    add("lubei_forgot", cl.foxmail(Mail(
        "路北区科协", "lbkx2019@126.com", "路北区2025年全国科普月活动总结",
        "市素质办：\n附件是我区科普月活动总结，请查收。\n路北区科协", day(20, 9, 5))), day(20, 9, 5))
    add("lubei_resend", cl.foxmail(Mail(
        "路北区科协", "lbkx2019@126.com", "路北区2025年全国科普月活动总结（补发附件）",
        "市素质办：\n不好意思，刚才忘了添加附件，现补发。\n路北区科协", day(20, 9, 20),
        [("路北区2025年全国科普月活动总结.docx", f["路北区2025年全国科普月活动总结.docx"])])), day(20, 9, 20))

    add("luanzhou_thunderbird", cl.thunderbird(Mail(
        "滦州市科协", "lzskx@126.com", "滦州市科协2025年全国科普月活动总结及统计表",
        "市素质办：\n附件是滦州市科协科普月活动总结及重点活动统计表（LibreOffice格式）。\n\n-- \n滦州市科学技术协会", day(21, 10, 30),
        [("滦州市科协科普月活动总结.docx", f["滦州市科协科普月活动总结.docx"]),
         ("滦州市科普月活动统计表.ods", f["滦州市科普月活动统计表.ods"])])), day(21, 10, 30))

    add("jiaoyu_forwards_kuangshan", _outlook_attached_forward(f), day(24, 11, 0))
    add("office_forwards_haigang", cl.coremail(Mail(
        "唐山市素质办", MAILBOX, "Fw:海港开发区科普月活动总结",
        "\n\n\n-------- 转发邮件信息 --------\n发件人：\"海港开发区科协\" <hgkfq_kx@163.com>\n发送日期：2025-09-24 10:12:33\n"
        "收件人：\"白鹤华\" <baihehua2008@163.com>\n主题：海港开发区科普月活动总结\n"
        "白老师：超大附件下载不了，现将我区科普月活动总结直接发给您。\n海港开发区科协\n", day(24, 14, 0),
        [("海港开发区科普月活动总结.docx", f["海港开发区科普月活动总结.docx"])])), day(24, 14, 0))

    add("bounce_163", _bounce(), day(17, 10, 6))
    add("spam_invoice", cl.coremail(Mail(
        "李经理", "fp_service88@yeah.net", "您好，代开各类正规发票，点数优惠",
        "贵单位负责人您好：本公司可代开增值税发票，点数优惠，欢迎来电咨询 138xxxx0000。", day(18, 3, 12))), day(18, 3, 12))
    out += _second_batch(f)
    out += _real_clients(f, work)
    return out


def _photo(seed: int) -> bytes:
    """A camera-like JPEG (a gradient with noise, no text), as a phone's activity photo."""
    import random

    from PIL import Image
    rnd = random.Random(seed)
    img = Image.new("RGB", (640, 480))
    img.putdata([(x // 3 + rnd.randrange(40), y // 2 + rnd.randrange(40), 120 + rnd.randrange(60))
                 for y in range(480) for x in range(640)])
    import io
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _second_batch(f: dict[str, bytes]) -> list[tuple[str, bytes, datetime]]:
    out: list[tuple[str, bytes, datetime]] = []
    out.append(("lunan_photos", cl.outlook(Mail(
        "路南区科协", "lnkx@163.com", "路南区科普月活动照片", "市素质办：\n补充报送我区科普月活动照片3张。\n路南区科协", day(16, 15, 0),
        [(f"微信图片_2025091615{n:02d}.jpg", _photo(n)) for n in (1, 2, 3)])), day(16, 15, 0)))
    out.append(("jiaoyu_thanks_notice", cl.outlook(Mail(
        "市教育局", "tsjyj_kp@126.com", "答复: 关于广泛开展首个全国科普月唐山系列活动的通知",
        "收到，我局将按要求组织开展。\n\n发件人: 唐山市素质办 [mailto:tskxpjb@126.com]\n发送时间: 2025年8月5日 15:20\n"
        "收件人: 市教育局\n主题: 关于广泛开展首个全国科普月唐山系列活动的通知\n\n" + NOTICE_QUOTE, day(2, 9, 30))), day(2, 9, 30)))
    out.append(("xinli_qq_large", cl.qqmail(Mail(
        "唐山市心理卫生协会", "tsxlws@163.com", "唐山市心理卫生协会科普月总结",
        "您好，总结和照片较大，用超大附件发送。\n\n\n从QQ邮箱发来的超大附件\n\n唐山市心理卫生协会科普月总结.zip (128.36M, 2025年10月09日 14:30 到期)"
        "\n进入下载页面：https://mail.qq.com/cgi-bin/ftnExs_download?k=2a63396a8c5d7cc1b4d0&t=exs_ftn_download&code=7f3b",
        day(23, 14, 30))), day(23, 14, 30)))
    out.append(("guye_platform_xls", cl.outlook(Mail(
        "古冶区科协", "gykx@126.com", "古冶区科协科普月活动总结及活动明细",
        "市素质办：\n附件为古冶区科协科普月活动总结，活动明细为全国科普月平台导出表。\n古冶区科协", day(24, 9, 45),
        [("古冶区科协科普月活动总结.docx", f["古冶区科协科普月活动总结.docx"]),
         ("古冶区科普月活动明细（平台导出）.xls", fl.platform_export_xls(fl.ACTS["guye"], "古冶区科协"))])), day(24, 9, 45)))
    out.append(("kaiping_docx_named_doc", cl.foxmail(Mail(
        "开平区科协", "kpqkx@163.com", "开平区科协科普月活动总结", "市素质办：\n开平区科协科普月活动总结见附件。\n开平区科协",
        day(25, 16, 10), [("开平区科协科普月活动总结.doc", f["开平区科协科普月活动总结.docx"])])), day(25, 16, 10)))
    original = cl.coremail(Mail("王芳", "wangfang_jd@163.com", "冀东水泥集团科协科普月活动总结",
                                "李主席：\n咱们科协的科普月总结写好了，您看看。\n王芳", day(25, 8, 0),
                                [("冀东水泥集团科协科普月活动总结.docx", f["冀东水泥集团科协科普月活动总结.docx"])],
                                to="jdsnkx@163.com"))
    out.append(("jidong_126_eml_forward", cl.coremail(Mail(
        "冀东水泥集团科协", "jdsnkx@163.com", "Fw:冀东水泥集团科协科普月活动总结", "市素质办：\n我会科普月活动总结见附件邮件。\n冀东水泥集团科协",
        day(25, 9, 0), [("冀东水泥集团科协科普月活动总结.eml", original)])), day(25, 9, 0)))
    out += _third_batch(f)
    return out


def _third_batch(f: dict[str, bytes]) -> list[tuple[str, bytes, datetime]]:
    """Written after phase 2 began (the judges unread): a table both in Word and Excel with Word's ~$ owner
    file, a PDF exported from Word, a correction from a clerk's personal QQ address."""
    owner = b"\x0c" + "张三".encode("utf-16-le").ljust(108, b"\x00") + bytes(54)
    return [
        ("luannan_word_and_excel", cl.outlook(Mail(
            "滦南县科协", "lnxkx@126.com", "滦南县科协科普月活动总结", "市素质办：\n总结及统计表见附件。\n滦南县科协", day(22, 15, 0),
            [("滦南县科协科普月活动总结.docx", f["滦南县科协科普月活动总结.docx"]),
             ("~$南县科协科普月活动总结.docx", owner),
             ("滦南县科普月重点活动统计表.xlsx", f["滦南县科普月重点活动统计表.xlsx"])])), day(22, 15, 0)),
        ("xinli_pdf", cl.qqmail(Mail(
            "唐山市心理卫生协会", "tsxlws@163.com", "唐山市心理卫生协会科普月总结（PDF）", "您好，超大附件过期了，现发送PDF版总结。",
            day(25, 10, 0), [("唐山市心理卫生协会科普月活动总结.pdf", f["唐山市心理卫生协会科普月活动总结.pdf"])])), day(25, 10, 0)),
        ("lunan_qq_correction", cl.qqmail(Mail(
            "路南区科协", "1290036677@qq.com", "路南区科普月活动统计表（更正）", "市素质办：\n统计表有误，更正后的见附件，以此为准。\n路南区科协 张晓燕",
            day(24, 20, 0), [("路南区全国科普月重点活动统计表（更正）.xlsx", f["路南区全国科普月重点活动统计表（更正）.xlsx"])])),
         day(24, 20, 0)),
    ]


def _outlook_attached_forward(f: dict[str, bytes]) -> bytes:
    """Outlook's 以附件形式转发 with internet format: the original as a message/rfc822 part."""
    inner = cl.coremail(Mail("开滦国家矿山公园", "kskp@163.com", "开滦国家矿山公园科普月活动统计表",
                             "市教育局：\n我园与市教育局联合开展的研学活动统计表见附件，请一并报送。\n开滦国家矿山公园", day(23, 16, 0),
                             [("开滦国家矿山公园科普月活动统计表.xlsx", f["开滦国家矿山公园科普月活动统计表.xlsx"])],
                             to="tsjyj_kp@126.com"))
    outer = cl.outlook(Mail("市教育局", "tsjyj_kp@126.com", "FW: 开滦国家矿山公园科普月活动统计表",
                            "市素质办：\n开滦国家矿山公园的科普月活动统计表发给我局了，现转给您。\n市教育局 周", day(24, 11, 0)))
    head, _, rest = outer.partition(b"\r\n--")
    boundary = head.split(b'boundary="')[1].split(b'"')[0]
    rfc822 = part([("Content-Type", 'message/rfc822'), ("Content-Disposition", 'attachment;\r\n\tfilename="'
                   + word("开滦国家矿山公园科普月活动统计表.eml", "gb2312") + '"')], inner)
    closing = b"\r\n--" + boundary + b"--\r\n"
    assert outer.endswith(closing)
    return outer[:-len(closing)] + b"\r\n--" + boundary + b"\r\n" + rfc822 + closing


def _bounce() -> bytes:
    """NetEase's 系统退信 for one of our acknowledgments: multipart/report with delivery-status."""
    text = ("抱歉，您的邮件被退回来了……\n原邮件信息：\n时　间： 2025-09-17 10:05:11\n收件人： zhangsan_lunan@163.com\n"
            "退信原因： 收件人不存在(550 User not found)\n")
    ctype, body = multipart("multipart/report; report-type=delivery-status", "----=_Part_ret_1758075911", [
        part([("Content-Type", "text/plain; charset=GBK"), ("Content-Transfer-Encoding", "base64")], b64(text.encode("gbk"))),
        part([("Content-Type", "message/delivery-status")],
             b"Reporting-MTA: dns; m16.mail.163.com\r\n\r\nFinal-Recipient: rfc822; zhangsan_lunan@163.com\r\n"
             b"Action: failed\r\nStatus: 5.1.1\r\n"),
        part([("Content-Type", "text/rfc822-headers")],
             b"From: tskxpjb@126.com\r\nTo: zhangsan_lunan@163.com\r\nSubject: =?utf-8?B?44CQ5bey5pS25Yiw44CR?=\r\n")])
    head = [("From", f"{word('系统退信', 'GBK')} <postmaster@163.com>"), ("To", MAILBOX),
            ("Subject", word("系统退信", "GBK")), ("Date", date(day(17, 10, 6))),
            ("Message-ID", "<ret-1758075911.4711@m16.mail.163.com>"), ("Auto-Submitted", "auto-replied")]
    return message(head, ctype, body)


def _real_clients(f: dict[str, bytes], work: Path) -> list[tuple[str, bytes, datetime]]:
    """Mail that mutt, s-nail and swaks compose (tests/clientmail.py drives them)."""
    import clientmail as cm
    c = cm.Clients(work)
    p = {name: c.file(name, data) for name, data in f.items()}
    mails = [
        ("qixiang_first", c.mutt("唐山市气象局 <tsqxj@163.com>", MAILBOX, "市气象局全国科普月活动统计表",
                                 "市素质办：\n我局科普月活动统计表见附件。\n市气象局 孙\n", [p["市气象局科普月活动统计表.xlsx"]]), day(12, 10)),
        ("qixiang_second", c.mutt("唐山市气象局 <tsqxj@163.com>", MAILBOX, "更正：市气象局全国科普月活动统计表（以此为准）",
                                  "市素质办：\n上次报送的统计表漏了一项活动，更正后的统计表见附件，以此为准。\n市气象局 孙\n",
                                  [p["市气象局科普月活动统计表（更正）.xlsx"]]), day(13, 9)),
        ("nongye_personal_signature", c.snail("李明 <liming_ny@163.com>", MAILBOX, "科普月活动总结",
                                              "市素质办：\n附件是我局科普月活动总结和统计表，请查收。\n\n唐山市农业农村局科教科 李明\n",
                                              [p["科普月活动总结.docx"], p["活动统计表.xlsx"]]), day(19, 11)),
        ("qianxi_personal_title", c.swaks("qxbl_wang@163.com", MAILBOX, "科普月总结", "您好，总结见附件。",
                                          [p["迁西县板栗产业科普示范项目2025年全国科普月活动总结.docx"]]), day(22, 8)),
        ("yixuehui_mutt", c.mutt("唐山市医学会 <tsyxh@126.com>", MAILBOX, "唐山市医学会全国科普月活动总结",
                                 "您好：\n医学会科普月活动总结和活动统计表见附件。\n唐山市医学会学术部\n",
                                 [p["唐山市医学会科普月活动总结.docx"], p["唐山市医学会活动统计表.xlsx"]]), day(21, 15)),
        ("dizhi_snail_personal", c.snail("唐山市地质学会 <tsdzxh2025@163.com>", MAILBOX, "唐山市地质学会科普月活动总结",
                                         "市素质办：\n我会科普月活动总结见附件。\n唐山市地质学会秘书处\n",
                                         [p["唐山市地质学会科普月活动总结.docx"]]), day(23, 9)),
        ("kailuan_swaks", c.swaks("开滦集团科协 <klkx@kailuan.com.cn>", MAILBOX, "开滦集团科协全国科普月重点活动统计表",
                                  "市素质办：开滦集团科协全国科普月重点活动统计表见附件。",
                                  [p["开滦集团科协重点活动统计表.xlsx"]]), day(24, 17)),
    ]
    return [(label, cm.dated(raw, when), when) for label, raw, when in mails]


def build() -> list[tuple[str, bytes, datetime]]:
    """The set, composed once per content of this folder (cached in the temp dir)."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(here.glob("*.py")))).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"summary-blindmail-{digest}.pickle"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    with tempfile.TemporaryDirectory(prefix="blindmail-") as tmp:
        built = _mails(fl.build(), Path(tmp))
    cache.write_bytes(pickle.dumps(built))
    return built
