"""Is a mail a unit's submission, or something else (auto-reply, bounce, list, our own mail…)?

Pure: an envelope and the office's own addresses in, a verdict out. What is not a
submission is ``ignored`` with a reason; a person's question is ignored too but flagged so
the digest shows it to someone who can answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.parsed import Envelope

DOCUMENT_KINDS_HINT = re.compile(r"\.(docx?|xlsx?|xlsm|xls|wps|et|ods|odt|pdf|zip|rar|7z)$", re.I)
AUTO_SUBJECT = re.compile(r"自动回复|自动答复|自动应答|auto(matic)?[ -]?(reply|response)|out of (the )?office|休假|不在办公室",
                          re.I)
RECEIPT_SUBJECT = re.compile(r"^\s*(已读|已读回执|read|read receipt|回执)\s*[:：]", re.I)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|maildelivery|bounce)[@+-]", re.I)
BOUNCE_SUBJECT = re.compile(r"undeliver|delivery (status|failure)|returned mail|退信|投递失败|系统退信|无法投递", re.I)
QUESTION = re.compile(r"请问|能否|可否|是否可以|可不可以|能不能|延期|延长|推迟|咨询|怎么报|如何报|[?？]")
SUBMISSION_WORDS = re.compile(r"总结|科普月|科普活动|活动|报送|附件|材料|汇总|统计表")
NO_REPLY_ADDRESS = re.compile(r"^(no-?reply|do-?not-?reply|noreply)[@+.-]", re.I)
REPLY_SUBJECT = re.compile(r"^\s*(re|回复|答复|回覆|答覆)\s*[:：]", re.I)
# where a client starts quoting the mail being answered (NetEase, QQ, Outlook, Gmail, mutt)
QUOTE_START = re.compile(r"^\s*(?:-{2,}\s*(?:原始邮件|original message|回复的原邮件|forwarded message|转发邮件信息)"
                         r"|在\s*.{0,80}写道\s*[:：]|on .{0,120}wrote\s*:|(?:发件人|from)\s*[:：]|>)", re.I)
# a person's own words in a reply longer than this are more than "收到，谢谢"
SHORT_REPLY = 200
# what our automatic mail carries in its subject ([已收到], [已收到，请核对], [请留意], [提醒]) and its sender's name
OUR_MARK = re.compile(r"【(?:已收到|请留意|提醒)")
OUR_SENDER_NAME = re.compile(r"自动(?:回复|通知)")
# a writer saying the material comes with the mail: "附件是我单位的总结", "请查收", "稍后补发"
CLAIMS_FILE = re.compile(r"附件|见附|附表|查收|附上|随信|随附|附后|补发|重发|忘[了带加添]|漏[了带发]")
# words naming the summary itself, in a reply that does not answer our automatic mail (the office's notice)
NAMES_SUMMARY = re.compile(r"总结|统计表|明细表?|活动材料|报送材料|汇总表")


@dataclass(frozen=True)
class Verdict:
    kind: str  # submission | auto_reply | bounce | receipt | list | own_mail | ack_reply | question | unrelated
    reason: str  # Chinese, for admins
    reply_allowed: bool  # RFC 3834: may an automatic reply go to the sender

    @property
    def is_submission(self) -> bool:
        return self.kind == "submission"


def _first(envelope: Envelope, name: str) -> str:
    values = envelope.headers.get(name, [])
    return values[0].strip() if values else ""


def _documents(envelope: Envelope) -> list[str]:
    return [a.name for a in envelope.attachments if not a.content_type.startswith("image/")
            or DOCUMENT_KINDS_HINT.search(a.name or "")]


def own_text(text: str) -> str:
    """The body without the quoted mail it answers: the writer's own words."""
    lines = []
    for line in (text or "").splitlines():
        if QUOTE_START.match(line):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def answers_us(envelope: Envelope, own_addresses: set[str], our_message_domain: str) -> bool:
    """A reply in a thread with the office: our Message-ID referenced, a Re:/回复: subject, or our
    mail quoted below. Clients drop In-Reply-To, so the shape counts as much as the headers."""
    references = _first(envelope, "in-reply-to") + " " + _first(envelope, "references")
    if our_message_domain and our_message_domain in references:
        return True
    quoted_ours = any(f.from_addr in own_addresses for f in envelope.forwarded)
    return bool(REPLY_SUBJECT.search(envelope.subject or "")) or quoted_ours


def answers_our_automatic_mail(envelope: Envelope, own_addresses: set[str], our_message_domain: str) -> bool:
    """A reply to an acknowledgment, notice or reminder the pipeline sent (not to a person at the office)."""
    references = _first(envelope, "in-reply-to") + " " + _first(envelope, "references")
    if our_message_domain and our_message_domain in references:
        return True
    if OUR_MARK.search(envelope.subject or "") or OUR_MARK.search((envelope.text or "")[:20000]):
        return True  # our subject, or our mail quoted below (its subject line)
    return any(f.from_addr in own_addresses and OUR_SENDER_NAME.search(f.from_name or "")
               for f in envelope.forwarded)


def claims_a_file(envelope: Envelope, mine: str, ours: bool) -> bool:
    """The writer says the summary comes with this mail (which carries no file): a submission whose file
    is missing. Answering our automatic mail, only an explicit word about the attachment counts; answering
    the office's notice, naming the summary in the text or a subject of one's own counts too."""
    if CLAIMS_FILE.search(mine):
        return True
    if ours:
        return False
    subject = REPLY_SUBJECT.sub("", envelope.subject or "")
    return bool(NAMES_SUMMARY.search(mine)) or (bool(NAMES_SUMMARY.search(subject)) and "通知" not in subject)


def is_automatic(envelope: Envelope) -> str | None:
    """Why a mail was sent by a machine (RFC 3834 and common practice), or None."""
    auto = _first(envelope, "auto-submitted").lower()
    if auto and auto != "no":
        return f"自动发送的邮件（Auto-Submitted: {auto}）"
    for header in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if header in envelope.headers and header != "x-auto-response-suppress":
            return "自动回复邮件"
    precedence = _first(envelope, "precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        return f"群发或自动邮件（Precedence: {precedence}）"
    if AUTO_SUBJECT.search(envelope.subject or ""):
        return "自动回复邮件（主题含“自动回复”等字样）"
    return None


def classify(envelope: Envelope, own_addresses: set[str], admins: set[str],
             our_message_domain: str) -> Verdict:
    sender = envelope.from_addr
    documents = _documents(envelope)
    forwarded_from_other = [f for f in envelope.forwarded
                            if f.from_addr and f.from_addr not in own_addresses and f.from_addr not in admins]

    if sender in own_addresses or sender in admins:
        if documents and (forwarded_from_other or envelope.forwarded):
            # the acknowledgment goes to the unit that wrote the forwarded mail, when it is known
            return Verdict("submission", "办公室转发的单位报送材料", bool(forwarded_from_other))
        who = "本邮箱自己发出的邮件" if sender in own_addresses else "管理员发来的邮件（非报送材料）"
        return Verdict("own_mail", who, False)

    content_type = envelope.content_type.lower()
    if "disposition-notification" in str(envelope.headers.get("content-type", "")).lower() \
            or RECEIPT_SUBJECT.search(envelope.subject or ""):
        return Verdict("receipt", "已读回执", False)
    if content_type == "multipart/report" or BOUNCE_SENDER.search(sender or "") \
            or (_first(envelope, "return-path") in ("<>", "") and "return-path" in envelope.headers) \
            or (not documents and BOUNCE_SUBJECT.search(envelope.subject or "")):
        return Verdict("bounce", "退信（投递失败通知）", False)
    automatic = is_automatic(envelope)
    if automatic:
        return Verdict("auto_reply", automatic, False)
    if "list-id" in envelope.headers or "list-unsubscribe" in envelope.headers or \
            _first(envelope, "precedence").lower() == "list":
        return Verdict("list", "邮件列表或群发广告，与报送无关", False)

    reply_allowed = bool(sender) and not NO_REPLY_ADDRESS.search(sender)
    if documents:
        return Verdict("submission", "报送材料", reply_allowed)

    mine = own_text(envelope.text)
    text = f"{envelope.subject}\n{mine[:3000]}"
    if answers_us(envelope, own_addresses, our_message_domain) and not envelope.oversize_links \
            and len(mine) <= SHORT_REPLY:
        return _short_reply(envelope, mine, answers_our_automatic_mail(envelope, own_addresses, our_message_domain),
                            reply_allowed)
    if envelope.oversize_links:  # 超大附件: the files are behind download links
        return Verdict("submission", "报送邮件（附件为超大附件下载链接）", reply_allowed)
    asked = QUESTION.search(re.sub(r"https?://\S+", " ", text))  # a link's "?" asks nothing
    if asked and not re.search(r"见附件|附件[是为]", text):
        return Verdict("question", "单位来信咨询，未附报送材料，需要人工答复", False)
    if SUBMISSION_WORDS.search(text):
        return Verdict("submission", "报送邮件（未见附件）", reply_allowed)
    return Verdict("unrelated", "与本次报送无关的邮件", False)


def _short_reply(envelope: Envelope, mine: str, ours: bool, reply_allowed: bool) -> Verdict:
    """A short reply without files: "收到，谢谢" is ignored; one that says its summary is attached is a
    submission whose file is missing (answered, so the unit hears it); one that asks is for a person."""
    what = "回执" if ours else "办公室来信"
    if claims_a_file(envelope, mine, ours):
        return Verdict("submission", f"对{what}的回复，说明附有材料但未见附件", reply_allowed)
    if QUESTION.search(re.sub(r"https?://\S+", " ", mine)):
        return Verdict("question", f"对{what}的回复，含有问题，需要人工答复", False)
    return Verdict("ack_reply", f"对{what}的回复（如“收到”“谢谢”），未带附件，无需处理", False)
