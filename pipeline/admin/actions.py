"""Admin actions, carried out the same way from the command line and from the console, and recorded.

Each action is a function of ``pipeline/admin/review.py`` (assign, reprocess, dismiss, restore) or of this
module (confirm or resend an outgoing mail). ``perform`` runs one and writes who asked for it,
when, and what came of it to the ledger's audit table, whether it succeeded or not.
"""
from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeline.admin import commend, review
from pipeline.admin.review import ReviewError
from pipeline.intake.ingest import Progress
from pipeline.ledger.rows import OutboxRow

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

ACTION_CN = {"assign": "归属单位", "reprocess": "重新处理", "dismiss": "排除", "restore": "恢复",
             "confirm": "确认已送达", "resend": "重新发送", "reingest": "重新读取",
             "confirm_proposals": "确认计入", "reject_proposals": "不计入",
             "platform_import": "导入平台活动表",
             "pick": "选入拟表扬", "unpick": "移出拟表扬"}


def command_line_actor() -> str:
    """Who runs a command at a terminal: the logged-in user."""
    try:
        return f"命令行:{getpass.getuser()}"
    except Exception:  # no user name in the environment (a service account on Windows)
        return "命令行"


def _outbox_row(pipeline: Pipeline, mail_id: int) -> OutboxRow:
    row = pipeline.store.outbox_mail(mail_id)
    if row is None:
        raise ReviewError(f"no mail with id {mail_id} (see `outbox list`)")
    return row


def confirm_delivery(pipeline: Pipeline, mail_id: int) -> str:
    """A person checked that an ``unconfirmed`` mail did arrive."""
    row = _outbox_row(pipeline, mail_id)
    if row.state != "unconfirmed":
        raise ReviewError(f"mail {mail_id} is {row.state}, not unconfirmed")
    pipeline.store.outbox_sent(mail_id, note="送达已由人工确认")
    return f"mail {mail_id} marked sent"


def resend(pipeline: Pipeline, mail_id: int) -> str:
    """Queue a failed, unconfirmed or suppressed mail again and flush the outbox."""
    row = _outbox_row(pipeline, mail_id)
    if row.state in ("pending", "sending", "sent"):
        raise ReviewError(f"mail {mail_id} is {row.state}; only failed, unconfirmed or suppressed mail is resent")
    pipeline.store.outbox_requeue(mail_id)
    report = pipeline.flush_outbox()
    return f"mail {mail_id} queued again; sent {report.sent} now"


def reingest(pipeline: Pipeline, since: date, until: date, from_archive: bool = False, send_acks: bool = False,
             progress: Progress = True) -> str:
    if since > until:
        raise ReviewError("--since must not be after --until")
    return pipeline.reingest(since, until, from_archive=from_archive, send_acks=send_acks, progress=progress).line()


def platform_import(pipeline: Pipeline, path: str) -> str:
    from pipeline.admin.platform_import import import_platform_list

    return import_platform_list(pipeline, path)


ACTIONS: dict[str, Callable[..., str]] = {"assign": review.assign, "reprocess": review.reprocess, "dismiss": review.dismiss,
           "restore": review.restore, "confirm": confirm_delivery, "resend": resend, "reingest": reingest,
           "confirm_proposals": review.confirm_proposals, "reject_proposals": review.reject_proposals,
           "platform_import": platform_import,
           "pick": commend.pick, "unpick": commend.unpick}


def perform(pipeline: Pipeline, actor: str, action: str, *args: Any, **kwargs: Any) -> str:
    """Run ``action`` with its arguments; record it in the audit table; return its report line.
    A ``ReviewError`` (the action cannot be carried out) is recorded and raised again."""
    target = str(args[0]) if args else None
    detail = json.dumps([str(a) for a in args[1:]] + [f"{k}={v}" for k, v in kwargs.items() if k != "progress"],
                        ensure_ascii=False)
    try:
        outcome = ACTIONS[action](pipeline, *args, **kwargs)
    except ReviewError as exc:
        pipeline.store.record_action(actor, action, target, detail, str(exc), ok=False)
        raise
    except Exception as exc:
        pipeline.store.record_action(actor, action, target, detail, f"{type(exc).__name__}: {exc}", ok=False)
        raise
    pipeline.store.record_action(actor, action, target, detail, outcome, ok=True)
    return outcome
