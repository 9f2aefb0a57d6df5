"""The loopback test servers behave like real ones for imapclient and smtplib."""
import os
import smtplib
import ssl
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from servers import Dovecot, SmtpSink, free_port, live_group_members

CST = timezone(timedelta(hours=8))


def make_mail(subject: str, attachment_size: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = "unit@example.org"
    msg["To"] = "office@example.org"
    msg["Subject"] = subject
    msg.set_content("附件是活动总结，请查收。")
    if attachment_size:
        msg.add_attachment(b"x" * attachment_size, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="总结.docx")
    return msg.as_bytes(policy=SMTP)  # CRLF line ends, as on the wire


def test_free_port_is_bindable():
    import socket
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


@pytest.mark.parametrize("mode", ["plain", "imaps", "starttls"])
def test_login_id_select_fetch(imap_account, mode):
    sent = make_mail("科普月活动总结")
    when = datetime(2025, 9, 18, 10, 30, tzinfo=CST)
    uid = imap_account.append(sent, date=when)

    if mode == "starttls":
        client = IMAPClient(imap_account.host, imap_account.port, ssl=False, timeout=5)
        client.starttls(ssl.create_default_context(cafile=imap_account.cafile))
        client.login(imap_account.user, imap_account.password)
    else:
        client = imap_account.connect(ssl_port=mode == "imaps")
    try:
        assert b"ID" in client.capabilities()
        assert dict(client.id_({"name": "summary-pipeline"}))[b"name"] == b"Dovecot"
        info = client.select_folder("INBOX")
        assert info[b"EXISTS"] == 1
        data = client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"])[uid]
    finally:
        client.logout()
    assert data[b"BODY[]"] == sent
    assert data[b"INTERNALDATE"].replace(tzinfo=None) == when.astimezone().replace(tzinfo=None)


def test_imaps_rejects_an_untrusted_certificate(imap_account):
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(imap_account.host, imap_account.ssl_port, ssl=True,
                   ssl_context=ssl.create_default_context(), timeout=5)


def test_wrong_password_is_refused(imap_account):
    client = IMAPClient(imap_account.host, imap_account.port, ssl=False, timeout=5)
    with pytest.raises(LoginError):
        client.login(imap_account.user, "wrong")
    client.shutdown()


def test_append_many_expunge_and_flags(imap_account):
    dates = [datetime(2025, 9, 1, 8, tzinfo=CST) + timedelta(hours=i) for i in range(5)]
    uids = imap_account.append_many([make_mail(f"第{i}份", 2000) for i in range(5)], dates)
    assert uids == [1, 2, 3, 4, 5]
    imap_account.expunge([2, 4])
    assert imap_account.uids() == [1, 3, 5]
    assert imap_account.append(make_mail("已读"), flags=[b"\\Seen"]) == 6
    assert b"\\Seen" in imap_account.flags()[6]
    assert b"\\Seen" not in imap_account.flags()[1]


def test_uidvalidity_change_is_visible(imap_account):
    imap_account.append(make_mail("一"))
    before = imap_account.uidvalidity()
    imap_account.set_uidvalidity(before + 7)
    client = imap_account.connect()
    try:
        assert client.select_folder("INBOX")[b"UIDVALIDITY"] == before + 7
    finally:
        client.logout()
    imap_account.recreate_folder()
    assert imap_account.uidvalidity() == before + 8
    assert imap_account.uids() == []


def test_restart_keeps_mail_and_ports(dovecot, imap_account):
    uid = imap_account.append(make_mail("重启前"))
    validity = imap_account.uidvalidity()
    port, ssl_port = dovecot.port, dovecot.ssl_port
    dovecot.restart()
    assert (dovecot.port, dovecot.ssl_port) == (port, ssl_port)
    assert imap_account.uids() == [uid]
    assert imap_account.uidvalidity() == validity


def test_second_instance_side_by_side_leaves_no_process(dovecot):
    with Dovecot() as other:
        assert {other.port, other.ssl_port}.isdisjoint({dovecot.port, dovecot.ssl_port})
        other.add_user("clerk", "pw")
        assert other.append("clerk", make_mail("另一个实例")) == 1
        pgid = other._proc.pid
    assert live_group_members(pgid) == []
    assert not os.path.exists(other.base)


def send(sink: SmtpSink, raw: bytes, rcpts=("office@example.org",), login=None) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as smtp:
        if login:
            smtp.login(*login)
        smtp.sendmail("unit@example.org", list(rcpts), raw)


def test_smtp_sink_receives(smtp_sink):
    raw = make_mail("回执：已收到")
    send(smtp_sink, raw, rcpts=["a@example.org", "b@example.org"])
    [got] = smtp_sink.wait_for(1)
    assert got.mail_from == "unit@example.org"
    assert got.rcpt_tos == ["a@example.org", "b@example.org"]
    assert got.parsed()["Subject"] == "回执：已收到"
    assert got.raw == raw
    smtp_sink.clear()
    assert smtp_sink.messages == []


def test_smtp_sink_with_auth():
    with SmtpSink("office", "secret") as sink:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send(sink, make_mail("未登录"))
        assert refused.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError):
            send(sink, make_mail("密码错"), login=("office", "nope"))
        send(sink, make_mail("已登录"), login=("office", "secret"))
        [got] = sink.wait_for(1)
        assert got.auth_user == "office"


def test_smtp_sink_implicit_tls():
    with SmtpSink("office", "secret", tls=True) as sink:
        context = ssl.create_default_context(cafile=sink.cafile)
        with smtplib.SMTP_SSL(sink.host, sink.port, context=context, timeout=5) as smtp:
            smtp.login("office", "secret")
            smtp.sendmail("office@example.org", ["unit@example.org"], make_mail("日报"))
        assert sink.wait_for(1)[0].parsed()["Subject"] == "日报"


def test_fail_next_data_then_success(smtp_sink):
    smtp_sink.fail_next(1)
    with pytest.raises(smtplib.SMTPDataError) as failed:
        send(smtp_sink, make_mail("被限流"))
    assert failed.value.smtp_code == 451
    assert b"MI:SFQ" in failed.value.smtp_error
    send(smtp_sink, make_mail("重发成功"))
    assert [m.parsed()["Subject"] for m in smtp_sink.wait_for(1)] == ["重发成功"]


def test_fail_next_rcpt_then_success(smtp_sink):
    smtp_sink.fail_next(2, stage="RCPT")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_sink, make_mail("一"), rcpts=["a@example.org", "b@example.org"])
    assert {code for code, _ in refused.value.recipients.values()} == {451}
    send(smtp_sink, make_mail("二"))
    assert len(smtp_sink.wait_for(1)) == 1


def test_wait_for_times_out(smtp_sink):
    with pytest.raises(TimeoutError):
        smtp_sink.wait_for(1, timeout=0.1)


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_server_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    from conftest import missing_tool

    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="dovecot-imapd"):
        missing_tool("/usr/sbin/dovecot is missing: apt-get install dovecot-imapd")
