"""The whole pipeline against a real IMAP server (Dovecot) and a real SMTP server (aiosmtpd) on loopback.

A realistic mixed mailbox from the sample generator is loaded into Dovecot; `poll` must record every
message once, export what the generator says is true, and send exactly one acknowledgment per
submission. A second poll and a reingest change no row and send nothing.
"""
import time

import pytest
from admin_helpers import export, load, write_config
from truth import compare

from run import main
from samples import generate


def _sender(raw: bytes) -> str:
    from email import message_from_bytes
    from email.utils import parseaddr

    return parseaddr(message_from_bytes(raw)["From"])[1].lower()


@pytest.fixture(scope="module")
def sample():
    return generate(seed=11)


def test_poll_matches_truth_and_acknowledges_each_submission_once(imap_account, smtp_sink, tmp_path, sample,
                                                                  monkeypatch):
    load(imap_account, sample.mails)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0

    data = export(config, tmp_path)
    assert len(data["messages"]) == len(sample.mails)
    result = compare(sample, data)
    assert result.perfect, result.report()

    submissions = {m.message_id: m for m in sample.mails if m.truth.acked}
    acks = smtp_sink.wait_for(len(submissions))
    time.sleep(0.3)
    assert len(smtp_sink.messages) == len(submissions)
    office = {sample.mailbox_addr, *sample.admin_addrs}
    forwarded_by_office = [m for m in submissions.values() if _sender(m.raw) in office]
    replied_to = [r.parsed()["In-Reply-To"] for r in smtp_sink.messages]
    threaded = [m for m in submissions if m not in {f.message_id for f in forwarded_by_office}]
    assert sorted(r for r in replied_to if r) == sorted(threaded)  # one each, none for the rest
    # mail the office forwarded is acknowledged to the unit that wrote it, outside the office
    assert replied_to.count(None) == len(forwarded_by_office)
    for received in acks:
        message = received.parsed()
        assert message["Auto-Submitted"] == "auto-replied"
        assert received.rcpt_tos[0] not in (sample.mailbox_addr, *sample.admin_addrs)
        body = message.get_body(("plain",)).get_content()
        assert "已收到您于" in body

    # the mailbox is only read: nothing marked \Seen, nothing moved
    assert all(b"\\Seen" not in flags for flags in imap_account.flags().values())
    assert len(imap_account.uids()) == len(sample.mails)

    # a second poll and reingests change no row and send nothing
    assert main(["--config", str(config), "poll"]) == 0
    assert export(config, tmp_path, "again.json") == data
    assert main(["--config", str(config), "reingest", "--since", "2025-08-01", "--until", "2025-10-31"]) == 0
    assert export(config, tmp_path, "reingest.json") == data
    assert main(["--config", str(config), "reingest", "--since", "2025-08-01", "--until", "2025-10-31",
                 "--from-archive"]) == 0
    assert export(config, tmp_path, "archive.json") == data
    time.sleep(0.3)
    assert len(smtp_sink.messages) == len(submissions)


def test_new_mail_after_first_poll_is_fetched_alone(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    first, rest = sample.mails[:10], sample.mails[10:20]
    imap_account.append_many([m.raw for m in first], [m.received for m in first])
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    imap_account.append_many([m.raw for m in rest], [m.received for m in rest])
    assert main(["--config", str(config), "poll"]) == 0
    data = export(config, tmp_path)
    assert sorted(m["message_id"] for m in data["messages"]) == sorted(m.message_id for m in first + rest)


def test_uidvalidity_change_neither_loses_nor_reingests(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    mails = sample.mails[:12]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    before = export(config, tmp_path)
    acks = len(smtp_sink.messages)

    imap_account.set_uidvalidity(imap_account.uidvalidity() + 7)
    newcomer = sample.mails[12]
    imap_account.append(newcomer.raw, date=newcomer.received)
    assert main(["--config", str(config), "poll"]) == 0
    after = export(config, tmp_path, "after.json")
    assert len(after["messages"]) == len(before["messages"]) + 1
    assert [m for m in after["messages"] if m["message_id"] != newcomer.message_id] == before["messages"] or \
        {m["message_id"] for m in before["messages"]} <= {m["message_id"] for m in after["messages"]}
    time.sleep(0.3)
    assert len(smtp_sink.messages) == acks + int(newcomer.truth.acked)


def test_tls_with_id_and_verified_certificate(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    mails = sample.mails[:5]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, ssl=True)
    assert main(["--config", str(config), "poll"]) == 0
    assert len(export(config, tmp_path)["messages"]) == 5


def test_wrong_password_is_a_clear_error(imap_account, smtp_sink, tmp_path, sample, monkeypatch, capsys):
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    monkeypatch.setenv("TEST_MAILBOX_PASSWORD", "wrong")
    assert main(["--config", str(config), "poll"]) == 1
    err = capsys.readouterr().err
    assert "login" in err and "authorization code" in err and "wrong" not in err
