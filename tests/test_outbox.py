"""The outbox against a real SMTP server on loopback: sent once, deferred on 4xx, failed on 5xx."""
from datetime import datetime, timedelta, timezone

from outbox.compose import Draft, compose, to_wire
from outbox.queue import SendingLimits, flush
from outbox.render import render
from outbox.smtp import FolderTransport, SmtpTransport
from pipeline.ledger.records import Outgoing
from pipeline.ledger.store import Store


def mail(n: int, subject="【已收到】路南区：总结") -> Outgoing:
    message = compose(Draft(dedupe=f"ack:{n}", sender="tskxpjb@126.com", sender_name="唐山市素质办", to=[f"u{n}@126.com"],
                      subject=subject, text="您好", html="<p>您好</p>", in_reply_to=f"<orig{n}@x>"))
    return Outgoing("ack", f"ack:{n}", [f"u{n}@126.com"], subject, to_wire(message), f"<orig{n}@x>")


def transport(sink) -> SmtpTransport:
    return SmtpTransport(sink.host, sink.port, use_ssl=False, starttls=False, username=None, password=None,
                         timeout=10)


def run(store, sink, now=None, per_minute=100, attempts=3):
    return flush(store, transport(sink), sender="tskxpjb@126.com", now=now,
                 limits=SendingLimits(max_per_minute=per_minute, max_per_day=1000, max_attempts=attempts))


def test_compose_threads_and_marks_auto_reply():
    raw = to_wire(compose(Draft(dedupe="ack:1", sender="tskxpjb@126.com", sender_name="素质办", to=["a@126.com"],
                          subject="主题\r\nBcc: victim@example.org", text="正文", in_reply_to="<orig@x>",
                          references="<a@x> <orig@x>")))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head  # CR/LF in a subject cannot add a header
    assert b"In-Reply-To: <orig@x>" in head and b"References: <a@x> <orig@x>" in head
    assert b"Auto-Submitted: auto-replied" in head
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only: servers refuse bare LF


def test_html_is_escaped():
    text, html = render("ack", greeting="<b>x</b>", office="素质办", received_at="", subject="<script>alert(1)</script>",
                        unit_name=None, candidates=[], files=[], activities_count=0, reported=0, required=1,
                        met=False, activities=[], more_activities=0, late=False, deadline="", fixes=[],
                        proposed=[{"title": "<i>讲座</i>", "when": "9月15日", "participants": 300}], proposed_count=1,
                        more_proposed=0, short_after_proposed=False, parts=[], proposed_from="正文")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;讲座" in html
    assert "<script>" in text  # plain text is plain


def test_each_mail_sent_once(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    for n in range(3):
        assert store.enqueue(mail(n))
    assert not store.enqueue(mail(0))  # the same dedupe key is never queued twice
    assert run(store, smtp_sink).sent == 3
    assert run(store, smtp_sink).sent == 0
    received = smtp_sink.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in received) == ["u0@126.com", "u1@126.com", "u2@126.com"]
    assert received[0].parsed()["In-Reply-To"].startswith("<orig")


def test_4xx_defers_then_sends(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    store.enqueue(mail(1))
    smtp_sink.fail_next(1, code=451, message="4.7.0 MI:SFQ too many sends")
    report = run(store, smtp_sink)
    assert (report.sent, report.retried, report.throttled) == (0, 1, True)
    row = store.outbox()[0]
    assert row.state == "pending" and "MI:SFQ" in row.last_error
    assert run(store, smtp_sink).sent == 0  # not due yet
    later = datetime.now(timezone.utc) + timedelta(hours=3)
    assert run(store, smtp_sink, now=later).sent == 1
    assert len(smtp_sink.wait_for(1)) == 1


def test_5xx_fails_and_is_kept(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    store.enqueue(mail(1))
    store.enqueue(mail(2))
    smtp_sink.fail_next(1, code=554, message="DT:SPM judged as spam", stage="RCPT")
    report = run(store, smtp_sink)
    assert (report.sent, report.failed) == (1, 1)
    states = {r.dedupe: (r.state, r.last_error) for r in store.outbox()}
    assert states["ack:1"][0] == "failed" and "554" in states["ack:1"][1]
    assert states["ack:2"][0] == "sent"


def test_gives_up_after_max_attempts(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    store.enqueue(mail(1))
    now = datetime.now(timezone.utc)
    for i in range(3):
        smtp_sink.fail_next(1, code=450, message="4.3.2 try later")
        run(store, smtp_sink, now=now + timedelta(hours=3 * (i + 1)), attempts=3)
    assert store.outbox()[0].state == "failed"
    assert "gave up after 3 tries" in store.outbox()[0].last_error


def test_server_down_keeps_everything(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    store.enqueue(mail(1))
    port = smtp_sink.port
    smtp_sink.stop()
    down = SmtpTransport("127.0.0.1", port, use_ssl=False, starttls=False, username=None, password=None, timeout=3)
    report = flush(store, down, sender="tskxpjb@126.com",
                   limits=SendingLimits(max_per_minute=10, max_per_day=10, max_attempts=5))
    assert report.retried == 1 and store.outbox()[0].state == "pending"


def test_rate_limit_leaves_the_rest_for_later(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    for n in range(5):
        store.enqueue(mail(n))
    report = run(store, smtp_sink, per_minute=2)
    assert report.sent == 2 and report.throttled
    assert sum(r.state == "pending" for r in store.outbox()) == 3


def test_folder_transport_writes_eml(tmp_path):
    store = Store(tmp_path / "l.sqlite3")
    store.enqueue(mail(1))
    flush(store, FolderTransport(tmp_path / "sent"), sender="x@126.com",
          limits=SendingLimits(max_per_minute=10, max_per_day=10, max_attempts=3))
    files = list((tmp_path / "sent").glob("*.eml"))
    assert len(files) == 1 and b"Auto-Submitted: auto-replied" in files[0].read_bytes()


def test_smtp_socket_sends_small_writes_at_once(tmp_path):
    """The final dot is a 3-byte write after the body: with Nagle's algorithm on, the kernel holds it
    for the server's delayed ACK (~40 ms a mail). The connection must have TCP_NODELAY, TLS or not."""
    import socket

    from servers import SmtpSink

    for tls in (False, True):
        with SmtpSink(tls=tls) as sink:
            smtp = SmtpTransport(sink.host, sink.port, use_ssl=tls, starttls=False, username=None, password=None,
                                 timeout=10, cafile=sink.cafile or None)
            smtp.send("tskxpjb@126.com", ["u1@126.com"], to_wire(compose(Draft(
                dedupe="ack:1", sender="tskxpjb@126.com", sender_name="素质办", to=["u1@126.com"], subject="主题",
                text="正文"))))
            assert smtp.connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            smtp.close()
            assert len(sink.wait_for(1)) == 1


def test_composed_mail_reads_back_in_a_mail_client():
    """What a modern parser (a mail client) makes of our wire form: headers decoded, the structure
    text | (html + inline chart), the workbook attached under its Chinese name, CRLF, short lines."""
    import email
    import email.policy

    subject = "【已收到】唐山市路南区科学技术协会：路南区科协2025年全国科普月活动总结（含活动明细表和照片）"
    raw = to_wire(compose(Draft(dedupe="digest:1", sender="tskxpjb@126.com", sender_name="唐山市素质办（自动汇总）",
                          to=["a@126.com", "b@163.com"], subject=subject, text="正文：进度", html="<p>进度<img src=\"cid:c1\"></p>",
                          in_reply_to="<orig@x>", attachments=[("科普月汇总.xlsx", b"PK\x03\x04data",
                                                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
                          inline_images=[("c1", b"\x89PNG\r\n\x1a\nimg", "png")])))
    assert b"\n" not in raw.replace(b"\r\n", b"") and max(len(line) for line in raw.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == subject and msg["From"].addresses[0].display_name == "唐山市素质办（自动汇总）"
    assert [a.addr_spec for a in msg["To"].addresses] == ["a@126.com", "b@163.com"]
    assert msg["Auto-Submitted"] == "auto-replied" and msg["In-Reply-To"] == "<orig@x>"
    assert msg.get_all("MIME-Version") == ["1.0"]
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    assert msg.get_body(("plain",)).get_content() == "正文：进度"
    assert "进度" in msg.get_body(("html",)).get_content()
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<c1>" and image.get_content() == b"\x89PNG\r\n\x1a\nimg"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "科普月汇总.xlsx" and attachment.get_content() == b"PK\x03\x04data"


def test_sending_limits_count_earlier_flushes_and_this_one(tmp_path, smtp_sink):
    """The per-minute and per-day counts are taken once per flush and kept up to date while it sends:
    mail sent by an earlier flush counts, and so does each mail of this one."""
    store = Store(tmp_path / "l.sqlite3")
    for n in range(6):
        store.enqueue(mail(n))
    now = datetime.now(timezone.utc)
    first = flush(store, transport(smtp_sink), sender="tskxpjb@126.com", now=now,
                  limits=SendingLimits(max_per_minute=2, max_per_day=3, max_attempts=3))
    assert (first.sent, first.throttled) == (2, True)
    later = now + timedelta(minutes=2)  # the minute has passed, the day has not
    second = flush(store, transport(smtp_sink), sender="tskxpjb@126.com", now=later,
                   limits=SendingLimits(max_per_minute=2, max_per_day=3, max_attempts=3))
    assert (second.sent, second.throttled) == (1, True)
    assert len(smtp_sink.wait_for(3)) == 3 and sum(r.state == "pending" for r in store.outbox()) == 3
