"""Command line of the summary-mailbox pipeline.

    python run.py [--config PATH] COMMAND [OPTIONS]

Each command loads the configuration, then calls one function of ``pipeline``.
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from pipeline import PROJECT_ERRORS
from pipeline.config import Config, ConfigError, load_config

log = logging.getLogger("summary-mailbox")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-09-01") from None


class _Console(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now, not the stream that was current when it was made."""

    ours = True  # set up by setup_logging (a second run in one process replaces it)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log shares the disk with the data: when that disk is full a line is lost, not the run
    (the default prints a traceback per line to stderr)."""

    ours = True

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(config: Config, verbose: bool) -> None:
    logs = config.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in [h for h in root.handlers if getattr(h, "ours", False)]:  # a second run in one process
        root.removeHandler(handler)
        handler.close()
    to_file = _LogFile(logs / "pipeline.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console = _Console()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    for handler in (to_file, console):
        root.addHandler(handler)
    for noisy in ("imapclient", "imaplib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="summary-mailbox", description=__doc__.strip().splitlines()[0])
    parser.add_argument("--config", default="config.yaml", help="configuration file (default: config.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to the terminal too")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("poll", help="one cycle: fetch new mail, ingest it, send what the outbox holds")
    commands.add_parser("serve", help="the scheduled worker (poll, outbox, daily digest) until SIGINT/SIGTERM")
    reingest = commands.add_parser("reingest", help="re-read a date range with today's parsers")
    reingest.add_argument("--since", type=_date, required=True)
    reingest.add_argument("--until", type=_date, required=True)
    reingest.add_argument("--from-archive", action="store_true", help="use the archived raw mail, not the server")
    reingest.add_argument("--send-acks", action="store_true", help="send the acknowledgments again")
    digest = commands.add_parser("digest", help="build the daily digest and send it to the admins")
    digest.add_argument("--date", type=_date, default=None)
    digest.add_argument("--dry-run", action="store_true", help="write the digest to a file instead of sending it")
    export = commands.add_parser("export", help="write the dataset")
    export.add_argument("--format", choices=["json", "csv", "xlsx"], required=True)
    export.add_argument("--out", type=Path, required=True)
    backup = commands.add_parser("backup", help="copy the ledger and the mail archive (safe while serve runs)")
    backup.add_argument("--out", type=Path, required=True, help="an empty or new folder; restore = use it as data_dir")
    commands.add_parser("status", help="a short summary: last poll, counts, outbox backlog, errors")
    review = commands.add_parser("review", help="what needs a person, and the admin's decisions about it")
    actions = review.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="mail that needs review, each with its reason and the command that settles it")
    assign = actions.add_parser("assign", help="attribute a message (and later mail from its sender) to a unit")
    assign.add_argument("message_id")
    assign.add_argument("unit_id")
    actions.add_parser("reprocess", help="read a message again with today's parsers").add_argument("message_id")
    dismiss = actions.add_parser("dismiss", help="record that a message needs nothing (shows as ignored)")
    dismiss.add_argument("message_id")
    dismiss.add_argument("--reason", required=True, help="why (shown in the export and the workbook)")
    actions.add_parser("restore", help="undo a dismissal").add_argument("message_id")
    confirm = actions.add_parser("confirm", help="make the rows read from a message's prose or scans the unit's "
                                                 "activities (see proposed_activities in the export)")
    confirm.add_argument("message_id")
    confirm.add_argument("--set", action="append", metavar="ROW.FIELD=VALUE",
                         help="correct a cell first, e.g. --set 3.participants=250 (repeatable)")
    confirm.add_argument("--drop", action="append", type=int, metavar="ROW", help="leave a row out (repeatable)")
    reject = actions.add_parser("reject", help="count none of the rows read from a message's prose or scans")
    reject.add_argument("message_id")
    reject.add_argument("--reason", default="", help="why (shown in the export)")
    outbox = commands.add_parser("outbox", help="mail that did not (or may not) reach its recipient")
    mails = outbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    mails.add_parser("list", help="failed, unconfirmed and suppressed mail, with their ids")
    mails.add_parser("confirm", help="a person checked: the unconfirmed mail did arrive").add_argument("id", type=int)
    mails.add_parser("resend", help="queue the mail again (it goes out at the next flush)").add_argument("id", type=int)
    console = commands.add_parser("console", help="the office's web console (progress, review, workbook)")
    console.add_argument("--host", default=None, help="address to listen on (default console.host, 127.0.0.1)")
    console.add_argument("--port", type=int, default=None, help="port (default console.port, 8765)")
    remind = commands.add_parser("remind", help="send today's reminders now (normally `serve` does, at digest_at)")
    remind.add_argument("--date", type=_date, default=None, help="the reminder day (default: today)")
    platform = commands.add_parser("platform", help="the national 科普月 platform's activity list")
    lists = platform.add_subparsers(dest="action", required=True, metavar="ACTION")
    lists.add_parser("import", help="read the platform's list (.xlsx/.xls/.csv) in place of the previous one"
                     " and match it to the reported activities").add_argument("file", type=Path)
    report = commands.add_parser("report", help="write the draft of the city's season summary (.docx)")
    report.add_argument("--out", type=Path, required=True, help="the Word file to write (…/总结.docx)")
    demo = commands.add_parser("demo", help="the embedded default end to end on generated sample mail")
    demo.add_argument("--dir", type=Path, default=Path("demo"), help="where the demo writes (default: ./demo)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from pipeline.runtime.demo import run_demo

        return run_demo(args.dir)
    try:
        config = load_config(args.config)
        setup_logging(config, args.verbose)
        from pipeline.runtime import commands

        return commands.run(args, config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except PROJECT_ERRORS as exc:  # a refusal worded for the operator, never a traceback
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
