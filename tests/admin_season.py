"""A realistic season for the admin-side sweep: the real-client set (mutt, s-nail, swaks, tables written
by LibreOffice) plus the mail the admin actions once crashed on, built with ``mailbuild``:

- ``office_attached``: an admin forwards, as an attached message, a mail from an address nobody registered;
- ``office_inline``: the mailbox itself forwards one inline (the NetEase "原始邮件" block) with its table;
- ``senderless``: a mail with no From header at all, carrying a table;
- ``no_message_id``: a registered unit's submission without a Message-ID header.

The tables of these four are LibreOffice's (``clientmail._soffice``); none names a registered unit, so the
forwards wait for a person. ``deliver`` loads everything into a Dovecot account and writes a config.yaml.
"""
from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import clientmail
import yaml
from clientmail import ADMINS, MAILBOX, _day, _rows, _soffice
from conftest import parser_budget_mb
from mailbuild import b_word, file_part, mail, multipart, rfc822_part, text_part

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTRA_UNITS = "kaiping,唐山市开平区科学技术协会,county,开平区科协,kpkx@163.com\n"
STRANGER_SENDER = "wanglaoshi2025@qq.com"  # wrote the mail the office forwards as an attachment
INLINE_SENDER = "lilaoshi@163.com"  # wrote the mail the mailbox forwards inline


@dataclass
class Extra:
    label: str
    raw: bytes
    when: datetime


def _attachment(name: str, data: bytes) -> bytes:
    return file_part(data, XLSX, f"attachment; filename=\"{b_word(name)}\"")


def _stamp(when: datetime) -> str:
    return email.utils.format_datetime(when)


def extra_mails(workdir: Path) -> list[Extra]:
    tables = _soffice({"社区科普活动统计表.xlsx": _rows("社区", 3, 6, "某社区活动室"),
                       "校园科普活动.xlsx": _rows("校园", 2, 9, "某小学"),
                       "活动表.xlsx": _rows("科普", 2, 15, "某广场"),
                       "开平区科协活动统计表.xlsx": _rows("开平区", 4, 7, "开平区文化馆")}, workdir)
    inner = mail(multipart("mixed", [text_part("老师您好，附件是我们的科普月活动统计表，请查收。\n王老师\n"),
                                     _attachment("社区科普活动统计表.xlsx", tables["社区科普活动统计表.xlsx"])]),
                 subject=b_word("科普月活动统计表"), from_=f"{b_word('王老师')} <{STRANGER_SENDER}>",
                 to="fnkx@163.com", date=_stamp(_day(8, 9)), message_id="<inner.wang@qq.com>")
    office_attached = mail(multipart("mixed", [text_part("转发一份来信，请处理。\n素质办\n"),
                                               rfc822_part(inner, "attachment")]),
                           subject=b_word("Fw: 科普月活动统计表"), from_=f"{b_word('素质办')} <{ADMINS[0]}>",
                           to=MAILBOX, date=_stamp(_day(9)), message_id="<office-fw.1@example.org>")
    quoted = ("转给系统处理。\n\n------------------ 原始邮件 ------------------\n"
              f"发件人: \"李老师\"<{INLINE_SENDER}>;\n发送时间: 2025年9月9日(星期二) 上午9:30\n"
              f"收件人: \"素质办\"<{MAILBOX}>;\n主题: 校园科普活动\n\n您好，校园科普活动两项，见附件。\n李老师\n")
    office_inline = mail(multipart("mixed", [text_part(quoted), _attachment("校园科普活动.xlsx", tables["校园科普活动.xlsx"])]),
                         subject=b_word("转发：校园科普活动"), from_=f"{b_word('唐山市素质办')} <{MAILBOX}>",
                         to=MAILBOX, date=_stamp(_day(10)), message_id="<office-fw.2@126.com>")
    senderless = mail(multipart("mixed", [text_part("活动表见附件。\n"), _attachment("活动表.xlsx", tables["活动表.xlsx"])]),
                      subject=b_word("活动表"), from_=None, to=MAILBOX, date=_stamp(_day(16)),
                      message_id="<no-from.1@localhost>")
    no_id = mail(multipart("mixed", [text_part("开平区科协科普月活动统计表见附件。\n开平区科协\n"),
                                     _attachment("开平区科协活动统计表.xlsx", tables["开平区科协活动统计表.xlsx"])]),
                 subject=b_word("开平区科协科普月活动统计表"), from_=f"{b_word('开平区科协')} <kpkx@163.com>",
                 to=MAILBOX, date=_stamp(_day(11)), message_id=None)
    return [Extra("office_attached", office_attached, _day(9)), Extra("office_inline", office_inline, _day(10)),
            Extra("senderless", senderless, _day(16)), Extra("no_message_id", no_id, _day(11))]


def deliver(account, sink, workdir: Path) -> tuple[Path, dict[str, bytes]]:
    """Load the season into ``account``; write ``workdir/config.yaml`` (password in the environment of the
    caller: CLIENTMAIL_PASSWORD). Returns the config's path and the raw mails by label."""
    built = clientmail.build()
    extras = extra_mails(workdir)
    raws = [(label, raw, when) for label, raw, when in built.mails] + [(e.label, e.raw, e.when) for e in extras]
    (workdir / "units.csv").write_text(built.units_csv + EXTRA_UNITS, encoding="utf-8")
    config = {"mailbox": {**account.mailbox_config(), "password": "${CLIENTMAIL_PASSWORD}"},
              "smtp": {**sink.smtp_config(), "from": MAILBOX, "max_per_minute": 1000},
              "admins": list(ADMINS), "data_dir": "var", "campaign": {"units": "units.csv"},
              "extraction": {"workers": 2, "memory_budget_mb": parser_budget_mb()}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    account.append_many([raw for _, raw, _ in raws], [when for _, _, when in raws])
    return path, {label: raw for label, raw, _ in raws}
