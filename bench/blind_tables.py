"""Score the pipeline on the blind table set (tests/blindtables): files offices fill, rows written by hand.

    python bench/blind_tables.py [--keep DIR] [--json out.json]

Each of the 30 files (Word and Excel, .doc/.xls/.et/.wps/.ods too, written by LibreOffice) goes in a mail
from its registered unit into a Maildir; ``run.py poll`` reads them and ``export --format json`` is scored
against tests/blindtables/expected.py: activity precision/recall/F1 (matched by unit and title), each
field on the matched rows, and quota status (units[].met). Differences are printed row by row.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

FIELDS = ("start_date", "end_date", "location", "format", "participants")


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    matched: int = 0
    field_right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    quota_right: int = 0
    units: int = 0
    diffs: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        precision = self.matched / self.found if self.found else 0.0
        recall = self.matched / self.expected if self.expected else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out = {"precision": precision, "recall": recall, "f1": f1,
               "quota": self.quota_right / self.units if self.units else 0.0}
        for name in FIELDS:
            out[name] = self.field_right[name] / self.matched if self.matched else 0.0
        return out


def build_maildir(work: Path) -> dict[str, str]:
    """Write the registry, config and one mail per file; {file: unit_id}."""
    import yaml
    from blindtables import expected, files
    from blindtables.build import make_file, make_mail

    inbox = work / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    registry = ["unit_id,name,category,aliases,emails"]
    unit_ids = {}
    for number, (key, (name, category)) in enumerate(sorted(expected.UNITS.items()), start=1):
        unit_id, address = f"b{number:02d}", f"b{number:02d}@units.example.cn"
        unit_ids[key] = unit_id
        registry.append(f"{unit_id},{name},{category},,{address}")
        spec = getattr(files, key)
        data = make_file(spec)
        filename = f"{name}科普月活动统计表.{spec['ext']}"
        (inbox / "new" / f"{number:02d}.blind").write_bytes(make_mail(number, name, address, filename, data,
                                                                      spec["ext"]))
    (work / "units.csv").write_text("\n".join(registry) + "\n", encoding="utf-8")
    (work / "config.yaml").write_text(yaml.safe_dump({
        "mailbox": {"maildir": "inbox"}, "smtp": {"outdir": "sent"}, "data_dir": "var",
        "campaign": {"units": "units.csv"}, "extraction": {"workers": 2, "memory_budget_mb": 1024}}),
        encoding="utf-8")
    return unit_ids


def poll_and_export(work: Path) -> dict:
    from run import main

    config = str(work / "config.yaml")
    if main(["--config", config, "poll"]) != 0:
        raise RuntimeError("poll did not end with exit 0")
    out = work / "export.json"
    if main(["--config", config, "export", "--format", "json", "--out", str(out)]) != 0:
        raise RuntimeError("export did not end with exit 0")
    return json.loads(out.read_text(encoding="utf-8"))


def _truth_row(row: tuple) -> dict:
    title, start, end, location, fmt, participants = row
    return {"title": title, "start_date": f"2025-{start}" if start else None,
            "end_date": f"2025-{end}" if end else None, "location": location, "format": fmt,
            "participants": participants}


def _agreement(want: dict, got: dict) -> int:
    return sum(want[f] == got.get(f) for f in FIELDS)


def score_file(key: str, truth: list[tuple], got: list[dict], score: Score) -> None:
    want = [_truth_row(r) for r in truth]
    score.expected += len(want)
    score.found += len(got)
    left = list(got)
    for row in want:
        same = [g for g in left if (g.get("title") or "").strip() == row["title"]]
        if not same:
            score.diffs.append(f"{key} missing   {row['title']} {_brief(row)}")
            continue
        best = max(same, key=lambda g: _agreement(row, g))
        left.remove(best)
        score.matched += 1
        for name in FIELDS:
            if row[name] == best.get(name):
                score.field_right[name] += 1
            else:
                score.diffs.append(f"{key} {name:<12} {row['title']}: want {row[name]!r} got {best.get(name)!r}")
    for extra in left:
        score.diffs.append(f"{key} extra     {extra.get('title')!r} {_brief(extra)} ({extra.get('source')})")


def _brief(row: dict) -> str:
    return f"[{row.get('start_date')}..{row.get('end_date')} {row.get('location')} {row.get('participants')}]"


def score_export(data: dict, unit_ids: dict[str, str]) -> Score:
    from blindtables import expected

    score = Score()
    by_unit: dict[str, list[dict]] = {}
    for activity in data["activities"]:
        by_unit.setdefault(activity["unit_id"], []).append(activity)
    units = {u["unit_id"]: u for u in data["units"]}
    statuses = {m["unit_id"]: (m["status"], m["reason"]) for m in data["messages"] if m.get("unit_id")}
    for key in sorted(expected.EXPECTED):
        unit_id = unit_ids[key]
        if unit_id not in statuses:
            score.diffs.append(f"{key} message   not attributed to {unit_id}")
        elif statuses[unit_id][0] != "accepted":
            score.diffs.append(f"{key} message   {statuses[unit_id][0]}: {statuses[unit_id][1]}")
        score_file(key, expected.EXPECTED[key], by_unit.get(unit_id, []), score)
        score.units += 1
        want_met = expected.met(key)
        got_met = bool(units.get(unit_id, {}).get("met"))
        if want_met == got_met:
            score.quota_right += 1
        else:
            score.diffs.append(f"{key} quota     want met={want_met} got met={got_met} "
                               f"(reported {units.get(unit_id, {}).get('reported')})")
    return score


def run(work: Path) -> Score:
    unit_ids = build_maildir(work)
    return score_export(poll_and_export(work), unit_ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        score = run(args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="blind-") as tmp:
            score = run(Path(tmp))
    for line in score.diffs:
        print(line)
    figures = score.figures()
    print(f"activities expected {score.expected} found {score.found} matched {score.matched}")
    print("  ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
