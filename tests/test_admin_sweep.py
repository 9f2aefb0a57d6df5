"""A person's decision never crashes (issue 16, point 12).

On a realistic season (tests/admin_season.py: mail by mutt, s-nail and swaks with LibreOffice's tables,
plus office forwards, a sender-less mail and one without Message-ID, through Dovecot and ``poll``):

- the office forwards a mail from an unknown address; it waits for review; ``review assign`` settles it
  (exit 0, accepted, its activities counted), from the command line and from the console;
- every admin action on every kind of message and outbox mail, from the command line and the console,
  ends in a result (exit 0) or a one-line refusal (exit 2), as written by hand below: never a traceback.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from pathlib import Path

import clientmail
import pytest
from conftest import missing_tool
from servers import SmtpSink, new_account

from pipeline.config import load_config
from pipeline.ledger.store import Store
from pipeline.runtime.console import create_app
from run import main

OK, NO = 0, 2  # a result, a refusal


@pytest.fixture(scope="module")
def season(dovecot, tmp_path_factory):
    """The season polled once (the first acknowledgment refused with 554, so one mail is ``failed``; the
    stranger's cap leaves ``suppressed`` ones); each test works on its own copy. The SMTP sink stays up
    for the resends."""
    try:
        clientmail.build()
    except clientmail.ClientMissing as exc:
        missing_tool(f"the admin season needs the real mail clients: {exc}")
    from admin_season import deliver

    account = new_account(dovecot.start())
    sink = SmtpSink().start()
    folder = tmp_path_factory.mktemp("admin-season")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLIENTMAIL_PASSWORD", account.password)
        sink.fail_next(1, 554, "5.7.1 DT:SPM message rejected as spam", stage="DATA")
        path, _ = deliver(account, sink, folder)
        assert main(["--config", str(path), "poll"]) == 0
    # aiosmtpd cannot lose a connection after the final dot: two sent acknowledgments are marked as the
    # outbox marks such a mail (see outbox/queue.py), one to confirm, one to resend
    store = Store(folder / "var" / "ledger.sqlite3")
    sent = [r.id for r in store.outbox() if r.state == "sent"]
    for mail_id in sent[:2]:
        store.outbox_mark(mail_id, "unconfirmed", error="connection lost after the final dot")
    store.close()
    yield folder, account
    sink.stop()


@pytest.fixture
def config_path(season, tmp_path, monkeypatch) -> Path:
    folder, account = season
    monkeypatch.setenv("CLIENTMAIL_PASSWORD", account.password)
    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    shutil.copytree(folder, tmp_path / "season")
    return tmp_path / "season" / "config.yaml"


def _export(config_path: Path) -> dict:
    out = config_path.parent / "out.json"
    assert main(["--config", str(config_path), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _message(data: dict, message_id: str) -> dict:
    return next(m for m in data["messages"] if m["message_id"] == message_id)


# -- the two entry points, each answering (exit code, what the person reads) --------------------------------

class CommandLine:
    def __init__(self, config_path: Path, capsys):
        self.config, self.capsys = str(config_path), capsys

    def run(self, *argv: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main(["--config", self.config, *argv])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err, (argv, out + err)
        if code != OK:
            said = (f"{argv[0]}:", f"{' '.join(argv[:2])}:")  # "review: …", "platform import: …"
            refusal = [line for line in err.splitlines()  # or the log's "ERROR: review: …" for a machine's refusal
                       if line.startswith(said) or line.startswith(tuple("ERROR: " + s for s in said))]
            assert len(refusal) == 1, (argv, err)  # one line says why
            return code, refusal[0]
        return code, out.strip()

    def review(self, action: str, ident: str, *extra: str) -> tuple[int, str]:
        return self.run("review", action, ident, *extra)

    def outbox(self, action: str, mail_id: int) -> tuple[int, str]:
        return self.run("outbox", action, str(mail_id))

    def reingest(self, since: str, until: str, from_archive: bool) -> tuple[int, str]:
        return self.run("reingest", "--since", since, "--until", until, *(["--from-archive"] if from_archive else []))


class Console:
    def __init__(self, config_path: Path):
        app = create_app(load_config(config_path))
        app.testing = True  # an exception in a view reaches the test instead of becoming a 500 page
        self.client = app.test_client()
        page = self.client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert self.client.post("/login", data={"name": "测试员", "csrf": token}).status_code == 302
        self.token = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/outbox").text).group(1)

    def _post(self, url: str, form: dict) -> tuple[int, str]:
        response = self.client.post(url, data={**form, "csrf": self.token})
        assert response.status_code == 302, (url, form, response.status_code)
        page = self.client.get(response.headers["Location"]).text
        assert "Traceback" not in page
        flashes = [(kind, html.unescape(text))
                   for kind, text in re.findall(r'class="flash (ok|error|detail)"[^>]*>([^<]*)<', page)]
        assert flashes, (url, form)
        kinds = [kind for kind, _ in flashes]
        if "error" in kinds:
            assert kinds == ["error"], flashes  # a refusal, one line, and nothing else
            return NO, flashes[0][1]
        return OK, " ".join(text for _, text in flashes)

    def review(self, action: str, ident: str, *extra: str) -> tuple[int, str]:
        form = {"message": ident}
        if action == "assign":
            form["unit"] = extra[0]
        if action == "dismiss":
            form["reason"] = extra[1] if len(extra) > 1 else ""
        return self._post(f"/review/{action}", form)

    def outbox(self, action: str, mail_id: int) -> tuple[int, str]:
        return self._post(f"/outbox/{action}", {"id": str(mail_id)})

    def reingest(self, since: str, until: str, from_archive: bool) -> tuple[int, str]:
        code, text = self._post("/reingest", {"since": since, "until": until,
                                              **({"from_archive": "1"} if from_archive else {})})
        if code == NO:
            return code, text
        deadline = time.monotonic() + 300  # a bound on the wait, not a timed assertion
        while (status := self.client.get("/reingest/status").get_json())["state"] in ("waiting", "running"):
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert "Traceback" not in status["result"]
        return (OK if status["state"] == "done" else NO), status["result"]


def _entry(kind: str, config_path: Path, capsys):
    return CommandLine(config_path, capsys) if kind == "command line" else Console(config_path)


ENTRIES = ["command line", "console"]


# -- the office forwards a mail from an unknown address ------------------------------------------------------

FORWARDS = {"office_attached": ("<office-fw.1@example.org>", "lunan", 3, "wanglaoshi2025@qq.com"),
            "office_inline": ("<office-fw.2@126.com>", "kjg", 2, "lilaoshi@163.com")}


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("label", sorted(FORWARDS))
def test_review_assign_settles_a_mail_the_office_forwarded(entry, label, config_path, capsys):
    message_id, unit_id, activities, original = FORWARDS[label]
    before = _export(config_path)
    waiting = _message(before, message_id)
    assert (waiting["status"], waiting["unit_id"]) == ("needs_review", None)
    assert not [a for a in before["activities"] if a["message_id"] == message_id]
    reported = next(u for u in before["units"] if u["unit_id"] == unit_id)["reported"]

    code, text = _entry(entry, config_path, capsys).review("assign", message_id, unit_id)
    assert code == OK, text

    after = _export(config_path)
    settled = _message(after, message_id)
    assert (settled["status"], settled["unit_id"]) == ("accepted", unit_id)
    assert len([a for a in after["activities"] if a["message_id"] == message_id]) == activities
    assert next(u for u in after["units"] if u["unit_id"] == unit_id)["reported"] == reported + activities
    # the original writer's address is what is remembered for the unit, not the office's
    store = Store(config_path.parent / "var" / "ledger.sqlite3")
    remembered = store.remembered_senders()
    store.close()
    assert remembered.get(original) == unit_id and "admin@example.org" not in remembered


# -- every action on every kind of message ---------------------------------------------------------------------

# label -> (what it is after the poll) ; the real-client labels are tests/clientmail.py's
TARGETS = {
    "county_own": "accepted, the county's own (fengnan, registered address)",
    "society_first": "superseded by the society's corrected table",
    "society_reply_with_table": "accepted, a reply carrying a table",
    "forgot_attachment": "needs_review, a registered unit without its file",
    "impersonation": "needs_review, an unregistered address in a county's name",
    "county_forwards_attached": "accepted, a unit forwarding another unit's mail (attached)",
    "county_forwards_inline": "needs_review, a unit forwarding an unregistered sender's mail (inline)",
    "township_direct": "needs_review, an unregistered township",
    "thanks_reply": "ignored, 收到，谢谢",
    "society_question": "ignored, a question for a person",
    "vendor_brochure": "ignored, a stranger's training notice",
    "stranger00": "needs_review, the stranger with 20 Reply-To addresses",
    "office_attached": "needs_review, an admin forwarded an unknown address's mail (attached)",
    "office_inline": "needs_review, the mailbox itself forwarded one (inline)",
    "senderless": "ignored, no From header at all",
    "no_message_id": "accepted, a registered unit's mail without a Message-ID",
    "unknown": "no such message",
}

# the steps, each on the message as the steps before it left it: restore (not dismissed), reprocess,
# dismiss without a reason, dismiss, restore, assign to a unit that does not exist, assign to 路南区科协
STEPS = ["restore-none", "reprocess", "dismiss-empty", "dismiss", "restore", "assign-nowhere", "assign"]
# the expected exit of each step, by hand: a refusal where a person asked for something that cannot be
EXPECTED = {
    # a message that exists: reprocess, dismiss and restore work; restoring what is not dismissed,
    # dismissing without a reason and assigning to no unit are refused
    label: dict(zip(STEPS, [NO, OK, NO, OK, OK, NO, OK])) for label in TARGETS
}
# assign to 路南区科协 is refused where the address is registered for another unit
for label in ("county_own", "society_first", "society_reply_with_table", "forgot_attachment",
              "county_forwards_attached", "thanks_reply", "society_question", "no_message_id"):
    EXPECTED[label]["assign"] = NO
EXPECTED["senderless"]["assign"] = NO  # nobody to remember: the person is told to dismiss it
EXPECTED["unknown"] = dict.fromkeys(STEPS, NO)


def _ids(config_path: Path) -> dict[str, str]:
    ids = clientmail.build().message_ids()
    ids.update(office_attached="<office-fw.1@example.org>", office_inline="<office-fw.2@126.com>",
               senderless="<no-from.1@localhost>", unknown="<no-such-message@example.org>")
    data = _export(config_path)
    ids["no_message_id"] = next(m["message_id"] for m in data["messages"] if m["sender"] == "kpkx@163.com")
    assert ids["no_message_id"].startswith("sha256:")
    return ids


def _step(entry, step: str, ident: str) -> tuple[int, str]:
    if step == "restore-none" or step == "restore":
        return entry.review("restore", ident)
    if step == "reprocess":
        return entry.review("reprocess", ident)
    if step == "dismiss-empty":
        return entry.review("dismiss", ident, "--reason", " ")
    if step == "dismiss":
        return entry.review("dismiss", ident, "--reason", "纸质材料已报送")
    if step == "assign-nowhere":
        return entry.review("assign", ident, "no-such-unit")
    return entry.review("assign", ident, "lunan")


@pytest.mark.parametrize("entry_kind", ENTRIES)
def test_every_review_action_on_every_kind_of_message_ends_in_a_result_or_a_refusal(entry_kind, config_path,
                                                                                   capsys):
    ids = _ids(config_path)
    entry = _entry(entry_kind, config_path, capsys)
    got = {}
    for label in TARGETS:
        for step in STEPS:
            got[(label, step)] = _step(entry, step, ids[label])
    if os.environ.get("SWEEP_RECORD"):
        for (label, step), (code, text) in got.items():
            print(f"{label:28} {step:15} {code} {text[:150]}")
    assert "no sender address" in got[("senderless", "assign")][1]  # not "a forward": it has no From at all
    wrong = {key: value for key, value in got.items() if value[0] != EXPECTED[key[0]][key[1]]}
    assert not wrong, "\n".join(f"{k}: expected {EXPECTED[k[0]][k[1]]}, got {v}" for k, v in wrong.items())
    assert len(got) == len(TARGETS) * len(STEPS)
    # the season is still whole: everything reads back
    assert len(_export(config_path)["messages"]) == 35


# -- every outbox action on every state of an outgoing mail, and reingest ---------------------------------------

def _outbox_ids(config_path: Path) -> dict[str, int]:
    store = Store(config_path.parent / "var" / "ledger.sqlite3")
    rows = store.outbox()
    store.close()
    by_state = {state: [r.id for r in rows if r.state == state] for state in ("failed", "suppressed",
                                                                                      "unconfirmed", "sent")}
    assert len(by_state["failed"]) == 1 and by_state["suppressed"] and len(by_state["unconfirmed"]) == 2
    return {"failed": by_state["failed"][0], "suppressed": by_state["suppressed"][0],
            "unconfirmed": by_state["unconfirmed"][0], "unconfirmed-2": by_state["unconfirmed"][1],
            "sent": by_state["sent"][0], "unknown": 9999}


# (mail, action) in this order, with the exit expected by hand
OUTBOX_STEPS = [
    ("failed", "confirm", NO), ("failed", "resend", OK),  # only unconfirmed mail is confirmed
    ("suppressed", "confirm", NO), ("suppressed", "resend", OK),
    ("unconfirmed", "confirm", OK), ("unconfirmed", "resend", NO),  # now sent: nothing to resend
    ("unconfirmed-2", "resend", OK), ("unconfirmed-2", "confirm", NO),
    ("sent", "confirm", NO), ("sent", "resend", NO),
    ("unknown", "confirm", NO), ("unknown", "resend", NO),
]
REINGEST_STEPS = [  # (since, until, from the archive, expected)
    ("2025-09-01", "2025-10-31", True, OK),
    ("2025-09-01", "2025-10-31", False, OK),  # from Dovecot
    ("2025-10-01", "2025-09-01", True, NO),  # backwards
]


@pytest.mark.parametrize("entry_kind", ENTRIES)
def test_every_outbox_action_and_reingest_ends_in_a_result_or_a_refusal(entry_kind, config_path, capsys):
    ids = _outbox_ids(config_path)
    entry = _entry(entry_kind, config_path, capsys)
    got = [(mail, action, expected, entry.outbox(action, ids[mail])) for mail, action, expected in OUTBOX_STEPS]
    got += [((since, until, archive), "reingest", expected, entry.reingest(since, until, archive))
            for since, until, archive, expected in REINGEST_STEPS]
    wrong = [g for g in got if g[3][0] != g[2]]
    assert not wrong, "\n".join(map(str, wrong))
    data = _export(config_path)
    assert len(data["messages"]) == 35
    assert _message(data, "<office-fw.1@example.org>")["status"] == "needs_review"  # reingest kept the queue


def test_the_other_commands_and_the_pages_end_in_a_result(config_path, capsys):
    """What else a person runs or opens on the season (`run.py --help`): a result each."""
    cli = CommandLine(config_path, capsys)
    out = str(config_path.parent / "export.xlsx")
    for argv in (["review", "list"], ["outbox", "list"], ["status"], ["digest", "--dry-run"],
                 ["digest", "--date", "2025-09-20"], ["remind", "--date", "2025-09-23"],
                 ["export", "--format", "xlsx", "--out", out]):
        assert cli.run(*argv)[0] == OK, argv
    console = Console(config_path)
    for page in ("/", "/units", "/review", "/outbox", "/log", "/reingest", "/units/lunan", "/workbook.xlsx"):
        assert console.client.get(page).status_code == 200, page


BUSY = 3  # CONTRACT.md: another process holds the ingest lock


@pytest.mark.parametrize("entry_kind", ENTRIES)
def test_a_decision_while_another_process_ingests_is_refused_in_one_line(entry_kind, config_path, capsys):
    """`serve` is reading mail (it holds data_dir/ingest.lock): a decision that reads mail again waits
    runtime.lock_wait_seconds, then is refused in one line; one that does not (dismiss) goes through."""
    from pipeline.locks import FileLock

    config_path.write_text(config_path.read_text(encoding="utf-8") + "runtime: {lock_wait_seconds: 0}\n",
                           encoding="utf-8")
    entry = _entry(entry_kind, config_path, capsys)
    busy = BUSY if entry_kind == "command line" else NO  # the console has no exit code: a refusal
    with FileLock(config_path.parent / "var" / "ingest.lock", "serve"):
        assign = entry.review("assign", "<office-fw.1@example.org>", "lunan")
        reprocess = entry.review("reprocess", "<office-fw.1@example.org>")
        dismiss = entry.review("dismiss", "<office-fw.2@126.com>", "--reason", "重复")
    assert (assign[0], reprocess[0], dismiss[0]) == (busy, busy, OK), (assign, reprocess, dismiss)
    assert "serve" in assign[1] and "serve" in reprocess[1]  # who holds it
    assert _message(_export(config_path), "<office-fw.1@example.org>")["status"] == "needs_review"


def test_the_season_end_actions_end_in_a_result_or_a_refusal(config_path, capsys):
    """`platform import`, `report`, and the console's commendation picks (the actions main gained)."""
    cli = CommandLine(config_path, capsys)
    folder = config_path.parent
    (folder / "garbage.csv").write_bytes(b"\x00\x01 not a list at all\n")
    (folder / "list.csv").write_text("活动名称,举办单位,开始时间\n丰南区科普活动第1场,唐山市丰南区科学技术协会,2025-09-05\n",
                                     encoding="utf-8")
    steps = [(["platform", "import", str(folder / "absent.xlsx")], NO),
             (["platform", "import", str(folder / "garbage.csv")], NO),
             (["platform", "import", str(folder / "list.csv")], OK),
             (["report", "--out", str(folder / "report.txt")], NO),
             (["report", "--out", str(folder / "report.docx")], OK)]
    got = [(argv, expected, cli.run(*argv)) for argv, expected in steps]
    console = Console(config_path)
    response = console.client.post("/shortlist", data={"unit": ["fengnan", "no-such-unit"], "csrf": console.token})
    assert response.status_code == 302
    page = console.client.get(response.headers["Location"]).text
    assert "Traceback" not in page and "选入1个" in page and "no unit 'no-such-unit'" in html.unescape(page)
    assert console.client.post("/shortlist", data={"csrf": console.token}).status_code == 302  # unpick all
    wrong = [g for g in got if g[2][0] != g[1]]
    assert not wrong, "\n".join(map(str, wrong))


def test_a_console_button_meeting_a_locked_ledger_answers_in_one_line(config_path):
    """Another program holds the ledger (a backup tool, a DB browser): saving the 拟表扬 picks or confirming
    proposals ends in one line (503), as the command line ends in exit 5, not in a 500 page."""
    import sqlite3

    config_path.write_text(config_path.read_text(encoding="utf-8") + "runtime: {ledger_wait_seconds: 0.2}\n",
                           encoding="utf-8")
    console = Console(config_path)
    holder = sqlite3.connect(config_path.parent / "var" / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for url, form in (("/shortlist", {"unit": "lunan"}),
                          ("/review/proposals/reject", {"message": "<office-fw.1@example.org>"})):
            response = console.client.post(url, data={**form, "csrf": console.token})
            assert response.status_code == 503, (url, response.status_code)
            assert "操作未完成" in response.text and "ledger" in response.text and "Traceback" not in response.text
    finally:
        holder.execute("ROLLBACK")
        holder.close()
