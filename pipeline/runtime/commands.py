"""What each command of run.py does, printing for a person at a terminal."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline import failures
from pipeline.config import Config
from pipeline.intake.mailbox import MailSourceError
from pipeline.reporting.export import WRITERS
from pipeline.runtime.app import Pipeline

log = logging.getLogger(__name__)


def cmd_poll(pipeline: Pipeline, args: argparse.Namespace) -> int:
    report = pipeline.poll()
    print(report.line())
    return 0


def cmd_reingest(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline.admin.actions import command_line_actor, perform
    from pipeline.admin.review import ReviewError

    try:
        print(perform(pipeline, command_line_actor(), "reingest", args.since, args.until,
                      from_archive=args.from_archive, send_acks=args.send_acks))
    except ReviewError as exc:
        print(f"reingest: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_export(pipeline: Pipeline, args: argparse.Namespace) -> int:
    data = pipeline.dataset()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for path in WRITERS[args.format](data, args.out):
        print(path)
    return 0


def cmd_status(pipeline: Pipeline, args: argparse.Namespace) -> int:
    store = pipeline.store
    counts = store.counts()
    data = pipeline.dataset()
    units = data["units"]
    print(f"campaign: {pipeline.config.campaign.name}, deadline {pipeline.config.campaign.deadline}")
    last_poll, last_report = store.last_poll()
    print(f"last poll: {last_poll or 'never'}  ({last_report or '-'})")
    for line in failures.status_lines(pipeline.config.data_dir):
        print(line)
    busy = _ingesting_now(pipeline.config.data_dir)
    if busy:
        print(f"running now: {busy}")
    by_status: dict[str, int] = {}
    for m in data["messages"]:
        by_status[m["status"]] = by_status.get(m["status"], 0) + 1
    print("messages: " + (", ".join(f"{k} {v}" for k, v in sorted(by_status.items())) or "none")
          + f"; pending {counts.get('messages_pending', 0)}, parked {counts.get('messages_parked', 0)}")
    print(f"units: {sum(u['submitted'] for u in units)}/{len(units)} submitted, "
          f"{sum(u['met'] for u in units)} met quota, {sum(u['late'] for u in units)} late")
    print(f"activities (current): {len(data['activities'])}")
    print(f"outbox: pending {counts.get('outbox_pending', 0) + counts.get('outbox_sending', 0)}, "
          f"sent {counts.get('outbox_sent', 0)}, failed {counts.get('outbox_failed', 0)}, "
          f"unconfirmed {counts.get('outbox_unconfirmed', 0)}, suppressed {counts.get('outbox_suppressed', 0)}")
    for row in store.outbox_problems():
        print(f"  {row.state} {row.kind} {row.id} to {', '.join(row.recipients)}: {row.last_error}")
    return 0


def _ingesting_now(data_dir: Path) -> str | None:
    from pipeline.locks import describe_holder, try_lock

    lock = try_lock(data_dir / "ingest.lock", "status")
    if lock is None:
        return describe_holder(data_dir / "ingest.lock")
    lock.__exit__(None, None, None)
    return None


def cmd_digest(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline.outbound.digest import send_digest

    print(send_digest(pipeline, args.date, dry_run=args.dry_run))
    return 0


def cmd_serve(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline.runtime.console import console_beside
    from pipeline.runtime.worker import serve

    with console_beside(pipeline.config):  # the web console in a thread, when console.enabled
        return serve(pipeline)


def cmd_review(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline.admin import review
    from pipeline.admin.actions import command_line_actor, perform

    try:
        if args.action == "list":
            print(review.format_list(review.review_items(pipeline), review.questions(pipeline),
                                     review.console_url(pipeline.config)))
        elif args.action == "assign":
            print(perform(pipeline, command_line_actor(), "assign", args.message_id, args.unit_id))
        elif args.action == "dismiss":
            print(perform(pipeline, command_line_actor(), "dismiss", args.message_id, args.reason))
        elif args.action == "confirm":
            print(perform(pipeline, command_line_actor(), "confirm_proposals", args.message_id,
                          edits=args.set or [], drop=args.drop or []))
        elif args.action == "reject":
            print(perform(pipeline, command_line_actor(), "reject_proposals", args.message_id, args.reason))
        else:  # reprocess, restore
            print(perform(pipeline, command_line_actor(), args.action, args.message_id))
    except review.ReviewError as exc:
        print(f"review: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_remind(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from datetime import datetime

    from pipeline.outbound.reminders import due_day, send_reminders

    config = pipeline.config
    day = args.date or datetime.now(config.campaign.tz).date()
    if not config.reminders.days_before:
        print("reminders are off: set reminders.days_before (e.g. [3, 1]) in the configuration")
        return 0
    if not due_day(config, day):
        print(f"{day} is not a reminder day (reminders.days_before {config.reminders.days_before} "
              f"before {config.campaign.deadline})")
        return 0
    print(send_reminders(pipeline, day).line())
    return 0


def cmd_outbox(pipeline: Pipeline, args: argparse.Namespace) -> int:
    store = pipeline.store
    if args.action == "list":
        problems = store.outbox_problems()
        for row in problems:
            print(f"{row.id:>5}  {row.state:<11} {row.kind:<8} {', '.join(row.recipients)}  {row.subject}\n"
                  f"       {row.last_error or ''}")
        print(f"{len(problems)} mail(s) need a look" if problems else "nothing: every mail was delivered or is queued")
        return 0
    from pipeline.admin.actions import command_line_actor, perform
    from pipeline.admin.review import ReviewError

    try:
        print(perform(pipeline, command_line_actor(), args.action, args.id))
    except ReviewError as exc:
        print(f"outbox: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_platform(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline.admin.actions import command_line_actor, perform
    from pipeline.admin.review import ReviewError

    try:
        print(perform(pipeline, command_line_actor(), "platform_import", str(args.file)))
    except ReviewError as exc:
        print(f"platform import: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_report(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from datetime import datetime

    from pipeline.reporting.report import write_report
    from pipeline.reporting.season import load_season
    from pipeline.reporting.wording import cn_datetime

    if args.out.suffix.lower() != ".docx":
        print(f"report: the draft is a Word file; give --out a name ending in .docx (not {args.out.name})",
              file=sys.stderr)
        return 2
    season = load_season(pipeline.config, pipeline.registry, pipeline.store)
    try:
        path = write_report(season, args.out, today_cn=cn_datetime(datetime.now(pipeline.config.campaign.tz)))
    except OSError as exc:  # the file open in Word (Windows locks it), a folder we may not write
        print(f"report: cannot write {args.out}: {exc.strerror or exc}; close it in Word or choose another path",
              file=sys.stderr)
        return 2
    draft = "" if season.picks.any else " (commendations: the shortlist's top, marked 草稿)"
    print(f"{path}: {len(season.data['units'])} units, {len(season.data['activities'])} activities, "
          f"{len(season.narratives)} narratives{draft}")
    return 0


def cmd_console(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline.runtime.console import ConsoleError, run_console

    try:
        return run_console(pipeline.config, host=args.host, port=args.port)
    except ConsoleError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2


def cmd_backup(pipeline: Pipeline, args: argparse.Namespace) -> int:
    from pipeline import PipelineError
    from pipeline.runtime.backup import backup

    try:
        print(backup(pipeline, args.out))
    except (PipelineError, OSError) as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    return 0


COMMANDS = {"poll": cmd_poll, "reingest": cmd_reingest, "export": cmd_export, "status": cmd_status,
            "digest": cmd_digest, "serve": cmd_serve, "review": cmd_review, "remind": cmd_remind,
            "outbox": cmd_outbox, "console": cmd_console, "platform": cmd_platform,
            "backup": cmd_backup, "report": cmd_report}


INGESTING = ("poll", "reingest", "serve")


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        with Pipeline(config) as pipeline:
            try:
                code = COMMANDS[args.command](pipeline, args)
            except MailSourceError as exc:
                log.error("%s", exc)
                print(f"mailbox error: {exc}", file=sys.stderr)
                return 1
    except Exception as exc:
        known = failures.explain(exc, config, args.command)
        if known is None:
            raise
        code, line = known
        log.error("%s", line)  # one line, on the terminal too (the console handler shows errors)
        if code != failures.EXIT_BUSY:  # a busy lock is not a failure of the data_dir
            failures.remember(config.data_dir, line)
        return code
    if code == 0 and args.command in INGESTING:
        failures.forget(config.data_dir)
    return code
