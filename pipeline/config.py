"""Load and validate config.yaml.

``${VAR}`` in any string value is read from the environment, so secrets never sit in the
file. Relative paths are resolved against the directory of the config file. Every error
names the key it is about, so an operator can fix the file without reading code.
"""
from __future__ import annotations

import os
import re
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from pipeline import PipelineError

CATEGORIES: dict[str, str] = {
    "county": "县（市）区",
    "zone": "开发区（管理区）",
    "member": "成员单位（含本系统）",
    "society": "市级学会（协会、研究会）",
    "enterprise_sa": "企业科协",
    "college_sa": "院校科协",
    "base": "科普教育基地",
    "project": "2020年以来的基层科普行动计划、全民科学素质提升项目单位",
}
DEFAULT_QUOTAS = {"county": 10, "zone": 5, "member": 3, "society": 2, "enterprise_sa": 2,
                  "college_sa": 2, "base": 1, "project": 1}

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(PipelineError):
    """A configuration problem, worded for the operator."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _ServerConfig(_Strict):
    """How to reach a mail server (IMAP or SMTP): the keys both share."""

    host: str | None = None
    port: int | None = None
    ssl: bool = True
    starttls: bool = False
    ssl_verify: bool = True
    cafile: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 60.0


class MailboxConfig(_ServerConfig):
    folder: str = "INBOX"
    maildir: Path | None = None
    idle: bool = False
    fetch_batch: int = Field(default=50, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_source(self) -> "MailboxConfig":
        if self.maildir is None and not self.host:
            raise ValueError("give either mailbox.host (IMAP) or mailbox.maildir (a local Maildir)")
        if self.host and not self.username:
            raise ValueError("mailbox.username is required for IMAP")
        if self.port is None:
            self.port = 993 if self.ssl else 143
        return self


class SmtpConfig(_ServerConfig):
    from_: str | None = Field(default=None, alias="from")
    outdir: Path | None = None
    max_per_minute: int = Field(default=20, ge=1)
    max_per_day: int = Field(default=500, ge=1)
    max_attempts: int = Field(default=8, ge=1)
    max_per_recipient_per_day: int = Field(default=10, ge=1)  # automatic replies to one address (mail loops)
    max_per_stranger_per_day: int = Field(default=2, ge=0)  # the same to an address registered for no unit

    @model_validator(mode="after")
    def _one_sink(self) -> "SmtpConfig":
        if self.outdir is None and not self.host:
            raise ValueError("give either smtp.host (a server) or smtp.outdir (a folder for .eml files)")
        if self.port is None:
            self.port = 465 if self.ssl else (587 if self.starttls else 25)
        return self


class CampaignConfig(_Strict):
    name: str = "2025年全国科普月"
    period: tuple[date, date] = (date(2025, 9, 1), date(2025, 9, 30))
    deadline: date = date(2025, 9, 26)
    timezone: str = "Asia/Shanghai"
    units: Path = Path("units.csv")
    quotas: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_QUOTAS))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("quotas")
    @classmethod
    def _known_categories(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {sorted(CATEGORIES)}")
        return {**DEFAULT_QUOTAS, **value}

    @model_validator(mode="after")
    def _ordered_period(self) -> "CampaignConfig":
        if self.period[0] > self.period[1]:
            raise ValueError("campaign.period must be [first day, last day]")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ScheduleConfig(_Strict):
    poll_every_minutes: float = Field(default=5, gt=0)
    digest_at: time = time(8, 0)


class RemindersConfig(_Strict):
    """Opt-in reminders to units, sent by `serve` at ``schedule.digest_at`` on the listed days."""

    days_before: list[int] = Field(default_factory=list)  # e.g. [3, 1]: three days and one day before the deadline

    @field_validator("days_before")
    @classmethod
    def _non_negative(cls, value: list[int]) -> list[int]:
        if any(d < 0 for d in value):
            raise ValueError("days before the deadline must be 0 or more")
        return sorted(set(value), reverse=True)


class ExtractionConfig(_Strict):
    workers: int = Field(default=2, ge=0)  # 0 = parse in-process (debugging)
    mem_limit_mb: int = Field(default=1536, ge=128)
    timeout_seconds: float = Field(default=120, gt=0)
    max_attempts: int = Field(default=3, ge=1)  # a message that keeps failing is parked after this
    memory_budget_mb: int = Field(default=1024, ge=256)  # the worker and all its parser processes together


class RuntimeConfig(_Strict):
    """How long the worker waits for things outside its control."""

    cycle_deadline_seconds: float = Field(default=300, gt=0)  # one poll cycle, however the mail server behaves
    lock_wait_seconds: float = Field(default=60, ge=0)  # a second poll/reingest waits this long, then exits
    ledger_wait_seconds: float = Field(default=30, gt=0)  # another program holding the ledger locked


class ConsoleConfig(_Strict):
    """The office's web console (``run.py console``, or started by ``serve`` when ``enabled``)."""

    enabled: bool = False  # start it inside `serve`
    host: str = "127.0.0.1"  # any other address needs SUMMARY_CONSOLE_PASSWORD in the environment
    port: int = Field(default=8765, ge=0, le=65535)
    session_minutes: int = Field(default=120, ge=1)  # a login lasts this long without use
    url: str | None = None  # the address admins open, for the digest (default http://host:port)


class Config(_Strict):
    mailbox: MailboxConfig = Field(default_factory=lambda: MailboxConfig(maildir=Path("var/inbox")))
    smtp: SmtpConfig = Field(default_factory=lambda: SmtpConfig(outdir=Path("var/sent")))
    admins: list[str] = Field(default_factory=list)
    data_dir: Path = Path("var")
    campaign: CampaignConfig = Field(default_factory=CampaignConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    extraction: ExtractionConfig = Field(default_factory=ExtractionConfig)
    reminders: RemindersConfig = Field(default_factory=RemindersConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    path: Path | None = Field(default=None, exclude=True)  # the file this came from

    @field_validator("admins")
    @classmethod
    def _lower_admins(cls, value: list[str]) -> list[str]:
        return [a.strip().lower() for a in value if a.strip()]

    @property
    def own_addresses(self) -> set[str]:
        """The mailbox's own addresses: mail from them is ours, and we never reply to them."""
        own = {self.mailbox.username, self.smtp.username, self.smtp.from_}
        return {a.strip().lower() for a in own if a and "@" in a}

    @property
    def sender_address(self) -> str:
        return self.smtp.from_ or self.smtp.username or self.mailbox.username or "summary-mailbox@localhost"


def _expand_env(node: Any, where: str) -> Any:
    if isinstance(node, dict):
        return {k: _expand_env(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand_env(v, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return os.environ[name]
        return _ENV_REF.sub(substitute, node)
    return node


def _resolve_paths(config: Config, base: Path) -> Config:
    def absolute(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    def resolve(p: Path | None) -> Path | None:
        return None if p is None else absolute(p)

    config.data_dir = absolute(config.data_dir)
    config.campaign.units = absolute(config.campaign.units)
    config.mailbox.maildir = resolve(config.mailbox.maildir)
    config.mailbox.cafile = resolve(config.mailbox.cafile)
    config.smtp.outdir = resolve(config.smtp.outdir)
    config.smtp.cafile = resolve(config.smtp.cafile)
    return config


def _describe(error: ValidationError, path: Path) -> str:
    lines = [f"{path}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling and indentation)"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def parse_config(data: dict, base_dir: Path, path: Path | None = None) -> Config:
    where = path or base_dir / "config.yaml"
    expanded = _expand_env(data or {}, "")
    try:
        config = Config.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, where)) from None
    config.path = path
    return _resolve_paths(config, base_dir)


def load_config(path: str | Path) -> Config:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return parse_config(data or {}, path.resolve().parent, path.resolve())
