"""How long the review page's page images take: drawing a page (no OCR) and serving it again from data_dir.

A stamped scan (PDF, 200 dpi), a phone photo (JPEG) and a Word file with a pasted picture, made by
tests/scanbuild.py from tables LibreOffice laid out, are mailed to a local Maildir and polled; then the
console's route is asked for each page: the first request draws it in the parser sandbox, the next ones are
cache hits. Usage: python bench/page_image.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import email.message
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import scanbuild as sb  # noqa: E402
import scantables as st  # noqa: E402
import yaml  # noqa: E402

from parsers.page_image import render_page_png  # noqa: E402


def _files() -> dict[str, tuple[bytes, str, str]]:
    page = sb.rasterise(sb.table_pdf(st.TABLE_A, st.TITLE_A), 200)
    scan = sb.scanned(page, 1, 2.0, seal_at=(int(page.width * 0.62), int(page.height * 0.17)))
    photo = sb.photographed(sb.rasterise(sb.table_pdf(st.TABLE_B, st.TITLE_B), 150), 2)
    small = sb.noisy(sb.rasterise(sb.table_pdf(st.TABLE_D), 150), 8)
    picture = sb.encoded(small.crop((0, 0, small.width, small.height // 3)), "PNG")
    return {"扫描件.pdf": (sb.image_pdf([scan]), "application", "pdf"),
            "照片.jpg": (sb.encoded(photo, "JPEG", quality=80), "image", "jpeg"),
            "总结.docx": (sb.docx_with_picture(picture, ["活动开展情况见下表："]), "application",
                        "vnd.openxmlformats-officedocument.wordprocessingml.document")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = _files()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for sub in ("new", "cur", "tmp"):
            (folder / "inbox" / sub).mkdir(parents=True)
        msg = email.message.EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "u@example.org", "tskxpjb@126.com", "路南区科协活动表"
        msg["Date"], msg["Message-ID"] = "Mon, 22 Sep 2025 10:00:00 +0800", "<bench@x>"
        msg.set_content("活动表见附件。")
        for name, (data, main_type, sub_type) in files.items():
            msg.add_attachment(data, maintype=main_type, subtype=sub_type, filename=name)
        raw = msg.as_bytes()
        print("in-process render (no sandbox), median of", args.repeat)
        for name in files:
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                png = render_page_png(raw, name, 1)
                times.append(time.perf_counter() - t)
            assert isinstance(png, bytes), png
            print(f"  {name:10s} {statistics.median(times) * 1000:7.0f} ms  PNG {len(png) / 1024:6.0f} KB")
        (folder / "inbox" / "new" / "1.bench").write_bytes(raw)
        (folder / "units.csv").write_text("unit_id,name,category,aliases,emails\nlunan,路南区科协,member,,u@example.org\n",
                                          encoding="utf-8")
        (folder / "config.yaml").write_text(yaml.safe_dump({
            "mailbox": {"maildir": "inbox"}, "smtp": {"outdir": "sent"}, "data_dir": "var",
            "campaign": {"units": "units.csv"}}), encoding="utf-8")
        _through_console(folder / "config.yaml", list(files), args.repeat)


def _through_console(config_path: Path, names: list[str], repeat: int) -> None:
    from pipeline.config import load_config
    from pipeline.runtime.console import create_app, page_images
    from run import main as run

    assert run(["--config", str(config_path), "poll"]) == 0
    client = create_app(load_config(config_path)).test_client()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": "bench", "csrf": token})
    print("through the console (sandbox; first request draws, the rest are cache hits)")
    for name in names:
        url = f"/review/page.png?key=<bench@x>&file={name}&page=1"
        t = time.perf_counter()
        first = client.get(url)
        cold = time.perf_counter() - t
        hits = []
        for _ in range(repeat):
            t = time.perf_counter()
            assert client.get(url).status_code == 200
            hits.append(time.perf_counter() - t)
        print(f"  {name:10s} first {cold * 1000:7.0f} ms ({first.status_code})  "
              f"hit {statistics.median(hits) * 1000:5.1f} ms")
    print("stats:", page_images.STATS)


if __name__ == "__main__":
    main()
