"""`demo`: the embedded default end to end on generated sample mail, no servers needed.

Writes a units registry, a Maildir of realistic sample mail and a config.yaml into one
folder, runs a poll (acknowledgments land as .eml files), exports the dataset and prints
where everything is.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.config import load_config
from pipeline.reporting.export import write_json, write_xlsx
from pipeline.runtime.app import Pipeline


def write_season(folder: Path, sample) -> Path:
    """A sample season in ``folder``: units.csv, a Maildir ``inbox`` (kept if it exists) and a
    config.yaml reading it with acknowledgments written to ``sent``. Returns the config's path."""
    from samples import write_maildir

    (folder / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
    if not (folder / "inbox").exists():
        write_maildir(sample, folder / "inbox")
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "mailbox": {"maildir": "inbox", "username": sample.mailbox_addr},
        "smtp": {"outdir": "sent", "from": sample.mailbox_addr},
        "admins": list(sample.admin_addrs),
        "data_dir": "var",
        "campaign": {"units": "units.csv"},
    }, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_path


def run_demo(folder: Path) -> int:
    from samples import generate

    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sample = generate(seed=7)
    inbox = folder / "inbox"
    config_path = write_season(folder, sample)
    config = load_config(config_path)
    with Pipeline(config) as pipeline:
        report = pipeline.poll()
        data = pipeline.dataset()
        exports = folder / "exports"
        exports.mkdir(exist_ok=True)
        write_json(data, exports / "dataset.json")
        write_xlsx(data, exports / "dataset.xlsx")
    units = data["units"]
    print(f"demo: {len(sample.mails)} sample mails in {inbox}")
    print(f"      {report.line()}")
    print(f"      units: {sum(u['submitted'] for u in units)}/{len(units)} submitted, "
          f"{sum(u['met'] for u in units)} met quota; {len(data['activities'])} current activities")
    print(f"acknowledgments: {config.smtp.outdir}")
    print(f"dataset:         {exports / 'dataset.json'}")
    print(f"workbook:        {exports / 'dataset.xlsx'}")
    print(f"config used:     {config_path}  (try: python run.py --config {config_path} status)")
    return 0
