"""The benchmark's mailbox: realistic sample mails grown to the size real ones have.

``samples.generate`` writes mails of ~50 KB; real summaries carry photos and weigh 100–300 KB.
Here each mail that has attachments is padded to a size drawn from [100, 300] KB: photos
(incompressible PNGs) go into its Word file when it has one (python-docx ``add_picture``, as a
clerk would paste them), else a photo attachment is added. A few Word/Excel files are turned
into legacy .doc/.xls by LibreOffice (names kept; the parsers go by content). Mail without
attachments (auto-replies, questions) keeps its size. Everything is byte surgery on the raw
mail, so headers, encodings and names stay exactly what the generator wrote.
"""
from __future__ import annotations

import base64
import email
import io
import math
import random
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import samples

KB = 1024
MAX_UNITS = 420  # samples.units runs out of distinct names beyond this
DOCX_MAGIC = b"word/document.xml"


@dataclass
class Corpus:
    units_csv: str
    mailbox_addr: str
    admins: list[str]
    raws: list[bytes]
    received: list[datetime]
    legacy: dict[str, int]

    @property
    def total_bytes(self) -> int:
        return sum(len(r) for r in self.raws)


def png(rng: random.Random, nbytes: int) -> bytes:
    """An RGB PNG of noise, about ``nbytes`` long (noise does not compress, like a photo)."""
    width = 400
    height = max(1, nbytes // (width * 3))
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b"")


def docx_with_photos(data: bytes, rng: random.Random, nbytes: int, photos: int | None = None) -> bytes:
    import docx
    from docx.shared import Cm

    document = docx.Document(io.BytesIO(data))
    photos = photos or max(1, min(4, nbytes // (60 * KB)))
    document.add_paragraph("活动照片")
    for _ in range(photos):
        document.add_picture(io.BytesIO(png(rng, nbytes // photos)), width=Cm(12))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _b64(data: bytes, eol: bytes) -> bytes:
    enc = base64.b64encode(data)
    return eol.join(enc[i:i + 76] for i in range(0, len(enc), 76))


def _attachments(raw: bytes) -> list[tuple[bytes, bytes]]:
    """(base64 text as it sits in the raw mail, decoded bytes) of each base64 attachment."""
    msg = email.message_from_bytes(raw)
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_filename() is None:
            continue
        if (part.get("Content-Transfer-Encoding") or "").strip().lower() != "base64":
            continue
        text = part.get_payload(decode=False)
        if not isinstance(text, str):
            continue
        block = text.strip().encode("ascii", "replace")
        if block and raw.count(block) == 1:
            out.append((block, base64.b64decode(block)))
    return out


def _add_photo_part(raw: bytes, photo: bytes, index: int) -> bytes | None:
    msg = email.message_from_bytes(raw[:65536].split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    boundary = msg.get_boundary()
    if not boundary or not msg.get_content_type().startswith("multipart/"):
        return None
    close = f"--{boundary}--".encode()
    at = raw.rfind(close)
    if at < 0:
        return None
    name = base64.b64encode(f"活动照片{index}.png".encode()).decode()
    part = (f"--{boundary}\r\nContent-Type: image/png;\r\n\tname=\"=?UTF-8?B?{name}?=\"\r\n"
            f"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n"
            f"\tfilename=\"=?UTF-8?B?{name}?=\"\r\n\r\n").encode() + _b64(photo, b"\r\n") + b"\r\n"
    return raw[:at] + part + raw[at:]


def pad(raw: bytes, rng: random.Random, low: int = 100 * KB, high: int = 300 * KB) -> bytes:
    target = rng.randint(low, high)
    missing = target - len(raw)
    if missing <= 0:
        return raw
    parts = _attachments(raw)
    if not parts:
        return raw
    payload = int(missing / 1.37)  # base64 + line ends
    for block, data in parts:
        if data[:2] == b"PK" and DOCX_MAGIC in data:
            grown = docx_with_photos(data, rng, payload)
            return raw.replace(block, _b64(grown, b"\r\n"), 1)
    return _add_photo_part(raw, png(rng, payload), 1) or raw


def convert_legacy(files: list[tuple[str, bytes]], fmt: str) -> list[bytes | None]:
    """Word → .doc or Excel → .xls with LibreOffice in one call; None where that fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not files:
        return [None] * len(files)
    with tempfile.TemporaryDirectory(prefix="bench-lo") as tmp:
        work = Path(tmp)
        sources = []
        for i, (ext, data) in enumerate(files):
            path = work / f"f{i}.{ext}"
            path.write_bytes(data)
            sources.append(path)
        (work / "out").mkdir()
        subprocess.run([soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", fmt, "--outdir", str(work / "out"), *map(str, sources)],
                       capture_output=True, timeout=300, env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
        out = []
        for path in sources:
            result = work / "out" / f"{path.stem}.{fmt.split(':')[0]}"
            out.append(result.read_bytes() if result.is_file() else None)
        return out


def _legacy(raws: list[bytes], rng: random.Random, n_doc: int, n_xls: int) -> dict[str, int]:
    """Swap a few attachments for their legacy form, in place."""
    docs, xlss = [], []
    for i, raw in enumerate(raws):
        for block, data in _attachments(raw):
            if data[:2] != b"PK":
                continue
            if DOCX_MAGIC in data and len(data) < 120 * KB:
                docs.append((i, block, data))
            elif b"xl/workbook.xml" in data:
                xlss.append((i, block, data))
    chosen_doc = rng.sample(docs, min(n_doc, len(docs)))
    taken = {i for i, _, _ in chosen_doc}
    chosen_xls = rng.sample([x for x in xlss if x[0] not in taken], min(n_xls, len(xlss)))
    done = {"doc": 0, "xls": 0}
    for kind, chosen, src in (("doc", chosen_doc, "docx"), ("xls", chosen_xls, "xlsx")):
        converted = convert_legacy([(src, data) for _, _, data in chosen], kind)
        for (i, block, _), new in zip(chosen, converted):
            if new:
                raws[i] = raws[i].replace(block, _b64(new, b"\r\n"), 1)
                done[kind] += 1
    return done


def build(n: int = 1000, seed: int = 2025, *, legacy_doc: int | None = None, legacy_xls: int | None = None) -> Corpus:
    """``n`` mails. The generator's registry tops out near 420 units (~700 mails); beyond that a
    second round repeats mails under new Message-IDs (units re-sending), so parsing work stays real."""
    sample = samples.generate(seed, n_units=min(MAX_UNITS, max(20, math.ceil(n / 1.6))))
    mails = sample.mails
    raws = [m.raw for m in mails][:n]
    received = [m.received for m in mails][:n]
    round_ = 2
    while len(raws) < n:
        for m in mails[: n - len(raws)]:
            raws.append(m.raw.replace(b"@sample.invalid>", f".r{round_}@sample.invalid>".encode(), 1))
            received.append(m.received)
        round_ += 1
    rng = random.Random(seed)
    legacy = _legacy(raws, rng, n // 200 if legacy_doc is None else legacy_doc,
                     n // 100 if legacy_xls is None else legacy_xls)
    raws = [pad(raw, rng) for raw in raws]
    return Corpus(sample.units_csv(), sample.mailbox_addr, list(sample.admin_addrs), raws, received, legacy)


def big_mail(raws: list[bytes], megabytes: int = 50, seed: int = 1) -> bytes:
    """The first of ``raws`` with a Word attachment, that Word file grown to ``megabytes`` of photos."""
    rng = random.Random(seed)
    for raw in raws:
        for block, data in _attachments(raw):
            if data[:2] == b"PK" and DOCX_MAGIC in data:
                grown = docx_with_photos(data, rng, megabytes * KB * KB, photos=10)
                raw = raw.replace(block, _b64(grown, b"\r\n"), 1)
                return raw.replace(b"Message-ID: <", b"Message-ID: <big-", 1)
    raise ValueError("no mail with a Word attachment")
