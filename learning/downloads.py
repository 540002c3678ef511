"""Spreadsheet downloads: a streamed Flask response around learning.spreadsheet's writers.

Every list page that exports calls `download_response` with its columns (titles translated)
and a lazy iterable of rows. The rows must be produced while the response streams, e.g. a
generator over `db.session.execute(select(...).execution_options(yield_per=1000))`: never a
list of every row, which would undo the constant memory the writers keep. The response runs in
the request's context (`stream_with_context`), so the database session and translations stay
usable while it streams.

Must not import feature packages (kernel).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from itertools import chain
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context
from flask_babel import to_user_timezone
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests

from learning import clock, ratelimit
from learning.db import db
from learning.spreadsheet import CSV_MIMETYPE, XLSX_MIMETYPE, Column, iter_csv, iter_xlsx

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}
_ASCII_SPECIAL = str.maketrans({"đ": "d", "Đ": "D"})
_NOT_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def export_format(args: Mapping) -> str | None:
    """Return the export format a list page was asked for (`?format=csv|xlsx`), else None."""
    value = args.get("format")
    return value if value in FORMATS else None


def ascii_filename(filename: str) -> str:
    """Return `filename` in plain ASCII for old clients ("Cán bộ đợt 1.csv": "Can bo dot 1.csv")."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not extension.isalnum():
        stem, extension = filename, ""
    decomposed = unicodedata.normalize("NFKD", stem.translate(_ASCII_SPECIAL))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _NOT_FILENAME.sub("_", plain.encode("ascii", "ignore").decode("ascii"))
    plain = " ".join(plain.split()).strip(" .")
    if not plain.strip("._ -"):
        plain = "export"
    return f"{plain}.{extension}" if extension.isascii() and extension else plain


def content_disposition(filename: str) -> str:
    """Return an attachment header with an ASCII `filename` and the RFC 5987 `filename*` that
    carries the Vietnamese name (which browsers prefer)."""
    filename = _CONTROL.sub("", filename)
    fallback = ascii_filename(filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def spend_pdf_budget() -> None:
    """Count a PDF rendered on demand for the signed-in user (a ranking, a transcript): each
    costs a few hundred milliseconds of a core, so a user gets PDF_LIMIT of them per
    PDF_WINDOW (counted in the database, so across workers); past it, 429 with Retry-After.
    The count is committed at once: a HEAD, whose export is not recorded, still counts."""
    config, now = current_app.config, clock.now()
    key = str(current_user.id)
    allowed = ratelimit.hit("pdf", key, limit=config["PDF_LIMIT"], window=config["PDF_WINDOW"],
                            now=now)
    wait = None if allowed else ratelimit.retry_after("pdf", key, window=config["PDF_WINDOW"],
                                                      now=now)
    db.session.commit()
    if wait is not None:
        raise TooManyRequests(retry_after=wait)


def record_export() -> None:
    """Commit the export's audit record, unless the request is a HEAD: its answer carries no
    file, so nothing was exported (link checkers and scanners send HEADs)."""
    if request.method == "HEAD":
        db.session.rollback()
    else:
        db.session.commit()


def download_response(columns: Sequence[Column], rows: Iterable[Sequence], fmt: str,
                      filename_stem: str, *, sheet_title: str | None = None) -> Response:
    """Return a streamed CSV or XLSX download of `rows` named `filename_stem`.csv|.xlsx.

    The first chunk is made before the response is returned, so an error in the query shows
    as the usual error page rather than a truncated file (for XLSX, whose directory comes last,
    the whole workbook is written to a temporary file first).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "csv":
        chunks = iter_csv(columns, rows)
    else:
        chunks = iter_xlsx(columns, rows, sheet_title=sheet_title or filename_stem)
    first = next(chunks, b"")
    body = stream_with_context(chain([first], chunks))
    response = Response(body, content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = content_disposition(f"{filename_stem}.{fmt}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Lists of people: no shared cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def local_day(moment: datetime | None) -> date | None:
    """Return the day a stored UTC moment falls on in the ministry's time zone."""
    return to_user_timezone(moment).date() if moment is not None else None


def local_time(moment: datetime | None) -> datetime | None:
    """Return a stored UTC moment as the ministry's wall time (naive, as spreadsheets hold)."""
    return to_user_timezone(moment).replace(tzinfo=None) if moment is not None else None
