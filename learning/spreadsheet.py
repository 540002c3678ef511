"""Spreadsheets the platform writes (CSV, XLSX): column descriptions, streaming writers, and
cells that a spreadsheet program cannot run as formulas.

Formula neutralisation (OWASP's CSV-injection rule): a text cell that starts with = + - @, a
tab or a carriage return gets a leading apostrophe, so a name like '=HYPERLINK(...)' reaches HR
as text. Numbers, dates and empty cells pass unchanged (-3 stays the number -3).

Both writers take the columns and an iterable of rows (tuples in the columns' order) and yield
bytes as they go; they hold one chunk, never the rows, so 100,000 rows cost what 1,000 do
(tests/test_spreadsheet.py measures it). The caller must produce the rows lazily too (a
generator over `db.session.execute(...).yield_per(1000)`), never a list of everything.

- `iter_csv`: for other programs (an HR database import) and for a quick look in Excel: UTF-8
  with a BOM (Excel then reads Vietnamese), RFC 4180 quoting, CRLF line ends, one header row;
  numbers with a '.' decimal point and no thousands separator; dates ISO 8601 YYYY-MM-DD;
  date-times YYYY-MM-DD HH:MM:SS (ISO 8601 / RFC 3339 with a space, which SQL databases and
  Excel both read; "+07:00" follows when the value carries a time zone); percentages as the
  fraction (0.875 for 87.5 %); empty cells for None.
- `iter_xlsx`: for people: real date and number cells (dates shown dd/mm/yyyy, percentages
  87.5%), a bold and frozen header row, an autofilter over the data, column widths; written
  with openpyxl's write-only mode to a temporary file (inline strings, so no table of strings
  grows in memory), which is then yielded in chunks and removed.

Values are written as what they are, whatever the column's kind: a number is a number cell, a
date a date cell, anything else text (neutralised). The kind chooses how a cell is shown in
XLSX, and whether a datetime in it is a day ("date") or a moment ("datetime"). The writers do
not convert time zones: pass the day or wall time the reader should see (stored datetimes are
UTC; convert them to the ministry's zone first).

Must not import other project packages (kernel).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("text", "int", "decimal", "percent", "date", "datetime")
CHUNK_BYTES = 64 * 1024  # what each yield carries, about

# Excel's limits: rows per sheet (the header included), characters per cell, sheet titles.
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL_TEXT = 32_767
SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR; U+FFFE/U+FFFF; lone
# surrogates, which UTF-8 cannot encode): openpyxl refuses them, so they are dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

XLSX_FORMATS = {
    "int": "0",
    "decimal": "0.00",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
DEFAULT_WIDTHS = {"text": 24, "int": 10, "decimal": 12, "percent": 10, "date": 12,
                  "datetime": 17}

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One column of an export: a key, the header title (translated by the caller), the kind
    of its values (text, int, decimal, percent, date, datetime) and an XLSX width in characters
    (by default from the kind and the title)."""

    key: str
    title: str
    kind: str = "text"
    width: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; use one of {KINDS}")

    @property
    def xlsx_width(self) -> float:
        """Return the column's width in XLSX, in characters."""
        if self.width is not None:
            return self.width
        return max(DEFAULT_WIDTHS[self.kind], min(len(str(self.title)) + 4, 50))


def safe_cell(value):
    """Return `value` as a spreadsheet shows it as text: formula-like text is prefixed."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    """Return a row with every cell neutralised."""
    return [safe_cell(value) for value in values]


def csv_text(rows: Iterable[Iterable]) -> str:
    """Return rows as CSV text with a BOM (Excel then reads UTF-8), cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(row))
    return "\ufeff" + out.getvalue()


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _finite(value) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return not isinstance(value, float) or math.isfinite(value)


# --- CSV -------------------------------------------------------------------------------------

def _csv_number(value) -> str:
    if isinstance(value, int):
        return str(value)
    # repr is the shortest text that reads back as the same float; Decimal's "f" format
    # spells it without an exponent (1e-05 -> 0.00001), which every importer reads.
    if isinstance(value, float):
        value = Decimal(repr(value))
    return format(value, "f")


def csv_value(value, kind: str = "text") -> str:
    """Return one cell as `iter_csv` writes it (see the module's docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if _is_number(value):
        return _csv_number(value) if _finite(value) else ""
    if isinstance(value, datetime):
        if kind == "date":
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(_XML_ILLEGAL.sub("", str(value)))


def iter_csv(columns: Sequence[Column], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """Yield a CSV file in chunks: the BOM, the header row, then the rows (see the module)."""
    kinds = [column.kind for column in columns]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(str(column.title)) for column in columns])
    for row in rows:
        writer.writerow([csv_value(value, kind) for value, kind in zip(row, kinds, strict=True)])
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode("utf-8", errors="replace")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8", errors="replace")


# --- XLSX ------------------------------------------------------------------------------------

def clean_sheet_title(title: str) -> str:
    """Return `title` as Excel accepts a sheet's name: at most 31 characters, none of
    [ ] : * ? / \\, no apostrophe at either end, not empty and not 'History'."""
    text = _XML_ILLEGAL.sub("", _SHEET_TITLE_FORBIDDEN.sub("-", str(title)))
    text = text[:SHEET_TITLE_MAX].strip().strip("'").strip()
    if not text or text.casefold() == "history":
        return "Sheet1"
    return text


def xlsx_text(value) -> str:
    """Return text as an XLSX cell holds it: XML-illegal characters dropped, at most Excel's
    32,767 characters, formula-like text neutralised."""
    return safe_cell(_XML_ILLEGAL.sub("", str(value))[:XLSX_MAX_CELL_TEXT - 1])


class _Sheet:
    """One write-only worksheet of an export: widths, a bold frozen header, then the rows.

    openpyxl writes a row as soon as it is appended, so one styled cell per number format is
    reused row after row instead of creating a styled cell per value."""

    def __init__(self, workbook, title: str, columns: Sequence[Column]):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheet = workbook.create_sheet(title)
        self.kinds = [column.kind for column in columns]
        self.rows = 0
        self.last_column = get_column_letter(max(len(columns), 1))
        for index, column in enumerate(columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.xlsx_width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = WriteOnlyCell(self.sheet, xlsx_text(column.title))
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.reusable = {}
        for number_format in set(XLSX_FORMATS.values()):
            self.reusable[number_format] = self._styled_cell(number_format)

    def _styled_cell(self, number_format: str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.sheet)
        cell.number_format = number_format
        return cell

    def append(self, row: Sequence) -> None:
        """Write one row."""
        cells, used = [], set()
        for value, kind in zip(row, self.kinds, strict=True):
            value, number_format = xlsx_value(value, kind)
            if number_format is not None:
                # a format's reusable cell serves once per row; a second value gets its own
                cell = (self._styled_cell(number_format) if number_format in used
                        else self.reusable[number_format])
                used.add(number_format)
                cell.value = value
                value = cell
            cells.append(value)
        self.sheet.append(cells)
        self.rows += 1

    def finish(self) -> None:
        """Put the autofilter over the header and the rows written."""
        self.sheet.auto_filter.ref = f"A1:{self.last_column}{self.rows + 1}"


def xlsx_value(value, kind: str = "text") -> tuple[object, str | None]:
    """Return one cell as `iter_xlsx` writes it: the value and its number format (None for
    General and text)."""
    if value is None or isinstance(value, bool):
        return value, None
    if _is_number(value):
        if not _finite(value):
            return None, None
        return value, XLSX_FORMATS.get(kind) if kind in ("int", "decimal", "percent") else None
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # Excel has no time zones: the wall time is kept
            value = value.replace(tzinfo=None)
        if kind == "date":
            return value.date(), XLSX_FORMATS["date"]
        return value, XLSX_FORMATS["datetime"]
    if isinstance(value, date):
        return value, XLSX_FORMATS["date"]
    return xlsx_text(value), None


def write_xlsx(target, columns: Sequence[Column], rows: Iterable[Sequence], *,
               sheet_title: str = "Sheet1") -> int:
    """Write an XLSX workbook to `target` (a path or a binary file) in constant memory;
    return the number of data rows. Rows beyond a sheet's limit go on to further sheets."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    base = clean_sheet_title(sheet_title)
    sheets = 1
    sheet = _Sheet(workbook, base, columns)
    total = 0
    try:
        for row in rows:
            if sheet.rows + 1 >= XLSX_MAX_ROWS:
                sheet.finish()
                sheets += 1
                suffix = f" ({sheets})"
                sheet = _Sheet(workbook, base[:SHEET_TITLE_MAX - len(suffix)] + suffix, columns)
            sheet.append(row)
            total += 1
        sheet.finish()
        workbook.save(target)
    finally:
        _remove_temporary_sheets(workbook)
    return total


def _remove_temporary_sheets(workbook) -> None:
    # openpyxl writes each write-only sheet to a temporary file that only a successful save
    # removes (else at exit): a failed export must not leave its rows on disk.
    for worksheet in workbook.worksheets:
        writer = getattr(worksheet, "_writer", None)
        path = getattr(writer, "out", None)
        if isinstance(path, str) and os.path.exists(path):
            try:
                writer.close()
            except Exception:  # the half-written XML may refuse to close; it is removed anyway
                pass
            os.remove(path)


def iter_xlsx(columns: Sequence[Column], rows: Iterable[Sequence], *,
              sheet_title: str = "Sheet1") -> Iterator[bytes]:
    """Yield an XLSX workbook in chunks (see the module). The whole workbook is written to a
    temporary file before the first chunk: XLSX is a zip whose directory comes last."""
    handle, path = tempfile.mkstemp(prefix="hocso-export-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "w+b") as file:
            write_xlsx(file, columns, rows, sheet_title=sheet_title)
            file.seek(0)
            os.unlink(path)  # gone from the directory now; the open file still reads
            path = None
            while chunk := file.read(CHUNK_BYTES):
                yield chunk
    finally:
        if path is not None and os.path.exists(path):
            os.unlink(path)
