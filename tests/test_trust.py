"""Trust and secrets: a unit's name from an address not registered for it is flagged (in the
acknowledgment and in the ledger for the digest); Authentication-Results failures are recorded;
passwords appear nowhere (logs, exports, replies, the data dir, error output); the data dir is 0700."""
from __future__ import annotations

import os
import stat

import pytest
import yaml
from mailbuild import b_word, file_part, mail, multipart, text_part
from officebuild import activity_workbook
from servers import SmtpSink

from pipeline.judge.trust import AUTH_FLAG, SENDER_FLAG, auth_failures
from pipeline.ledger.store import Store
from run import main
from samples import generate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def sample():
    return generate(seed=43)


def test_auth_results_parsing():
    assert auth_failures({"authentication-results": ["mx.126.com; spf=fail smtp.mailfrom=a@b; dkim=pass",
                                                     "forged; dkim=fail"]}) == ["spf=fail"]
    assert auth_failures({"authentication-results": ["mx; spf=pass; dkim=pass; dmarc=pass"]}) == []
    assert auth_failures({}) == []


def test_flags_secrets_and_permissions(imap_account, tmp_path, sample, monkeypatch, capsys):
    secret = imap_account.password
    sink = SmtpSink(user="tskxpjb@126.com", password=secret).start()
    try:
        unit = next(u for u in sample.units if u.emails and len(u.name) >= 3)
        book = activity_workbook()
        body = multipart("mixed", [text_part(f"{unit.name}报送材料"),
                                   file_part(book, XLSX, f'attachment; filename="{unit.name}活动明细.xlsx"'.encode())])
        impostor = mail(body, subject=b_word(f"{unit.name}全国科普月活动总结"), from_="someone@qq.com",
                        message_id="<impostor@qq.com>",
                        extra=[("Authentication-Results", "mx.126.com; spf=fail smtp.mailfrom=qq.com; dkim=fail")])
        genuine = mail(body, subject=b_word(f"{unit.name}全国科普月活动总结"), from_=unit.emails[0],
                       message_id="<genuine@x.cn>",
                       extra=[("Authentication-Results", "mx.126.com; spf=pass; dkim=pass")])
        imap_account.append_many([impostor, genuine])
        monkeypatch.setenv("TEST_SECRET", secret)
        (tmp_path / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
        mailbox = {**imap_account.mailbox_config(), "password": "${TEST_SECRET}"}
        smtp = {**sink.smtp_config(), "password": "${TEST_SECRET}", "from": sample.mailbox_addr}
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({"mailbox": mailbox, "smtp": smtp, "admins": list(sample.admin_addrs),
                                          "data_dir": "data", "campaign": {"units": "units.csv"},
                                          "extraction": {"workers": 1}}, allow_unicode=True), encoding="utf-8")
        assert main(["--config", str(config), "-v", "poll"]) == 0
        data_dir = tmp_path / "data"
        if os.name == "posix":
            assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

        store = Store(data_dir / "ledger.sqlite3")
        notes = {r.key: list(r.notes) for r in store.messages()}
        store.close()
        assert any(n.startswith(SENDER_FLAG) for n in notes["<impostor@qq.com>"])
        assert any(n.startswith(AUTH_FLAG) and "spf=fail" in n for n in notes["<impostor@qq.com>"])
        assert not any(n.startswith((SENDER_FLAG, AUTH_FLAG)) for n in notes["<genuine@x.cn>"])
        acks = {r.parsed()["In-Reply-To"]: r.parsed() for r in sink.wait_for(2)}
        assert "不是贵单位登记的报送邮箱" in acks["<impostor@qq.com>"].get_body(("plain",)).get_content()
        assert "不是贵单位登记的报送邮箱" not in acks["<genuine@x.cn>"].get_body(("plain",)).get_content()
        assert all(r.auth_user == "tskxpjb@126.com" for r in sink.messages)

        # everything that could leak: exports, status, a failing login, the digest written to a file
        for fmt, name in (("json", "x.json"), ("csv", "x.csv"), ("xlsx", "x.xlsx")):
            assert main(["--config", str(config), "export", "--format", fmt, "--out", str(data_dir / name)]) == 0
        assert main(["--config", str(config), "status"]) == 0
        assert main(["--config", str(config), "digest", "--dry-run"]) == 0
        monkeypatch.setenv("TEST_SECRET", secret[::-1])  # wrong: refused logins, error output
        assert main(["--config", str(config), "-v", "poll"]) == 1
        out = capsys.readouterr()
        leaked = [str(p) for p in data_dir.rglob("*") if p.is_file()
                  and (secret.encode() in p.read_bytes() or secret[::-1].encode() in p.read_bytes())]
        assert not leaked, f"password found in {leaked}"
        for text in (out.out, out.err):
            assert secret not in text and secret[::-1] not in text
        assert any(p.name == "pipeline.log" for p in data_dir.rglob("*"))
    finally:
        sink.stop()
