"""Configuration and units registry: validated at start-up, errors that name the key, file, row and column."""
from pathlib import Path

import pytest

from pipeline.campaign.registry import load_registry
from pipeline.config import ConfigError, load_config, parse_config

BASE = {"mailbox": {"maildir": "inbox"}, "smtp": {"outdir": "sent"}, "campaign": {"units": "units.csv"}}


def test_defaults_follow_the_contract(tmp_path):
    config = parse_config(BASE, tmp_path)
    assert config.campaign.deadline.isoformat() == "2025-09-26"
    assert config.campaign.quotas == {"county": 10, "zone": 5, "member": 3, "society": 2, "enterprise_sa": 2,
                                      "college_sa": 2, "base": 1, "project": 1}
    assert config.campaign.timezone == "Asia/Shanghai"
    assert config.data_dir == tmp_path / "var"  # relative to the config file
    assert config.mailbox.maildir == tmp_path / "inbox"


def test_env_secret_is_read_and_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMARY_MAILBOX_PASSWORD", "s3cret-code")
    config = parse_config({**BASE, "mailbox": {"host": "imap.126.com", "username": "a@126.com",
                                               "password": "${SUMMARY_MAILBOX_PASSWORD}"}}, tmp_path)
    assert config.mailbox.password.get_secret_value() == "s3cret-code"
    assert config.mailbox.port == 993
    assert "s3cret-code" not in repr(config) and "s3cret-code" not in str(config.model_dump())


def test_missing_env_variable_names_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    with pytest.raises(ConfigError, match=r"mailbox\.password: environment variable NOPE_NOT_SET"):
        parse_config({**BASE, "mailbox": {"maildir": "x", "password": "${NOPE_NOT_SET}"}}, tmp_path)


@pytest.mark.parametrize("override, message", [
    ({"mailbox": {"maildir": "x", "prot": 1}}, r"mailbox\.prot: unknown key"),
    ({"campaign": {"timezone": "Mars/Base"}}, r"campaign\.timezone: unknown time zone"),
    ({"campaign": {"quotas": {"village": 3}}}, r"campaign\.quotas: unknown categories"),
    ({"mailbox": {"port": 993}}, r"mailbox: give either mailbox\.host"),
    ({"schedule": {"digest_at": "25:99"}}, r"schedule\.digest_at"),
])
def test_bad_config_names_the_key(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**BASE, **override}, tmp_path)


def test_config_file_not_yaml(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("mailbox: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def _registry(tmp_path: Path, text: str, encoding="utf-8") -> Path:
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_registry_reads_codes_and_chinese_categories(tmp_path):
    path = _registry(tmp_path, "unit_id,name,category,aliases,emails\n"
                               "lunan,路南区,county,唐山市路南区;路南区科协,LuNan@126.com; ln2@qq.com\n"
                               "kjg,唐山科技馆,科普教育基地,,\n"
                               "gx,高新区,开发区（管理区）,,\n", encoding="gb18030")
    registry = load_registry(path)
    assert [u.category for u in registry.units] == ["county", "base", "zone"]
    assert registry.by_email["lunan@126.com"].unit_id == "lunan"
    assert registry.by_email["ln2@qq.com"].unit_id == "lunan"
    assert registry.by_id["lunan"].aliases == ("唐山市路南区", "路南区科协")


@pytest.mark.parametrize("body, message", [
    ("lunan,路南区,village,,\n", r"row 2, column category: unknown category 'village'"),
    ("lunan,路南区,county,,\nlunan,路北区,county,,\n", r"row 3, column unit_id: duplicate id 'lunan' \(also in row 2\)"),
    ("lunan,,county,,\n", r"row 2, column name: empty"),
    ("a,路南区,county,,x@126.com\nb,路北区,county,,x@126.com\n", r"row 3, column emails: x@126.com is already"),
    ("a,路南区,county,,not-an-address\n", r"row 2, column emails: 'not-an-address'"),
])
def test_bad_registry_names_file_row_and_column(tmp_path, body, message):
    path = _registry(tmp_path, "unit_id,name,category,aliases,emails\n" + body)
    with pytest.raises(ConfigError, match=message) as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_registry_missing_column(tmp_path):
    path = _registry(tmp_path, "unit_id,name,aliases,emails\nlunan,路南区,,\n")
    with pytest.raises(ConfigError, match=r"row 1: missing column 'category'"):
        load_registry(path)


def test_registry_from_xlsx(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["unit_id", "name", "category", "aliases", "emails"])
    book.active.append(["lunan", "路南区", "县（市）区", "路南区科协", "lunan@126.com"])
    book.save(tmp_path / "units.xlsx")
    registry = load_registry(tmp_path / "units.xlsx")
    assert registry.by_id["lunan"].category == "county"
