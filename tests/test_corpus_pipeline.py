"""Every nasty real-world mail and Office file of ../shared/corpus goes through the whole pipeline.

Mails are delivered as they are; Office files arrive attached to a unit's mail. Each must end as a
message with a status and a reason, every unreadable file with a reason, and the cycle must finish.
"""
import json
import mailbox
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from pipeline.app import Pipeline
from pipeline.config import load_config
from pipeline.export import dataset

from corpus import CORPUS
STATUSES = {"accepted", "superseded", "needs_review", "ignored"}


def office_mail(n: int, path: Path) -> bytes:
    message = EmailMessage()
    message["From"] = "路南区科协 <lunan_kx@126.com>"
    message["To"] = "tskxpjb@126.com"
    message["Subject"] = f"路南区科普月活动总结（{path.name}）"
    message["Message-ID"] = f"<corpus-office-{n}@example.org>"
    message["Date"] = format_datetime(datetime(2025, 9, 15, 2, n % 60, tzinfo=timezone.utc))
    message.set_content("总结见附件。")
    message.add_attachment(path.read_bytes(), maintype="application", subtype="octet-stream", filename=path.name)
    return message.as_bytes()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent: the corpus run needs ../shared/corpus")
def test_every_corpus_file_ends_with_a_status_and_a_reason(tmp_path):
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    mails = sorted(p for sub in ("mail", "peer") for p in (CORPUS / sub).rglob("*") if p.is_file()
                   and p.suffix != ".json")
    offices = sorted(p for p in (CORPUS / "office").rglob("*") if p.is_file())
    for path in mails:
        box.add(path.read_bytes())
    for n, path in enumerate(offices):
        box.add(office_mail(n, path))
    (tmp_path / "units.csv").write_text("unit_id,name,category,aliases,emails\nlunan,路南区,county,,lunan_kx@126.com\n",
                                        encoding="utf-8")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({
        "mailbox": {"maildir": "inbox", "username": "tskxpjb@126.com"},
        "smtp": {"outdir": "sent", "from": "tskxpjb@126.com"}, "data_dir": "var",
        "campaign": {"units": "units.csv"}, "extraction": {"workers": 2, "timeout_seconds": 60}}), encoding="utf-8")
    config = load_config(tmp_path / "config.yaml")
    with Pipeline(config) as pipeline:
        report = pipeline.poll()
        data = dataset(config, pipeline.registry, pipeline.store)
        pending = pipeline.store.pending()
    print(report.line())
    assert report.fetched == len(mails) + len(offices)
    assert not pending
    for message in data["messages"]:
        assert message["status"] in STATUSES, message
        assert message["reason"], message
        for f in message["files"]:
            assert f["status"] in ("parsed", "skipped", "failed")
            if f["status"] != "parsed":
                assert f["error"], (message["subject"], f)
    office_results = [m for m in data["messages"] if m["message_id"].startswith("<corpus-office-")]
    assert len(office_results) == len(offices)
    assert all(m["files"] for m in office_results)
    (tmp_path / "summary.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
