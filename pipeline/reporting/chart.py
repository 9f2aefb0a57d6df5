"""The digest's chart: progress by category and submissions per day, as a PNG for an inline image.

Drawn with matplotlib (Agg, no display) in a CJK font so the Chinese labels show as text, not
as empty boxes: WenQuanYi Micro Hei (``fonts-wqy-microhei``, installed by setup.sh) on Linux,
Microsoft YaHei / SimHei on Windows, PingFang on macOS.
"""
from __future__ import annotations

import io
import itertools
import logging
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CJK_FONTS = ["WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC"]
FONT_FILES = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf"]
SHORT_LABELS = {"county": "县（市）区", "zone": "开发区", "member": "成员单位", "society": "市级学会",
                "enterprise_sa": "企业科协", "college_sa": "院校科协", "base": "科普基地", "project": "项目单位"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Configure matplotlib for Chinese text; returns the family used, or None (labels would be boxes)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager

    for path in FONT_FILES:  # make sure the installed file is known even with a stale font cache
        if Path(path).exists():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                pass
    available = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in available), None)
    if found is None:
        log.warning("no Chinese font found for the digest chart (install fonts-wqy-microhei); "
                    "its labels will not be readable")
    matplotlib.rcParams["font.sans-serif"] = ([found] if found else []) + ["DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack U+2212
    return found


def progress_chart(categories: list[dict], per_day: list[tuple[date, int]], *, title: str = "",
                   note: str = "") -> bytes:
    """``categories``: dicts with code, submitted, expected, reported, required (in display order);
    ``per_day``: (day, submissions received that day) over the campaign's period; ``note``: what lies
    outside it ("期后收到2封（未画入）"). Returns PNG bytes, ~640 px wide for a phone."""
    cjk_font()
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 8.0), dpi=100,
                                      gridspec_kw={"height_ratios": [max(3, len(categories)), 4]})
    try:
        _category_bars(top, categories)
        _daily_bars(bottom, per_day, note)
        if title:
            fig.suptitle(title, fontsize=14)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def _category_bars(top: Any, categories: list[dict]) -> None:
    """Units that sent against units expected, one bar per category."""
    labels = [SHORT_LABELS.get(c["code"], c["code"]) for c in categories][::-1]
    done = [c["submitted"] for c in categories][::-1]
    expected = [c["expected"] for c in categories][::-1]
    rows = range(len(labels))
    top.barh(rows, expected, color="#e3e8ef", label="应报送单位")
    top.barh(rows, done, color="#2f6fb5", label="已报送单位")
    for y, (d, e) in enumerate(zip(done, expected)):
        top.text(e, y, f" {d}/{e}", va="center", fontsize=13, color="#333")
    top.set_yticks(list(rows), labels, fontsize=14)
    top.tick_params(axis="x", labelsize=12)
    top.set_xlim(0, max(expected + [1]) * 1.25)
    top.set_title("各类别报送进度（单位数）", fontsize=15, loc="left", pad=22)
    top.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=12, frameon=False, ncol=2,
               borderaxespad=0.0, bbox_transform=top.transAxes)
    for side in ("top", "right"):
        top.spines[side].set_visible(False)


def _daily_bars(bottom: Any, per_day: list[tuple[date, int]], note: str) -> None:
    """Submissions per day (bars) and their running total (line), with the note on what lies outside."""
    days = [d for d, _ in per_day]
    counts = [n for _, n in per_day]
    if days:
        bottom.bar(range(len(days)), counts, color="#3a9e6e")
        step = max(1, -(-len(days) // 6))
        ticks = list(range(0, len(days), step))
        bottom.set_xticks(ticks, [f"{days[i].month}/{days[i].day}" for i in ticks], fontsize=12)
        cumulative = list(itertools.accumulate(counts))
        twin = bottom.twinx()
        twin.plot(range(len(days)), cumulative, color="#d9822b", marker="o", markersize=3, label="累计")
        twin.set_ylim(0, max(cumulative + [1]) * 1.15)
        twin.tick_params(labelsize=12)
        twin.legend(loc="upper left", fontsize=12, frameon=False)
    else:
        bottom.text(0.5, 0.5, "尚未收到报送", ha="center", va="center", fontsize=12, transform=bottom.transAxes)
        bottom.set_xticks([])
    bottom.set_title("每日收到的报送邮件（柱）及累计（线）", fontsize=15, loc="left")
    if note:
        bottom.text(1.0, -0.16, note, ha="right", va="top", fontsize=12, color="#c0392b",
                    transform=bottom.transAxes)
    bottom.tick_params(axis="y", labelsize=12)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.spines["top"].set_visible(False)
