"""review confirm / reject (and the console's 确认计入 / 不计入) on every kind of message of the admin season
(tests/test_admin_sweep.py: mail by mutt, s-nail and swaks, polled through Dovecot): none of them told its
activities in prose only, so each request is a one-line refusal, never a traceback, and the season reads back
whole."""
import pytest
from test_admin_sweep import (  # noqa: F401  (season and config_path are fixtures)
    ENTRIES,
    NO,
    TARGETS,
    _entry,
    _export,
    _ids,
    config_path,
    season,
)


def _decide(entry, action: str, ident: str) -> tuple[int, str]:
    if hasattr(entry, "run"):  # the command line
        return entry.run("review", action, ident)
    form = {"message": ident, **({"keep-1": "1"} if action == "confirm" else {"reason": "不计入"})}
    return entry._post(f"/review/proposals/{action}", form)


@pytest.mark.parametrize("entry_kind", ENTRIES)
def test_confirm_and_reject_on_every_kind_of_message_end_in_a_refusal(entry_kind, config_path, capsys):  # noqa: F811
    ids = _ids(config_path)
    before = _export(config_path)
    assert not [m for m in before["messages"] if m.get("proposed_activities")]
    entry = _entry(entry_kind, config_path, capsys)
    got = {(label, action): _decide(entry, action, ids[label]) for label in TARGETS for action in ("confirm", "reject")}
    assert {key: code for key, (code, _) in got.items()} == dict.fromkeys(got, NO)
    texts = {text for _, text in got.values()}
    assert any("nothing to confirm" in t for t in texts) and any("no message" in t for t in texts)
    assert any("review assign" in t for t in texts)  # a message without a unit: assign first
    assert _export(config_path)["messages"] == before["messages"]
