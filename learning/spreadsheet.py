"""Cells for spreadsheets the platform writes (CSV, XLSX): text that a spreadsheet program
would run as a formula is neutralised (OWASP's CSV-injection rule).

A cell whose text starts with = + - @, a tab or a carriage return gets a leading apostrophe,
so a name like '=HYPERLINK(...)' reaches HR as text. Numbers and dates pass unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
