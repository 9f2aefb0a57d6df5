"""Our mail reader against imap_tools' expectations for 113 mails we did not write.

``../shared/corpus/peer/imap_tools/expected.json`` holds what imap_tools (its own test data)
says each mail's subject, sender and attachments are. Fields it marks as following an
imap_tools/stdlib quirk (``exclude``) are left out. Where our model differs on purpose:
- an attached message (message/rfc822) is read as a forwarded mail (``forwarded``, its files
  under "转发邮件N/"), not kept as one opaque attachment;
- a part without a file name is still kept, named "附件N.ext", where imap_tools lists only
  some of them (nameless parts are therefore not compared);
- a subject's surrounding blanks are dropped; Message-IDs are compared ignoring case.
"""
from __future__ import annotations

import json
import re

import pytest
from corpus import CORPUS

from parsers.mime import parse_message

PEER = CORPUS / "peer" / "imap_tools"
EXPECTED = PEER / "expected.json"
MESSAGES = json.loads(EXPECTED.read_text("utf-8"))["messages"] if EXPECTED.is_file() else {}
SYNTHESIZED = re.compile(r"附件\d+(\.\w+)?")

pytestmark = pytest.mark.skipif(not MESSAGES, reason=f"{EXPECTED} is absent (the shared corpus is optional)")


def test_the_whole_set_is_there():
    assert len(MESSAGES) == 113
    assert all((PEER / name).is_file() for name in MESSAGES)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_subject_sender_and_message_id(name):
    expected = MESSAGES[name]
    excluded = expected.get("exclude") or {}
    env = parse_message((PEER / name).read_bytes())
    if "subject" not in excluded:
        assert env.subject.strip() == expected["subject"].strip()
    if "from_" not in excluded:
        assert env.from_addr == expected["from_"].lower()
    if expected["message_id"] is None:
        assert env.message_id is None
    else:
        assert (env.message_id or "").strip("<>").lower() == expected["message_id"].lower()


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_attachment_names(name):
    expected = MESSAGES[name]
    skipped = {e["name"] for e in (expected.get("exclude") or {}).get("attachments", [])}
    parts = expected["attachment_parts"]
    env = parse_message((PEER / name).read_bytes())
    want = [p["name"] for p in parts if p["content_type"] != "message/rfc822" and p["name"]]
    ours = [a.name for a in env.attachments if not SYNTHESIZED.fullmatch(a.name)]
    assert len(ours) == len(want), (ours, want)
    kept = [i for i, n in enumerate(want) if n not in skipped]
    assert [ours[i] for i in kept] == [want[i] for i in kept]
    # files inside an attached message sit under its "转发邮件N/" folder
    nested = [p["name"] for p in parts if p["nested"] and p["content_type"] != "message/rfc822" and p["name"]]
    assert all(a.path.startswith("转发邮件") for a in env.attachments if a.name in nested)
    assert len(env.forwarded) >= sum(p["content_type"] == "message/rfc822" for p in parts)
