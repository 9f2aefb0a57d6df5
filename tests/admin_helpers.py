"""Helpers shared by the admin-side tests (worker, digest, reminders, review)."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import parser_budget_mb

from run import main


def write_config(tmp_path: Path, account, sink, sample, monkeypatch, *, ssl: bool = False, **extra) -> Path:
    """A config for the loopback Dovecot account and SMTP sink, with the sample's registry.
    ``mailbox={...}`` / ``smtp={...}`` override single keys (a proxy's port, a short timeout)."""
    monkeypatch.setenv("TEST_MAILBOX_PASSWORD", account.password)
    mailbox = account.mailbox_config(ssl=ssl)
    mailbox["password"] = "${TEST_MAILBOX_PASSWORD}"
    if ssl:
        mailbox.update(cafile=account.cafile, ssl_verify=True)
    mailbox.update(extra.pop("mailbox", {}))
    (tmp_path / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
    config = {"mailbox": mailbox,
              "smtp": {**sink.smtp_config(), "from": sample.mailbox_addr, "max_per_minute": 1000,
                       **extra.pop("smtp", {})},
              "admins": list(sample.admin_addrs), "data_dir": "var", "campaign": {"units": "units.csv"},
              "extraction": {"workers": 2, "memory_budget_mb": parser_budget_mb()}, **extra}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def export(config: Path, tmp_path: Path, name: str = "out.json") -> dict:
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(tmp_path / name)]) == 0
    return json.loads((tmp_path / name).read_text(encoding="utf-8"))


def of_kind(sink, marker: str):
    """Received mails whose subject contains ``marker`` (e.g. 每日汇总, 提醒)."""
    return [r for r in sink.messages if marker in (r.parsed()["Subject"] or "")]


def load(account, mails) -> None:
    account.append_many([m.raw for m in mails], [m.received for m in mails])
