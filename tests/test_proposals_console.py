"""The console's proposal actions through Flask's test client on a polled season (seed 7, as the demo, whose
prose-only reports carry proposals): a cell that cannot be read is refused in one line and nothing is decided;
an unticked row is left out; 不计入 counts none; both are on record."""
import json
import re

import pytest

from pipeline.config import load_config
from pipeline.ledger.store import Store
from pipeline.runtime.console import create_app
from pipeline.runtime.demo import write_season
from run import main
from samples import generate


@pytest.fixture
def season(tmp_path, monkeypatch):
    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    config = write_season(tmp_path, generate(seed=7))
    assert main(["--config", str(config), "poll"]) == 0
    return config


def _client(config):
    client = create_app(load_config(config)).test_client()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": "王老师", "csrf": token})
    page = client.get("/review").text
    return client, page, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _export(config) -> dict:
    out = config.parent / "out.json"
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_console_refuses_a_bad_cell_leaves_out_an_unticked_row_and_rejects(season):
    data = _export(season)
    waiting = [m for m in data["messages"] if m.get("proposed_activities")]
    assert len(waiting) >= 2
    first, second = waiting[0], waiting[1]
    client, page, csrf = _client(season)
    assert page.count('class="proposal"') == sum(len(m["proposed_activities"]) for m in waiting)
    rows = first["proposed_activities"]
    form = {"csrf": csrf, "message": first["message_id"], **{f"keep-{p['row']}": "1" for p in rows}}

    bad = client.post("/review/proposals/confirm", data={**form, "cell-1-date": "下周"}, follow_redirects=True)
    assert "确认计入未完成" in bad.text and "cannot read" in bad.text
    assert not Store(season.parent / "var" / "ledger.sqlite3").proposal_decisions()

    del form[f"keep-{rows[-1]['row']}"]
    done = client.post("/review/proposals/confirm", data={**form, "cell-1-participants": "99"}, follow_redirects=True)
    assert "确认计入：这些活动现在计入该单位" in done.text
    rejected = client.post("/review/proposals/reject", data={"csrf": csrf, "message": second["message_id"],
                                                             "reason": "纸质材料已报"}, follow_redirects=True)
    assert "不计入：这些活动不计入该单位" in rejected.text

    after = _export(season)
    mine = [a for a in after["activities"] if a["message_id"] == first["message_id"]]
    assert [a["title"] for a in mine] == [p["title"] for p in rows[:-1]] and mine[0]["participants"] == 99
    assert not [a for a in after["activities"] if a["message_id"] == second["message_id"]]
    assert "纸质材料已报" in next(m for m in after["messages"] if m["message_id"] == second["message_id"])["reason"]
    store = Store(season.parent / "var" / "ledger.sqlite3")
    actions = [(r.action, r.ok) for r in store.audit_log()][::-1]
    assert actions == [("confirm_proposals", 0), ("confirm_proposals", 1), ("reject_proposals", 1)]
    store.close()
