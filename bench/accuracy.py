"""How well the whole pipeline reads what units send: a seeded corpus with ground truth, through a real IMAP server.

    python bench/accuracy.py [--seed 3] [--units 120] [--json out.json] [--no-timing]

The corpus is ``samples.generate(seed, n_units, extended=True)``: the spine's cases plus legacy and WPS
formats (made by LibreOffice), odd table layouts, archives, 超大附件 links and loosely named units. The
mails go into a throwaway Dovecot (tests/servers.py), ``run.main([... "poll"])`` ingests them exactly as
in production, and ``export --format json`` is compared with the truth. Printed: message-status
accuracy, unit attribution accuracy, activity precision/recall/F1 (matched by unit and title), per-field
accuracy, quota-status accuracy, crashes, and the most error-prone and slowest cases.
The figures are also what tests/test_accuracy_floor.py holds to its floors.

Reported apart: the real-client fixture set (tests/clientmail.py: mail composed by mutt, s-nail and swaks,
tables by LibreOffice, outcomes written by hand), as the share of its checks met, and the number of
acknowledgments sent for its 20 stranger mails with 20 Reply-To addresses. ``--no-clients`` skips it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

FIELDS = ("start_date", "end_date", "participants", "format", "location")
TARGETS = {"unit_attribution": 0.99, "activity_f1": 0.98, "field_min": 0.97, "quota_status": 1.0, "crashes": 0}
INTERNAL_ERRORS = ("文件读取出错", "超出内存限制", "邮件处理失败")


@dataclass
class Figures:
    mails: int = 0
    units: int = 0
    message_status: float = 0.0
    unit_attribution: float = 0.0
    activities_expected: int = 0
    activities_found: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    fields: dict[str, float] = field(default_factory=dict)
    quota_status: float = 0.0
    reported_exact: float = 0.0
    crashes: int = 0
    poll_seconds: float = 0.0
    errors_by_case: dict[str, int] = field(default_factory=dict)
    mails_by_case: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    slowest_cases: list[tuple[str, float, float]] = field(default_factory=list)  # case, median s, max s

    def misses(self) -> list[str]:
        """Targets not met, in words."""
        out = []
        if self.unit_attribution < TARGETS["unit_attribution"]:
            out.append(f"unit attribution {self.unit_attribution:.2%} < 99%")
        if self.f1 < TARGETS["activity_f1"]:
            out.append(f"activity F1 {self.f1:.2%} < 98%")
        for name, value in self.fields.items():
            if value < TARGETS["field_min"]:
                out.append(f"field {name} {value:.2%} < 97%")
        if self.quota_status < TARGETS["quota_status"]:
            out.append(f"quota status {self.quota_status:.2%} < 100%")
        if self.crashes > TARGETS["crashes"]:
            out.append(f"{self.crashes} crash(es)")
        return out


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def compare(sample, data: dict) -> Figures:
    """Figures of one exported dataset against the sample's truth."""
    fig = Figures(mails=len(sample.mails), units=len(sample.units))
    by_id = {m["message_id"]: m for m in data["messages"]}
    case_of = {m.message_id: m.truth.case for m in sample.mails}
    errors_by_case: Counter = Counter()
    fig.mails_by_case = dict(Counter(case_of.values()))

    status_ok = unit_total = unit_ok = 0
    for mail in sample.mails:
        t, got = mail.truth, by_id.get(mail.message_id)
        if got is None:
            fig.errors.append(f"[{t.case}] {mail.message_id}: missing from the export")
            errors_by_case[t.case] += 1
            continue
        wrong = []
        if got["status"] == t.status:
            status_ok += 1
        else:
            wrong.append(f"status {t.status}→{got['status']}")
        if t.status != "ignored" or got["status"] != "ignored":
            unit_total += 1
            if got["unit_id"] == t.unit_id:
                unit_ok += 1
            else:
                wrong.append(f"unit {t.unit_id}→{got['unit_id']}")
        if any(err in (got.get("reason") or "") for err in INTERNAL_ERRORS) or any(
                any(err in (f.get("error") or "") for err in INTERNAL_ERRORS) for f in got.get("files", [])):
            fig.crashes += 1
            wrong.append("crash")
        if wrong:
            errors_by_case[t.case] += 1
            fig.errors.append(f"[{t.case}] {mail.message_id}: {', '.join(wrong)} — {got.get('reason')}")
    fig.message_status = status_ok / max(1, len(sample.mails))
    fig.unit_attribution = unit_ok / max(1, unit_total)

    expected = sample.expected_current()
    case_of_unit = {}
    for mail in sample.mails:  # the case of the mail that carries a unit's current list
        t = mail.truth
        if t.status == "accepted" and t.carries_list and t.unit_id:
            case_of_unit[t.unit_id] = t.case
    found: dict[str, dict[str, dict]] = defaultdict(dict)
    for a in data["activities"]:
        found[a["unit_id"]][a["title"]] = a
    matched = 0
    field_ok = Counter()
    for unit_id, activities in expected.items():
        have = dict(found.get(unit_id, {}))
        for e in activities:
            fig.activities_expected += 1
            got = have.pop(e.title, None)
            if got is None:
                fig.errors.append(f"[{case_of_unit.get(unit_id)}] missing activity {unit_id}: {e.title}")
                errors_by_case[case_of_unit.get(unit_id, "?")] += 1
                continue
            matched += 1
            for name in FIELDS:
                if got[name] == _iso(getattr(e, name)):
                    field_ok[name] += 1
                else:
                    errors_by_case[case_of_unit.get(unit_id, "?")] += 1
                    fig.errors.append(f"[{case_of_unit.get(unit_id)}] {unit_id} “{e.title}” {name}: want "
                                      f"{_iso(getattr(e, name))!r}, got {got[name]!r} ({got['source']})")
        for title in have:
            fig.errors.append(f"[{case_of_unit.get(unit_id)}] extra activity {unit_id}: {title}")
            errors_by_case[case_of_unit.get(unit_id, "?")] += 1
    for unit_id in found:
        if unit_id not in expected:
            for title in found[unit_id]:
                fig.errors.append(f"[?] extra activity of {unit_id} (no list expected): {title}")
                errors_by_case["?"] += 1
    fig.activities_found = len(data["activities"])
    fig.precision = matched / max(1, fig.activities_found)
    fig.recall = matched / max(1, fig.activities_expected)
    fig.f1 = 2 * fig.precision * fig.recall / max(1e-9, fig.precision + fig.recall)
    fig.fields = {name: field_ok[name] / max(1, matched) for name in FIELDS}

    units = sample.expected_units()
    quota_ok = reported_ok = 0
    for unit in data["units"]:
        want = units[unit["unit_id"]]
        if (unit["met"], unit["submitted"], unit["required"]) == (want["met"], want["submitted"], want["required"]):
            quota_ok += 1
        else:
            fig.errors.append(f"[quota] {unit['unit_id']}: want met={want['met']} submitted={want['submitted']}, "
                              f"got met={unit['met']} submitted={unit['submitted']}")
        reported_ok += unit["reported"] == want["reported"]
    fig.quota_status = quota_ok / max(1, len(data["units"]))
    fig.reported_exact = reported_ok / max(1, len(data["units"]))
    fig.errors_by_case = dict(errors_by_case.most_common())
    return fig


def write_config(workdir: Path, account, sample) -> Path:
    import yaml

    (workdir / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
    mailbox = account.mailbox_config(ssl=False)
    config = {"mailbox": mailbox, "smtp": {"outdir": "sent", "from": sample.mailbox_addr},
              "admins": list(sample.admin_addrs), "data_dir": "var", "campaign": {"units": "units.csv"},
              "extraction": {"workers": 2}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run_pipeline(sample, account, workdir: Path) -> tuple[dict, float]:
    """Load the sample into the account's INBOX, poll once, export: (dataset, poll seconds)."""
    from run import main

    account.append_many([m.raw for m in sample.mails], [m.received for m in sample.mails])
    config = write_config(workdir, account, sample)
    began = time.perf_counter()
    code = main(["--config", str(config), "poll"])
    seconds = time.perf_counter() - began
    if code != 0:
        raise RuntimeError(f"poll exited {code}")
    out = workdir / "dataset.json"
    if main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) != 0:
        raise RuntimeError("export failed")
    return json.loads(out.read_text(encoding="utf-8")), seconds


def time_cases(sample, limit_per_case: int = 3) -> list[tuple[str, float, float]]:
    """Parse time per case (read_mail in this process, no sandbox): (case, median s, max s), slowest first."""
    from parsers.read_mail import read_mail

    seen: dict[str, list[float]] = defaultdict(list)
    for mail in sample.mails:
        times = seen[mail.truth.case]
        if len(times) >= limit_per_case:
            continue
        began = time.perf_counter()
        read_mail(mail.raw, 2025)
        times.append(time.perf_counter() - began)
    rows = [(case, statistics.median(ts), max(ts)) for case, ts in seen.items()]
    return sorted(rows, key=lambda r: -r[1])


def measure(seed: int = 3, n_units: int = 120, *, account=None, workdir: Path | None = None,
            timing: bool = True) -> tuple[Figures, object]:
    """Generate, run and compare; starts its own Dovecot unless given an account on one."""
    from samples import generate

    began = time.perf_counter()
    sample = generate(seed, n_units=n_units, extended=True)
    gen_seconds = time.perf_counter() - began
    own_server = None
    if account is None:
        from servers import Dovecot, new_account

        own_server = Dovecot().start()
        account = new_account(own_server)
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="accuracy-")
        workdir = Path(tmp.name)
    try:
        data, poll_seconds = run_pipeline(sample, account, workdir)
    finally:
        if own_server is not None:
            own_server.cleanup()
    fig = compare(sample, data)
    fig.poll_seconds = poll_seconds
    if timing:
        fig.slowest_cases = time_cases(sample)
    fig.errors.insert(0, f"(corpus generated in {gen_seconds:.1f} s)")
    if tmp is not None:
        tmp.cleanup()
    return fig, sample


def measure_clients(account=None, workdir: Path | None = None):
    """The real-client fixture set through Dovecot, poll and an SMTP sink: (Score, acks to the stranger),
    or (None, reason) when a client is missing."""
    import clientmail
    from servers import Dovecot, SmtpSink, new_account

    try:
        built = clientmail.build()
    except clientmail.ClientMissing as exc:
        return None, str(exc)
    own_server = None
    if account is None:
        own_server = Dovecot().start()
        account = new_account(own_server)
    sink = SmtpSink().start()
    try:
        with tempfile.TemporaryDirectory(prefix="clientmail-run-") as tmp:
            data, sent = clientmail.run_set(built, account, sink, Path(workdir or tmp))
    finally:
        sink.stop()
        if own_server is not None:
            own_server.cleanup()
    return clientmail.score(built, data, sent), clientmail.stranger_acks(built, sent)


def render_clients(result, extra) -> str:
    if result is None:
        return f"real-client fixture set: skipped ({extra})"
    lines = [f"real-client fixture set   {result.ratio:7.2%}   ({result.passed}/{result.checks} hand-written checks;"
             f" mutt, s-nail, swaks, LibreOffice tables)",
             f"  acknowledgments sent for 20 stranger mails with 20 Reply-To addresses: {extra}"]
    lines += ["  MISSED: " + f for f in result.failures]
    return "\n".join(lines)


def render(fig: Figures) -> str:
    lines = [f"corpus: {fig.mails} mails, {fig.units} units; poll took {fig.poll_seconds:.1f} s "
             f"({fig.mails / max(fig.poll_seconds, 1e-9):.1f} mails/s)",
             f"message status accuracy   {fig.message_status:7.2%}",
             f"unit attribution accuracy {fig.unit_attribution:7.2%}   (target ≥ 99%)",
             f"activities                expected {fig.activities_expected}, exported {fig.activities_found}",
             f"  precision {fig.precision:7.2%}  recall {fig.recall:7.2%}  F1 {fig.f1:7.2%}   (target F1 ≥ 98%)"]
    for name, value in fig.fields.items():
        lines.append(f"field {name:<19} {value:7.2%}   (target ≥ 97%)")
    lines += [f"quota status accuracy     {fig.quota_status:7.2%}   (target 100%; reported count exact "
              f"{fig.reported_exact:.2%})",
              f"crashes                   {fig.crashes}"]
    if fig.errors_by_case:
        lines.append("most error-prone cases: " + ", ".join(
            f"{case} {n}/{fig.mails_by_case.get(case, '?')} mails" for case, n in list(fig.errors_by_case.items())[:8]))
    if fig.slowest_cases:
        lines.append("slowest cases (parse, median/max s): " + ", ".join(
            f"{case} {med:.2f}/{mx:.2f}" for case, med, mx in fig.slowest_cases[:6]))
    misses = fig.misses()
    lines.append("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))
    if len(fig.errors) > 1:
        lines.append("details:")
        lines += ["  " + e for e in fig.errors[:80]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--no-timing", action="store_true", help="skip the per-case parse timing")
    parser.add_argument("--no-clients", action="store_true", help="skip the real-client fixture set")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    fig, _ = measure(args.seed, args.units, timing=not args.no_timing)
    print("generator corpus (samples.generate, extended):")
    print(render(fig))
    clients_ok = True
    if not args.no_clients:
        result, extra = measure_clients()
        print(render_clients(result, extra))
        clients_ok = result is None or not result.failures
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(fig), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if not fig.misses() and clients_ok else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
