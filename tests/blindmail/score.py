"""Run the blind set through Dovecot, ``poll`` and ``export``, and score the export against expected.py."""
from __future__ import annotations

import email
import email.utils
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from conftest import parser_budget_mb

from blindmail.expected import EXPECTED
from blindmail.files import ACTS
from blindmail.registry import ADMINS, MAILBOX, UNITS_CSV

FIELDS = ("start_date", "end_date", "participants", "location")


@dataclass
class Tally:
    ok: int = 0
    of: int = 0

    def add(self, good: bool) -> None:
        self.ok += int(good)
        self.of += 1

    @property
    def ratio(self) -> float:
        return self.ok / self.of if self.of else 1.0


@dataclass
class Result:
    status: Tally = field(default_factory=Tally)
    unit: Tally = field(default_factory=Tally)
    acks: Tally = field(default_factory=Tally)
    fields: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in FIELDS})
    samples: Tally = field(default_factory=Tally)
    tp: int = 0
    fp: int = 0
    fn: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 1.0

    def summary(self) -> str:
        fields = " ".join(f"{k} {v.ratio:.3f}" for k, v in self.fields.items())
        return (f"status {self.status.ratio:.3f} ({self.status.ok}/{self.status.of})  unit {self.unit.ratio:.3f}  "
                f"activity F1 {self.f1:.3f} (tp {self.tp} fp {self.fp} fn {self.fn})  acks {self.acks.ratio:.3f}  "
                f"hand rows {self.samples.ratio:.3f}  fields: {fields}")


def message_ids(mails: list[tuple[str, bytes, datetime]]) -> dict[str, str]:
    return {label: email.message_from_bytes(raw)["Message-ID"].strip() for label, raw, _ in mails}


def run(mails: list[tuple[str, bytes, datetime]], account, sink, workdir: Path) -> tuple[dict, list]:
    """Deliver into the Dovecot ``account``, ``poll`` with ``sink`` as SMTP, ``export``: (export, sent mail)."""
    import yaml

    from run import main

    os.environ["BLINDMAIL_PASSWORD"] = account.password
    (workdir / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    config = {"mailbox": {**account.mailbox_config(), "password": "${BLINDMAIL_PASSWORD}"},
              "smtp": {**sink.smtp_config(), "from": MAILBOX, "max_per_minute": 1000},
              "admins": list(ADMINS), "data_dir": "var", "campaign": {"units": "units.csv"},
              "extraction": {"workers": 2, "memory_budget_mb": parser_budget_mb()}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    account.append_many([raw for _, raw, _ in mails], [when for _, _, when in mails])
    if main(["--config", str(path), "poll"]) != 0:
        raise RuntimeError("poll failed")
    out = workdir / "export.json"
    if main(["--config", str(path), "export", "--format", "json", "--out", str(out)]) != 0:
        raise RuntimeError("export failed")
    return json.loads(out.read_text(encoding="utf-8")), [r.parsed() for r in sink.messages]


def score(mails: list[tuple[str, bytes, datetime]], data: dict, sent: list) -> Result:
    ids = message_ids(mails)
    messages = {m["message_id"]: m for m in data["messages"]}
    acked = {(m["In-Reply-To"] or "").strip() for m in sent if m["In-Reply-To"]}
    r = Result()
    for label, e in EXPECTED.items():
        mid = ids[label]
        m = messages.get(mid) or {"status": None, "unit_id": "?", "reason": "not in the export"}
        tag = f"{label}: "
        r.status.add(m["status"] == e.status)
        if m["status"] != e.status:
            r.failures.append(f"{tag}status {m['status']}, expected {e.status} — {m['reason']}")
        r.unit.add(m["unit_id"] == e.unit_id)
        if m["unit_id"] != e.unit_id:
            r.failures.append(f"{tag}unit {m['unit_id']}, expected {e.unit_id} — {m['reason']}")
        if e.acked is not None:
            r.acks.add((mid in acked) == e.acked)
            if (mid in acked) != e.acked:
                r.failures.append(f"{tag}acknowledged {mid in acked}, expected {e.acked}")
        got = [a for a in data["activities"] if a["message_id"] == mid]
        _score_rows(r, tag, e, got)
    return r


def _score_rows(r: Result, tag: str, e, got: list[dict]) -> None:
    want = ACTS[e.rows_of] if e.rows_of and e.activities else []
    have = Counter(a["title"] for a in got)
    need = Counter(a.title for a in want)
    tp = sum((have & need).values())
    r.tp, r.fp, r.fn = r.tp + tp, r.fp + sum(have.values()) - tp, r.fn + sum(need.values()) - tp
    if len(got) != e.activities:
        r.failures.append(f"{tag}{len(got)} activities, expected {e.activities}"
                          + (f" (extra {sorted((have - need).elements())[:3]})" if have - need else ""))
    by_title = {a["title"]: a for a in got}
    for act in want:
        row = by_title.get(act.title, {})
        expect = {"start_date": act.start, "end_date": act.end, "participants": act.participants,
                  "location": act.place}
        for name, value in expect.items():
            r.fields[name].add(row.get(name) == value)
            if row and row.get(name) != value:
                r.failures.append(f"{tag}{act.title[:12]} {name} {row.get(name)!r}, expected {value!r}")
    for title, start, people, place in e.rows:
        row = by_title.get(title, {})
        r.samples.add((row.get("start_date"), row.get("participants"), row.get("location")) == (start, people, place))
