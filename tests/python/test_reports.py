"""Reports in the formats hospitals use: the repair report as a real XLSX workbook (opened with
openpyxl: Chinese headers, numbers as numbers, the figures of the JSON report) and as a PDF
(pdftotext finds the figures), on SQLite and PostgreSQL."""

import base64
import datetime
import io
import re
import subprocess

import openpyxl
import openpyxl.utils
import pytest

import houqin
from conftest import HOSPITAL

RANGE = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


def _orders(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    desk = platform.user_with("desk", "desk", ["repair.report", "bi.read"])
    room = store.find(houqin.site.Room, limit=1)[0]
    for category, n in (("electrical", 3), ("plumbing", 2)):
        for i in range(n):
            houqin.services.repair.report(store, desk, room_id=room.id, category=category,
                                          description=f"{category} {i}", urgency="medium")
    return store, desk


def _bytes(document):
    assert document["encoding"] == "base64"
    return base64.b64decode(document["data"])


def test_the_repair_report_as_xlsx_has_the_json_reports_figures(platform):
    store, desk = _orders(platform)
    query = dict(RANGE, group_by="category")
    report = houqin.services.repair.report_summary(store, desk, **query)
    doc = houqin.services.repair.report_document(store, desk, query=query, format="xlsx")
    assert doc["content_type"].endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(_bytes(doc)))
    assert book.sheetnames == ["摘要", "明细"]

    summary = {row[0]: row[1] for row in book["摘要"].iter_rows(min_row=2, values_only=True)}
    assert summary["合计 · 上报数"] == report["total"]["reported"] == 5
    assert summary["查询条件 · 起始时间"].year == 2000  # a date-time cell, in local time

    sheet = book["明细"]
    header = [c.value for c in sheet[1]]
    assert "上报数" in header and "分组" in header and "响应时限达标率" in header
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert {r["分组"]: r["上报数"] for r in rows} == {r["key"]: r["reported"]
                                                   for r in report["rows"]}
    assert all(isinstance(r["上报数"], (int, float)) for r in rows)  # numbers, not text
    reported = header.index("上报数") + 1
    assert sheet.cell(row=2, column=reported).number_format == "#,##0"
    # No order was answered yet: the rate is empty, and its column reads as a percentage.
    rate = openpyxl.utils.get_column_letter(header.index("响应时限达标率") + 1)
    assert sheet[f"{rate}2"].value is None
    assert sheet.column_dimensions[rate].number_format == "0.0%"


def test_the_repair_report_as_pdf_carries_its_figures(platform, tmp_path):
    store, desk = _orders(platform)
    doc = houqin.services.repair.report_document(store, desk, format="pdf",
                                                 query=dict(RANGE, group_by="category"))
    assert doc["content_type"] == "application/pdf"
    pdf = tmp_path / "repair.pdf"
    pdf.write_bytes(_bytes(doc))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "维修报告" in text
    assert "Orders per category" in text
    lines = [line.split() for line in text.splitlines()]
    assert any("electrical" in words and "3" in words for words in lines)
    assert any("plumbing" in words and "2" in words for words in lines)
    # Printed in the TrueType CJK font (html::fonts): subset fast and small, not Noto's CFF.
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout
    assert "WenQuanYi" in fonts and "NotoSansCJK" not in fonts, fonts
    assert pdf.stat().st_size < 60_000


def test_an_unknown_format_is_refused_by_name(platform):
    store, desk = _orders(platform)
    with pytest.raises(houqin.InvalidArgument, match="format"):
        houqin.services.repair.report_document(store, desk, format="docx", query=RANGE)


def _pdf_text(doc, path):
    assert doc["content_type"] == "application/pdf"
    path.write_bytes(_bytes(doc))
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_the_quarterly_operation_report_is_kept_and_printed(platform, tmp_path):
    store, _ = _orders(platform)
    admin = platform.user_with("ops", "ops", ["bi.operation_report", "bi.manage"])
    houqin.services.bi.rebuild(store, admin)  # no host runs here: the KPIs from the tables
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    quarter = (now.month - 1) // 3 + 1
    record = houqin.services.bi.operation_report(store, admin, year=now.year, quarter=quarter)
    code = f"OR-{now.year}Q{quarter}"
    assert record["code"] == code and record["revision"] == 1
    # No backup was made: an open problem the report names.
    assert any(p["kind"] == "no_backup" for p in record["report"]["problems"])
    doc = houqin.services.bi.operation_report_document(store, admin, code=code, format="pdf")
    text = _pdf_text(doc, tmp_path / "report.pdf")
    assert f"系统运行报告 {now.year} 年第 {quarter} 季度" in text
    assert "no backup made this quarter" in text
    book = openpyxl.load_workbook(io.BytesIO(_bytes(houqin.services.bi.operation_report_document(
        store, admin, code=code, format="xlsx"))))
    assert book.sheetnames[0] == "摘要"
    summary = {row[0]: row[1] for row in book["摘要"].iter_rows(min_row=2, values_only=True)}
    assert summary["业务指标 · 上报数"] == record["report"]["figures"]["reported"] == 5


def test_the_record_book_has_a_table_of_contents_with_page_numbers(platform, tmp_path):
    store, _ = _orders(platform)
    admin = platform.user_with("ops", "ops", ["bi.operation_report"])
    year = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).year
    doc = houqin.services.bi.record_book(store, admin, year=year)  # a PDF by default
    text = _pdf_text(doc, tmp_path / "book.pdf")
    assert f"{year} 年度维护保养及维修服务记录" in text
    assert "目录" in text
    # Each chapter's entry ends with the page it starts on; chapters start on pages of their own.
    pages = {}
    for line in text.splitlines():
        for chapter in ("二、维修记录", "三、维护保养与巡检", "六、季度运行报告"):
            found = re.search(r"\.{3,}\s*(\d+)\s*$", line)
            if chapter in line and found:
                pages[chapter] = int(found.group(1))
    assert set(pages) == {"二、维修记录", "三、维护保养与巡检", "六、季度运行报告"}
    assert 2 <= pages["二、维修记录"] < pages["三、维护保养与巡检"] < pages["六、季度运行报告"]
    assert "(5)" in text  # five repairs in the contents
    orders = store.find(houqin.repair.WorkOrder)
    assert all(o.code in text for o in orders)
