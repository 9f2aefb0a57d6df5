"""Superseding, complementing and quota rules of the contract, on ledger-shaped rows."""
from pipeline.campaign.registry import Registry, Unit
from pipeline.campaign.standing import current_list_keys, message_statuses, unit_progress
from pipeline.ledger.rows import MessageRow


def row(key, day, *, unit="lunan", outcome="accepted", lst=False, narr=False, kind="submission", late=False):
    return MessageRow(**{"key": key, "received_at": f"2025-09-{day:02d}T10:00:00+08:00", "state": "done", "outcome": outcome,
            "kind": kind, "unit_id": unit, "carries_list": lst, "carries_narrative": narr, "reason": "",
            "last_error": None, "late": late})


def statuses(rows):
    return {k: v.status for k, v in message_statuses(rows).items()}


def test_full_resubmission_supersedes():
    rows = [row("a", 10, lst=True, narr=True), row("b", 12, lst=True, narr=True)]
    assert statuses(rows) == {"a": "superseded", "b": "accepted"}


def test_corrected_excel_alone_leaves_the_word_summary_current():
    rows = [row("a", 10, lst=True, narr=True), row("b", 12, lst=True)]
    assert statuses(rows) == {"a": "accepted", "b": "accepted"}
    assert current_list_keys(rows, message_statuses(rows)) == {"lunan": "b"}


def test_word_only_and_excel_only_complement_each_other():
    rows = [row("w", 10, outcome="needs_review", narr=True), row("x", 11, lst=True)]
    assert statuses(rows) == {"w": "accepted", "x": "accepted"}
    rows = [row("x", 10, lst=True), row("w", 11, outcome="needs_review", narr=True)]
    assert statuses(rows) == {"w": "accepted", "x": "accepted"}


def test_needs_review_followed_by_accepted_is_superseded():
    rows = [row("n", 10, outcome="needs_review"), row("a", 11, lst=True, narr=True)]
    assert statuses(rows) == {"n": "superseded", "a": "accepted"}


def test_later_needs_review_replaces_nothing():
    rows = [row("a", 10, lst=True, narr=True), row("scan", 11, outcome="needs_review")]
    assert statuses(rows) == {"a": "accepted", "scan": "needs_review"}


def test_ignored_and_unknown_unit_stay():
    rows = [row("i", 10, unit=None, outcome="ignored", kind="auto_reply"), row("u", 11, unit=None,
                                                                              outcome="needs_review")]
    assert statuses(rows) == {"i": "ignored", "u": "needs_review"}


def test_unit_progress_quota_late_and_missing():
    registry = Registry([Unit("lunan", "路南区", "county"), Unit("kjg", "唐山科技馆", "base"),
                         Unit("lubei", "路北区", "county")])
    rows = [row("a", 27, lst=True, narr=True, late=True), row("k", 20, unit="kjg", lst=True),
            row("b", 28, lst=True, late=True)]
    st = message_statuses(rows)
    progress = {p.unit_id: p for p in unit_progress(registry, {"county": 10, "base": 1}, rows, st,
                                                    {"a": 12, "b": 3, "k": 1})}
    assert (progress["lunan"].reported, progress["lunan"].met, progress["lunan"].late) == (3, False, True)
    assert (progress["kjg"].reported, progress["kjg"].met, progress["kjg"].late) == (1, True, False)
    assert (progress["lubei"].submitted, progress["lubei"].reported) == (False, 0)
    assert progress["lunan"].last_received_at.startswith("2025-09-28")
