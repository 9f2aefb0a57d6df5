"""Build the workbooks and Word documents units send, in code (no binary fixtures).

``activity_workbook`` and ``summary_docx`` mimic what a district science association
really sends: a title row, a 填报单位 line, a two-level header with merged cells, totals
at both ends, notes and signature footers, a cover sheet, a contact table.
"""
from __future__ import annotations

import io
import json
from datetime import date, datetime

import docx
import openpyxl
from docx.enum.text import WD_ALIGN_PARAGRAPH

# --- workbooks ------------------------------------------------------------------------------

MAIN_SHEET = "重点活动"
REORDERED_SHEET = "活动明细（二）"


def activity_workbook() -> bytes:
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "填表说明"
    for line in ("填表说明", "1. 活动名称请填写全称。", "2. 活动时间请写明年月日。", "3. 9月26日前报送。"):
        cover.append([line])

    ws = wb.create_sheet(MAIN_SHEET)
    _main_sheet(ws)

    second = wb.create_sheet(REORDERED_SHEET)
    second.append(["活动地点", "活动亮点", "参与人数", "活动名称", "开展时间", "联系人", "联系电话",
                   "是否在平台填报"])
    second.append(["区图书馆", "邀请院士讲座", 260, "院士科普报告会", "2025.9.18", "赵六", "13900000001", "是"])
    second.append(["各中小学", None, "约1.2万人次", "科学实验进校园", "9月中下旬", "赵六", "13900000001", "否"])

    contacts = wb.create_sheet("联系人")
    contacts.append(["单位", "联系人", "职务", "联系电话"])
    contacts.append(["区科协", "张三", "科员", "13800000000"])

    hidden = wb.create_sheet("旧表")
    hidden.append(["活动名称", "活动时间", "活动地点"])
    hidden.append(["作废的活动", "9月1日", "某地"])
    hidden.sheet_state = "hidden"

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _main_sheet(ws) -> None:
    """Rows as a clerk lays them out; the expected sheet rows are noted on the right."""
    ws["A1"] = "XX区全国科普月重点活动统计表"  # R1
    ws.merge_cells("A1:I1")
    ws["A2"] = "填报单位：XX区科协"  # R2
    ws.merge_cells("A2:D2")
    ws["F2"] = "联系人：张三"
    ws["H2"] = "电话：13800000000"
    header = ["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数", None, "主办单位", "备注"]
    for col, label in enumerate(header, start=1):  # R3
        if label:
            ws.cell(row=3, column=col, value=label)
    ws["F4"], ws["G4"] = "线上", "线下"  # R4
    for col in "ABCDEHI":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("F3:G3")
    ws.append(["合计", None, None, None, None, 1200, 800])  # R5: totals right under the header
    ws.merge_cells("A5:E5")
    ws.append([1, "科普讲座进社区", "2025年9月15日", "幸福社区", "线下", None, 300, "区科协", None])  # R6
    ws.append([2, "线上科普知识竞赛", datetime(2025, 9, 20), "线上", "线上", 1200, None, "区教育局"])  # R7
    ws.append([3, "科技馆开放日", "9月21日—23日", "区科技馆", "线下", None, 500, "区科技馆", "免费参观"])  # R8
    ws.append([])  # R9
    ws.append([4, None, "9月25日", "某社区", "线下", None, 80])  # R10: no title
    ws.append([5])  # R11: a pre-numbered empty template row
    ws.append(["合 计", None, None, None, None, 1200, 800])  # R12
    ws.append(["注：参与人数请填写阿拉伯数字。"])  # R13
    ws.merge_cells("A13:I13")
    ws.append(["填表人：李四", None, None, None, "审核人：王五"])  # R14
    ws["C6"].number_format = "@"
    ws["C7"].number_format = "yyyy-mm-dd"


def typed_workbook() -> bytes:
    """One sheet of typed cells, data starting at B3 (leading blank rows and column)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "类型"
    ws["B3"] = "文本"
    ws["C3"] = 500
    ws["D3"] = 9.1
    ws["E3"] = date(2025, 9, 15)
    ws["E3"].number_format = "yyyy-mm-dd"
    ws["F3"] = datetime(2025, 9, 15, 9, 30)
    ws["F3"].number_format = "yyyy-mm-dd hh:mm"
    ws["B4"] = "合并"
    ws.merge_cells("B4:D5")
    ws["E5"] = "尾"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def big_workbook(rows: int, cols: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("大表")
    for r in range(rows):
        ws.append([f"R{r}C{c}" for c in range(cols)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- Word -----------------------------------------------------------------------------------

SUMMARY_TITLE = "XX区2025年全国科普月活动总结"


def summary_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("附件1")
    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(SUMMARY_TITLE).bold = True
    d.add_paragraph("为深入贯彻落实市素质办通知要求，我区围绕“弘扬科学家精神”主题开展了系列活动，现将有关情况总结如下。")
    d.add_paragraph("一、基本情况")
    d.add_paragraph("全区共开展重点科普活动12场，覆盖人数约1.2万人次。")
    d.add_paragraph("二、主要做法")
    d.add_paragraph("（一）加强组织领导。区科协成立工作专班，制定活动方案。")
    d.add_paragraph("（二）丰富活动形式")
    d.add_paragraph("线上线下结合，开展科普讲座、知识竞赛和场馆开放。")
    d.add_heading("三、工作成效", level=1)
    d.add_paragraph("公众科学素质进一步提升。")
    d.add_paragraph("四、典型案例")
    d.add_paragraph("科技馆开放日吸引500余名群众参与。")
    d.add_paragraph("意见建议")
    d.add_paragraph("建议加大经费支持。")
    _activity_table(d)
    d.add_paragraph("联系人及电话如下：")
    contacts = d.add_table(rows=2, cols=4)
    for row, values in zip(contacts.rows, (["单位", "联系人", "职务", "联系电话"],
                                           ["区科协", "张三", "科员", "13800000000"])):
        for cell, value in zip(row.cells, values):
            cell.text = value
    d.add_paragraph("XX区科学技术协会")
    d.add_paragraph("2025年9月20日")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


ACTIVITY_HEADER = ["序号", "活动名称", "活动时间", "活动地点", "参与人数", None]
ACTIVITY_SUBHEADER = [None, None, None, None, "线上", "线下"]


def _activity_table(d) -> None:
    """Title row, two-level header with merges, data, the header repeated, data, totals."""
    data1 = [["1", "科普讲座进社区", "9月15日", "幸福社区", "", "300"],
             ["2", "线上科普知识竞赛", "9月20日", "线上", "1200", ""]]
    data2 = [["3", "科技馆开放日", "9月21日—23日", "区科技馆", "", "500"]]
    rows = 1 + 2 + len(data1) + 2 + len(data2) + 1
    t = d.add_table(rows=rows, cols=6)
    t.style = "Table Grid"
    title = t.cell(0, 0).merge(t.cell(0, 5))
    title.text = "重点活动一览表"

    def header_at(r: int) -> None:
        for c in range(4):
            merged = t.cell(r, c).merge(t.cell(r + 1, c))
            merged.text = ACTIVITY_HEADER[c]
        top = t.cell(r, 4).merge(t.cell(r, 5))
        top.text = "参与人数"
        t.cell(r + 1, 4).text = "线上"
        t.cell(r + 1, 5).text = "线下"

    def data_at(r: int, values: list[str]) -> None:
        for c, v in enumerate(values):
            t.cell(r, c).text = v

    header_at(1)
    r = 3
    for values in data1:
        data_at(r, values)
        r += 1
    header_at(r)  # repeated on "the next page"
    r += 2
    for values in data2:
        data_at(r, values)
        r += 1
    total = t.cell(r, 0).merge(t.cell(r, 3))
    total.text = "合计"
    t.cell(r, 4).text = "1200"
    t.cell(r, 5).text = "800"


def nested_table_docx() -> bytes:
    """A one-cell layout table holding an activity table (a common "form" layout)."""
    d = docx.Document()
    d.add_paragraph("活动情况报告")
    outer = d.add_table(rows=1, cols=1)
    cell = outer.cell(0, 0)
    cell.text = "附：活动列表"
    inner = cell.add_table(rows=2, cols=3)
    for c, v in enumerate(["活动名称", "活动时间", "活动地点"]):
        inner.cell(0, c).text = v
    for c, v in enumerate(["科普大篷车", "9月10日", "XX镇"]):
        inner.cell(1, c).text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def replace_part(docx_bytes: bytes, name: str, transform) -> bytes:
    """Rewrite one zip member (e.g. turn a document into Strict OOXML)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(docx_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == name:
                data = transform(data)
            dst.writestr(info, data)
    return out.getvalue()


# --- running readers on untrusted files in a child process ------------------------------------

_WORKER = r"""
import importlib, json, sys
if sys.platform.startswith("linux"):
    import resource
    limit = int(sys.argv[1]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
module = importlib.import_module(sys.argv[2])
reader, expected = getattr(module, sys.argv[3]), getattr(module, sys.argv[4])
for path in sys.argv[5:]:
    print(json.dumps({"start": path}), flush=True)
    try:
        with open(path, "rb") as fh:
            reader(fh.read())
        outcome = "ok"
    except expected as err:
        outcome = "error: " + str(err)
    except BaseException as err:
        outcome = f"raised {type(err).__name__}: {err}"[:300]
    print(json.dumps({"done": path, "outcome": outcome}), flush=True)
"""


def run_isolated(paths: list[str], module: str, reader: str, error: str, *,
                 per_file_timeout: float = 30, memory_mb: int = 1536) -> dict[str, str]:
    """Run ``module.reader(bytes)`` on each file in a child process that may die.

    Returns path -> "ok" | "error: <reason>" | "raised <Type>: ..." | "crash (exit N)" |
    "timeout". A child that aborts (calamine's OOM abort) or hangs is replaced and the
    remaining files go to a new one. RLIMIT_AS bounds the child's memory on Linux.
    """
    import os
    import queue
    import subprocess
    import sys
    import threading
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONPATH": root}
    results: dict[str, str] = {}
    todo = list(paths)
    while todo:
        proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(memory_mb), module, reader, error, *todo],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=root, env=env)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
        current = None
        while True:
            try:
                line = lines.get(timeout=per_file_timeout)
            except queue.Empty:
                proc.kill()
                results[current or todo[0]] = "timeout"
                break
            if line is None:
                rc = proc.wait()
                if current is not None:
                    results[current] = f"crash (exit {rc})"
                break
            msg = json.loads(line)
            if "start" in msg:
                current = msg["start"]
            else:
                results[msg["done"]] = msg["outcome"]
                current = None
        rc = proc.wait()
        if todo[0] not in results and current is None and not any(p in results for p in todo):
            results[todo[0]] = f"worker failed (exit {rc})"  # never started: keep the loop finite
        todo = [p for p in todo if p not in results]
    return results


def _pump(stream, lines) -> None:
    """Hand a child's output lines to the waiting loop, then None when it ends."""
    for x in stream:
        lines.put(x)
    lines.put(None)
