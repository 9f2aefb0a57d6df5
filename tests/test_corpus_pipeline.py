"""Every nasty real-world mail and Office file of ../shared/corpus goes through the whole pipeline.

Mails are delivered as they are; Office files arrive attached to a unit's mail. Each must end as a
message with a status and a reason, every unreadable file with a reason, and the cycle must finish.
"""
import json

import pytest
import yaml
from corpus import CORPUS, corpus_maildir

from pipeline.config import load_config
from pipeline.reporting.export import dataset
from pipeline.runtime.app import Pipeline

STATUSES = {"accepted", "superseded", "needs_review", "ignored"}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent: the corpus run needs ../shared/corpus")
def test_every_corpus_file_ends_with_a_status_and_a_reason(tmp_path):
    mails, offices = corpus_maildir(tmp_path)
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
    assert report.fetched == mails + offices
    assert not pending
    for message in data["messages"]:
        assert message["status"] in STATUSES, message
        assert message["reason"], message
        for f in message["files"]:
            assert f["status"] in ("parsed", "skipped", "failed")
            if f["status"] != "parsed":
                assert f["error"], (message["subject"], f)
    office_results = [m for m in data["messages"] if m["message_id"].startswith("<corpus-office-")]
    assert len(office_results) == offices
    assert all(m["files"] for m in office_results)
    (tmp_path / "summary.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
