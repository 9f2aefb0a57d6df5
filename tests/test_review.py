"""The review loop against the real servers: assign, dismiss, restore, reprocess change the dataset and
the next digest; an assigned sender's later mail is attributed; the unit hears back once."""
import re
from email import message_from_bytes, policy

import pytest
from admin_helpers import export, load, write_config

from run import main
from samples import generate


@pytest.fixture(scope="module")
def sample():
    return generate(seed=11)


def _digest_text(config, tmp_path, capsys) -> str:
    assert main(["--config", str(config), "digest", "--date", "2025-10-31", "--dry-run"]) == 0
    path = re.search(r"written to (\S+)", capsys.readouterr().out).group(1)
    message = message_from_bytes(open(path, "rb").read(), policy=policy.default)
    return message.get_body(("plain",)).get_content()


def _review_count(text: str) -> int:
    return int(re.search(r"待人工核查（(\d+)）", text).group(1))


def _message(data, message_id):
    return next(m for m in data["messages"] if m["message_id"] == message_id)


def test_review_commands_change_the_dataset_and_the_next_digest(imap_account, smtp_sink, tmp_path, sample,
                                                                monkeypatch, capsys):
    load(imap_account, sample.mails)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    before = export(config, tmp_path, "before.json")
    digest_before = _digest_text(config, tmp_path, capsys)
    reviews = [m for m in before["messages"] if m["status"] == "needs_review"]
    assert _review_count(digest_before) == len(reviews)

    stranger = next(m for m in sample.mails if m.truth.case == "unknown_unit")
    scan = next(m for m in reviews if m["unit_id"] and m["message_id"] != stranger.message_id)
    assert _message(before, stranger.message_id)["status"] == "needs_review"
    assert main(["--config", str(config), "review", "list"]) == 0
    listing = capsys.readouterr().out
    assert stranger.message_id in listing and scan["message_id"] in listing
    assert f"review dismiss '{scan['message_id']}'" in listing

    # assign: the message becomes the unit's, its sender is remembered, the sender hears back once
    unit = sample.units[0]
    sent = len(smtp_sink.messages)
    assert main(["--config", str(config), "review", "assign", stranger.message_id, unit.unit_id]) == 0
    out = capsys.readouterr().out
    assert f"assigned to {unit.name}" in out
    after = export(config, tmp_path, "assigned.json")
    assigned = _message(after, stranger.message_id)
    assert assigned["unit_id"] == unit.unit_id and assigned["status"] in ("accepted", "superseded")
    reply = smtp_sink.wait_for(sent + 1)[-1]
    assert reply.parsed()["In-Reply-To"] == stranger.message_id and unit.name in reply.parsed()["Subject"]
    sender = assigned["sender"]
    # the same address writes again: attributed without a person
    raw = stranger.raw.replace(stranger.message_id.encode(), b"<again-" + stranger.message_id[1:].encode())
    imap_account.append(raw)
    assert main(["--config", str(config), "poll"]) == 0
    again = _message(export(config, tmp_path, "again.json"), "<again-" + stranger.message_id[1:])
    assert again["unit_id"] == unit.unit_id and again["sender"] == sender
    # reassigning to the same unit or reprocessing sends nothing more
    sent = len(smtp_sink.messages)
    assert main(["--config", str(config), "review", "reprocess", stranger.message_id]) == 0
    assert main(["--config", str(config), "review", "assign", stranger.message_id, unit.unit_id]) == 0
    capsys.readouterr()
    assert len(smtp_sink.messages) == sent

    # dismiss: shows as ignored with the admin's reason, leaves the review list and the digest
    assert main(["--config", str(config), "review", "dismiss", scan["message_id"], "--reason", "纸质材料已报送"]) == 0
    capsys.readouterr()
    dismissed = _message(export(config, tmp_path, "dismissed.json"), scan["message_id"])
    assert dismissed["status"] == "ignored" and "纸质材料已报送" in dismissed["reason"]
    assert dismissed["unit_id"] is None
    digest_after = _digest_text(config, tmp_path, capsys)
    assert _review_count(digest_after) == len(reviews) - 2
    assert scan["message_id"] not in digest_after.split("待人工核查")[1].split("需要答复的来信")[0]
    assert stranger.message_id not in digest_after.split("待人工核查")[1].split("需要答复的来信")[0]
    assert main(["--config", str(config), "review", "list"]) == 0
    listing = capsys.readouterr().out
    assert scan["message_id"] not in listing and stranger.message_id not in listing
    # a reingest keeps the admin's decisions
    assert main(["--config", str(config), "reingest", "--since", "2025-08-01", "--until", "2025-10-31",
                 "--from-archive"]) == 0
    capsys.readouterr()
    kept = export(config, tmp_path, "kept.json")
    assert _message(kept, scan["message_id"])["status"] == "ignored"
    assert _message(kept, stranger.message_id)["unit_id"] == unit.unit_id
    # restore undoes the dismissal
    assert main(["--config", str(config), "review", "restore", scan["message_id"]]) == 0
    assert _message(export(config, tmp_path, "restored.json"), scan["message_id"])["status"] == "needs_review"
    # mistakes are refused with a clear message
    capsys.readouterr()
    assert main(["--config", str(config), "review", "assign", "<nope@x>", unit.unit_id]) == 2
    assert main(["--config", str(config), "review", "assign", stranger.message_id, "no-such-unit"]) == 2
    assert "no unit" in capsys.readouterr().err
