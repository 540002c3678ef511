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
  87.5%), a bold and frozen header row, an autofilter over the data, column widths, further
  sheets past Excel's 1,048,576 rows; SpreadsheetML written row by row into a zip in a
  temporary file (inline strings, so no table of strings grows in memory), which is then
  yielded in chunks and removed.

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
import unicodedata
import zipfile
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
# surrogates, which UTF-8 cannot encode): they are dropped from every cell.
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
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS)
                                   or value.lstrip().startswith(FORMULA_STARTS)):
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
    text = " ".join(unicodedata.normalize("NFC", text).split()).strip("'").strip()
    if len(text) > SHEET_TITLE_MAX:  # cut between words when there is one to cut at
        cut = text[:SHEET_TITLE_MAX]
        if text[SHEET_TITLE_MAX] != " " and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        text = cut.strip().strip("'").strip()
    if not text or text.casefold() == "history":
        return "Sheet1"
    return text


def xlsx_text(value) -> str:
    """Return text as an XLSX cell holds it: XML-illegal characters dropped, at most Excel's
    32,767 characters, formula-like text neutralised."""
    return safe_cell(_XML_ILLEGAL.sub("", str(value))[:XLSX_MAX_CELL_TEXT - 1])


# The workbook is written as SpreadsheetML directly (ECMA-376 part 1, the parts Excel needs):
# about ten times faster than a cell object per value (openpyxl's write-only mode took ~15 s
# for 100,000 rows, past a worker's timeout for a national campaign), and every string
# inline, so nothing grows with the rows.
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEADER_STYLE = 1
_STYLES = {"int": 2, "decimal": 3, "percent": 4, "date": 5, "datetime": 6}
_STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="166" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    + "".join(f'<xf numFmtId="{number_format}" fontId="0" fillId="0" borderId="0" xfId="0" '
              'applyNumberFormat="1"/>' for number_format in (1, 2, 164, 165, 166))
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>'
)
_EXCEL_EPOCH = datetime(1899, 12, 30)
_FIRST_SERIAL_DAY = date(1900, 3, 1)  # before it Excel's serials follow Lotus's leap-year bug
_FLUSH_ROWS = 500


def _escape(text: str) -> str:
    # A raw CR would read back as LF (XML normalises line ends): it is written as a reference.
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def column_letter(index: int) -> str:
    """Return the letters of the 1-based column `index` (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _inline(reference: str, text: str, style: int = 0) -> str:
    shown = f' s="{style}"' if style else ""
    return (f'<c r="{reference}"{shown} t="inlineStr"><is><t xml:space="preserve">'
            f"{_escape(text)}</t></is></c>")


def _xlsx_cell(reference: str, value, kind: str) -> str:
    """Return one cell's XML, or "" for an empty cell (see the module: value type first)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if _is_number(value):
        if not _finite(value):
            return ""
        style = _STYLES.get(kind, 0) if kind in ("int", "decimal", "percent") else 0
        shown = f' s="{style}"' if style else ""
        return f'<c r="{reference}"{shown}><v>{_csv_number(value)}</v></c>'
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # Excel has no time zones: the wall time is kept
            value = value.replace(tzinfo=None)
        if kind == "date":
            value = value.date()
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        if day < _FIRST_SERIAL_DAY:  # no Excel serial for it: ISO text
            return _inline(reference, value.isoformat(sep=" ") if isinstance(value, datetime)
                           else value.isoformat())
        if isinstance(value, datetime):
            serial = (value - _EXCEL_EPOCH).total_seconds() / 86400
            return f'<c r="{reference}" s="{_STYLES["datetime"]}"><v>{serial!r}</v></c>'
        serial = (value - _EXCEL_EPOCH.date()).days
        return f'<c r="{reference}" s="{_STYLES["date"]}"><v>{serial}</v></c>'
    return _inline(reference, xlsx_text(value))


class _Workbook:
    """An XLSX package being written into a zip: sheets one after the other, each with widths,
    a bold frozen header row, the rows, and an autofilter over them."""

    def __init__(self, archive: zipfile.ZipFile, columns: Sequence[Column], title: str):
        self.archive = archive
        self.columns = columns
        self.kinds = [column.kind for column in columns]
        self.letters = [column_letter(index) for index in range(1, len(columns) + 1)]
        self.base_title = title
        self.sheets: list[tuple[str, int]] = []  # (title, data rows) of the finished sheets
        self.out = None
        self.rows = 0
        self.pending: list[str] = []

    def start_sheet(self) -> None:
        number = len(self.sheets) + 1
        title = self.base_title
        if number > 1:
            suffix = f" ({number})"
            title = title[:SHEET_TITLE_MAX - len(suffix)] + suffix
        self.title = title
        self.out = self.archive.open(f"xl/worksheets/sheet{number}.xml", "w")
        widths = "".join(f'<col min="{index}" max="{index}" width="{column.xlsx_width:g}" '
                         'customWidth="1"/>' for index, column in enumerate(self.columns, 1))
        header = "".join(_inline(f"{letter}1", xlsx_text(column.title), _HEADER_STYLE)
                         for letter, column in zip(self.letters, self.columns))
        selected = ' tabSelected="1"' if number == 1 else ""
        self._write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f'<sheetViews><sheetView workbookViewId="0"{selected}>'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{widths}</cols>" if widths else ""}'
            f'<sheetData><row r="1">{header}</row>')
        self.rows = 0

    def append(self, row: Sequence) -> None:
        if self.out is None or self.rows + 1 >= XLSX_MAX_ROWS:
            self.finish_sheet()
            self.start_sheet()
        self.rows += 1
        number = self.rows + 1
        cells = "".join(_xlsx_cell(f"{letter}{number}", value, kind)
                        for letter, value, kind in zip(self.letters, row, self.kinds,
                                                       strict=True))
        self.pending.append(f'<row r="{number}">{cells}</row>')
        if len(self.pending) >= _FLUSH_ROWS:
            self._write("".join(self.pending))
            self.pending.clear()

    def _write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))

    def filter_range(self, rows: int, anchor: str = "") -> str:
        last = self.letters[-1] if self.letters else "A"
        return f"{anchor}A{anchor}1:{anchor}{last}{anchor}{rows + 1}"

    def finish_sheet(self) -> None:
        if self.out is None:
            return
        self._write("".join(self.pending) + "</sheetData>"
                    f'<autoFilter ref="{self.filter_range(self.rows)}"/>'
                    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                    'header="0.3" footer="0.3"/></worksheet>')
        self.pending.clear()
        self.out.close()
        self.out = None
        self.sheets.append((self.title, self.rows))

    def finish(self) -> None:
        if self.out is None and not self.sheets:
            self.start_sheet()
        self.finish_sheet()
        count = len(self.sheets)
        sheets = "".join(f'<sheet name="{_attribute(title)}" sheetId="{n}" r:id="rId{n}"/>'
                         for n, (title, _rows) in enumerate(self.sheets, 1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            + _escape("'" + title.replace("'", "''") + "'!" + self.filter_range(rows, "$"))
            + "</definedName>"
            for n, (title, rows) in enumerate(self.sheets))
        writes = {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                          'ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                          for n in range(1, count + 1))
                + "</Types>"),
            "_rels/.rels": (
                f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
                f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>"
                f"<definedNames>{names}</definedNames></workbook>"),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PKG_REL_NS}">'
                + "".join(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" '
                          f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, count + 1))
                + f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" '
                'Target="styles.xml"/></Relationships>'),
            "xl/styles.xml": _STYLES_XML,
        }
        for name, text in writes.items():
            if not text.startswith("<?xml"):
                text = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text
            self.archive.writestr(name, text.encode("utf-8"))


def write_xlsx(target, columns: Sequence[Column], rows: Iterable[Sequence], *,
               sheet_title: str = "Sheet1") -> int:
    """Write an XLSX workbook to `target` (a path or a seekable binary file) in constant
    memory; return the number of data rows. Rows beyond a sheet's limit go on to more sheets."""
    total = 0
    archive = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
    workbook = _Workbook(archive, columns, clean_sheet_title(sheet_title))
    try:
        workbook.start_sheet()
        for row in rows:
            workbook.append(row)
            total += 1
        workbook.finish()
    finally:
        if workbook.out is not None:  # the rows failed: close the entry, keep their error
            workbook.out.close()
        archive.close()
    return total


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
