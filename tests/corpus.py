"""Where the collected real-world nasty files live: ../shared/corpus beside the checkout (optional),
and the Maildir that puts all of them through the pipeline (tests/test_corpus_pipeline.py, bench/tree_memory.py)."""
import mailbox
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def office_mail(n: int, path: Path) -> bytes:
    """A unit's mail carrying one corpus Office file as its attachment."""
    message = EmailMessage()
    message["From"] = "路南区科协 <lunan_kx@126.com>"
    message["To"] = "tskxpjb@126.com"
    message["Subject"] = f"路南区科普月活动总结（{path.name}）"
    message["Message-ID"] = f"<corpus-office-{n}@example.org>"
    message["Date"] = format_datetime(datetime(2025, 9, 15, 2, n % 60, tzinfo=timezone.utc))
    message.set_content("总结见附件。")
    message.add_attachment(path.read_bytes(), maintype="application", subtype="octet-stream", filename=path.name)
    return message.as_bytes()


def corpus_maildir(where: Path) -> tuple[int, int]:
    """Every corpus mail, and every corpus Office file in a unit's mail, into ``where/inbox``; a registry
    with that one unit in ``where/units.csv``. Returns how many of each (mails, Office files)."""
    box = mailbox.Maildir(where / "inbox", create=True)
    mails = sorted(p for sub in ("mail", "peer") for p in (CORPUS / sub).rglob("*") if p.is_file()
                   and p.suffix != ".json")
    offices = sorted(p for p in (CORPUS / "office").rglob("*") if p.is_file())
    for path in mails:
        box.add(path.read_bytes())
    for n, path in enumerate(offices):
        box.add(office_mail(n, path))
    (where / "units.csv").write_text("unit_id,name,category,aliases,emails\nlunan,路南区,county,,lunan_kx@126.com\n",
                                     encoding="utf-8")
    return len(mails), len(offices)
