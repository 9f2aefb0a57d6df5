"""Nothing lost, nothing twice: the ledger around failures, on a local Maildir (no servers needed)."""
import json
import mailbox
from email.message import EmailMessage

import pytest
import yaml

import pipeline.intake.ingest
from pipeline.config import load_config
from pipeline.runtime.app import Pipeline
from run import main


def unit_mail(n: int, subject="路南区科普月活动总结") -> bytes:
    message = EmailMessage()
    message["From"] = "路南区科协 <lunan_kx@126.com>"
    message["To"] = "tskxpjb@126.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<ledger-{n}@example.org>"
    message["Date"] = "Mon, 15 Sep 2025 10:00:00 +0800"
    message.set_content("您好，总结见附件。")
    return message.as_bytes()


@pytest.fixture
def config_path(tmp_path):
    (tmp_path / "units.csv").write_text("unit_id,name,category,aliases,emails\nlunan,路南区,county,,lunan_kx@126.com\n",
                                        encoding="utf-8")
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    for n in range(3):
        box.add(unit_mail(n))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "mailbox": {"maildir": "inbox", "username": "tskxpjb@126.com"},
        "smtp": {"outdir": "sent", "from": "tskxpjb@126.com"}, "data_dir": "var",
        "campaign": {"units": "units.csv"}, "extraction": {"workers": 0, "max_attempts": 2}}), encoding="utf-8")
    return path


def export(config_path, tmp_path):
    out = tmp_path / "out.json"
    assert main(["--config", str(config_path), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_a_message_that_keeps_failing_is_retried_then_parked_not_lost(config_path, tmp_path, monkeypatch):
    real_decide = pipeline.intake.ingest.decide

    def flaky(content, ctx, arrival):
        if content.envelope.message_id == "<ledger-1@example.org>":
            raise RuntimeError("parser bug")
        return real_decide(content, ctx, arrival)

    monkeypatch.setattr(pipeline.intake.ingest, "decide", flaky)
    config = load_config(config_path)
    with Pipeline(config) as p:
        first = p.poll()
        assert (first.processed, first.failed, first.parked) == (2, 1, 0)
        second = p.poll()  # the failed one is tried again, and parked after max_attempts
        assert (second.processed, second.failed, second.parked) == (0, 1, 1)
        third = p.poll()
        assert (third.processed, third.failed) == (0, 0)
    data = export(config_path, tmp_path)
    statuses = {m["message_id"]: (m["status"], m["reason"]) for m in data["messages"]}
    assert len(statuses) == 3
    assert statuses["<ledger-1@example.org>"][0] == "needs_review"
    assert "parser bug" in statuses["<ledger-1@example.org>"][1]
    parked = next(m for m in data["messages"] if m["message_id"] == "<ledger-1@example.org>")
    assert (parked["sender"], parked["subject"]) == ("lunan_kx@126.com", "路南区科普月活动总结")
    assert len(list((tmp_path / "sent").glob("*.eml"))) == 2  # the parked one got no acknowledgment

    # once the bug is fixed, a reingest from the archive recovers it, acknowledging nobody twice
    monkeypatch.setattr(pipeline.intake.ingest, "decide", real_decide)
    assert main(["--config", str(config_path), "reingest", "--since", "2025-09-01", "--until", "2025-09-30",
                 "--from-archive"]) == 0
    data = export(config_path, tmp_path)
    assert {m["status"] for m in data["messages"]} == {"needs_review"}  # no attachment: a unit forgot it
    assert all("附件" in m["reason"] for m in data["messages"])
    assert len(list((tmp_path / "sent").glob("*.eml"))) == 3  # only the recovered one is new


def test_a_crash_between_archive_and_commit_loses_nothing(config_path, tmp_path, monkeypatch):
    """The process dies (simulated) after the raw mail is archived and recorded, before its results."""
    def die(*args, **kwargs):
        raise SystemExit("killed")

    config = load_config(config_path)
    monkeypatch.setattr(pipeline.intake.ingest.Ingestor, "process_pending", die)
    with Pipeline(config) as p, pytest.raises(SystemExit):
        p.poll()
    monkeypatch.undo()
    with Pipeline(config) as p:
        assert len(p.store.pending()) == 3  # recorded, not yet done
        report = p.poll()
        assert (report.fetched, report.processed) == (0, 3)  # not fetched again, processed once
    assert len(export(config_path, tmp_path)["messages"]) == 3
    assert len(list((tmp_path / "sent").glob("*.eml"))) == 3


def test_export_formats(config_path, tmp_path):
    assert main(["--config", str(config_path), "poll"]) == 0
    assert main(["--config", str(config_path), "export", "--format", "csv", "--out", str(tmp_path / "d.csv")]) == 0
    units = (tmp_path / "d.units.csv").read_bytes()
    assert units.startswith(b"\xef\xbb\xbf") and "单位名称".encode() in units  # BOM: Excel opens UTF-8
    assert (tmp_path / "d.messages.csv").exists() and (tmp_path / "d.csv").exists()
    assert main(["--config", str(config_path), "export", "--format", "xlsx", "--out", str(tmp_path / "d.xlsx")]) == 0
    import pandas as pd

    sheets = pd.read_excel(tmp_path / "d.xlsx", sheet_name=None, engine="openpyxl")
    assert {"汇总", "活动明细", "邮件", "未报送单位", "未达标单位", "待人工核查"} <= set(sheets)
    assert len(sheets["邮件"]) == 3


def test_status_and_demo(tmp_path, capsys):
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "dataset:" in out and (tmp_path / "demo" / "exports" / "dataset.json").exists()
    data = json.loads((tmp_path / "demo" / "exports" / "dataset.json").read_text(encoding="utf-8"))
    assert len(data["messages"]) > 50 and len(data["activities"]) > 50
    assert main(["--config", str(tmp_path / "demo" / "config.yaml"), "status"]) == 0
    assert "submitted" in capsys.readouterr().out


def test_outbox_command_confirms_and_resends(config_path, tmp_path, capsys):
    from pipeline.ledger.records import Outgoing
    from pipeline.ledger.store import Store

    assert main(["--config", str(config_path), "poll"]) == 0
    store = Store(tmp_path / "var" / "ledger.sqlite3")
    for n in (1, 2):
        store.enqueue(Outgoing("ack", f"ack:manual-{n}", [f"u{n}@126.com"], f"回执{n}", b"Subject: x\r\n\r\nx\r\n"))
    ids = [r.id for r in store.outbox() if r.dedupe.startswith("ack:manual-")]
    store.outbox_mark(ids[0], "unconfirmed", error="connection lost after the final dot")
    store.outbox_mark(ids[1], "failed", error="554 DT:SPM")
    capsys.readouterr()
    assert main(["--config", str(config_path), "outbox", "list"]) == 0
    listed = capsys.readouterr().out
    assert "unconfirmed" in listed and "554 DT:SPM" in listed and "2 mail(s) need a look" in listed
    assert main(["--config", str(config_path), "outbox", "resend", str(ids[0] + 1000)]) == 2
    assert main(["--config", str(config_path), "outbox", "confirm", str(ids[1])]) == 2  # failed is not unconfirmed
    assert main(["--config", str(config_path), "outbox", "confirm", str(ids[0])]) == 0
    sent_before = len(list((tmp_path / "sent").glob("*.eml")))
    assert main(["--config", str(config_path), "outbox", "resend", str(ids[1])]) == 0
    assert len(list((tmp_path / "sent").glob("*.eml"))) == sent_before + 1
    assert {r.id: r.state for r in store.outbox() if r.id in ids} == {ids[0]: "sent", ids[1]: "sent"}
    assert main(["--config", str(config_path), "outbox", "resend", str(ids[1])]) == 2  # never twice by accident


def test_a_stop_while_the_next_batch_is_read_leaves_it_pending_and_unclaimed(config_path, tmp_path, monkeypatch):
    """The parsers read the next batch while this one is decided. A stop (SIGTERM in `serve`) during
    the decisions finishes this batch; the batch read ahead stays pending with its tries given back."""
    box = mailbox.Maildir(tmp_path / "inbox")
    for n in range(3, 40):
        box.add(unit_mail(n))
    config = load_config(config_path)
    config.extraction.workers = 2
    real_decide = pipeline.intake.ingest.decide
    with Pipeline(config) as p:
        def stopping(content, ctx, arrival):
            p.stop_requested = True  # as the signal handler does
            return real_decide(content, ctx, arrival)

        monkeypatch.setattr(pipeline.intake.ingest, "decide", stopping)
        report = p.poll()
        assert report.processed == pipeline.intake.ingest.BATCH and report.failed == 0
        left = p.store.pending()
        assert len(left) == 40 - pipeline.intake.ingest.BATCH and all(r.attempts == 0 for r in left)
        monkeypatch.setattr(pipeline.intake.ingest, "decide", real_decide)
        p.stop_requested = False
        assert p.poll().processed == 40 - pipeline.intake.ingest.BATCH
    assert len(export(config_path, tmp_path)["messages"]) == 40
