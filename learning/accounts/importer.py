"""Import officials from CSV or XLSX: parse, check every row, then write all or nothing.

Keyed on the staff number: a re-import updates the existing account and never duplicates it.
Rows are written in bulk (a few statements per thousand rows), so 10,000 rows take seconds.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update

from learning.accounts.audit import role_change, whole_ministry_path
from learning.accounts.models import AuditEvent, RoleGrant, User, user_search_text
from learning.accounts.signals import officials_placed
from learning.accounts.services import (
    PATH_SEPARATOR,
    audit,
    clean_name,
    department_path,
    department_paths,
    ensure_department_path,
    hash_password,
    lock_directory,
    normalize_username,
    path_problem,
    require_admin,
    split_path,
)
from learning.db import db, note_bulk_write
from learning.params import has_unstorable
from learning.text import fold

# Header names we accept for each field (compared folded: case and diacritics ignored).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "staff_number": ("staff_number", "staff number", "staff no", "staff id", "ma can bo",
                     "ma so can bo", "so hieu", "ma nhan vien", "ma cong chuc"),
    "full_name": ("full_name", "full name", "name", "ho va ten", "ho ten"),
    "email": ("email", "e-mail", "email address", "thu dien tu", "dia chi email"),
    "department": ("department", "department_path", "department path", "don vi", "phong ban",
                   "don vi cong tac", "co quan"),
    "job_title": ("job_title", "job title", "title", "position", "chuc vu", "chuc danh"),
    "roles": ("roles", "role", "vai tro", "quyen"),
    "username": ("username", "user name", "login", "ten dang nhap"),
    "language": ("language", "preferred_language", "ngon ngu"),
}
REQUIRED_COLUMNS = ("staff_number", "full_name", "department")
# What one file may hold (officials, group members, tasks' hand-ins lists): a whole ministry
# fits many times over; past it, a file is split. Cells past MAX_COLUMNS are not read.
MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_XLSX_UNZIPPED = 256 * 1024 * 1024  # 200,000 officials unzip to well under 100 MB
ROLE_ALIASES = {
    "learner": "learner", "hoc vien": "learner", "can bo": "learner", "학습자": "learner",
    "mentor": "mentor", "nguoi huong dan": "mentor", "huong dan vien": "mentor", "멘토": "mentor",
    "hr": "hr", "nhan su": "hr", "to chuc can bo": "hr", "인사": "hr",
    "admin": "admin", "quan tri": "admin", "quan tri vien": "admin", "관리자": "admin",
}
ROLE_SPLIT = re.compile(r"[;,|]")
BATCH = 1000


@dataclass
class RowError:
    """One problem in the file, with the line (or sheet row) it is on."""

    line: int
    message: str
    column: str | None = None


@dataclass
class ParsedRow:
    """A row that passed every check, as plain values."""

    line: int
    staff_number: str
    full_name: str
    email: str | None
    department_path: str
    job_title: str | None
    roles: set[str] | None
    hr_scope_path: str | None
    username: str | None
    language: str | None


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    departments_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(Exception):
    """The file cannot be read at all (format, encoding, header)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- reading ---------------------------------------------------------------------------------

NOT_TEXT = _l("The file is not text in UTF-8, or in UTF-16 with a byte order mark. In Excel, "
              "save it as “CSV UTF-8” or “Unicode Text” and choose it again.")
INVALID_CHARACTERS = _l("Remove the invalid characters.")


def decode_text(data: bytes) -> str:
    """Decode a CSV file: UTF-8 (with or without BOM), UTF-16 LE/BE with BOM, else Windows-1258;
    raise ImportFileError for anything else (UTF-16 without BOM, a binary file)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")  # reads the byte order from the mark
        except UnicodeDecodeError:  # an odd number of bytes, a lone surrogate
            raise ImportFileError(NOT_TEXT) from None
    elif b"\x00" in data:
        # Valid UTF-8 would keep them, but no text file has NUL bytes: UTF-16 without its mark
        # (every other byte of Latin text is NUL), a workbook renamed .csv, or binary.
        raise ImportFileError(NOT_TEXT)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # files saved by older Vietnamese Windows settings
            text = data.decode("cp1258", errors="replace")
    if has_unstorable(text):  # control characters: not a text file in any of these encodings
        raise ImportFileError(NOT_TEXT)
    return text


def read_csv_text(text: str) -> list[tuple[int, list[str]]]:
    """Return (line number, cells) for each record of CSV text; the delimiter is sniffed."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    records = []
    line = 1
    try:
        for cells in reader:
            if len(records) == MAX_ROWS:
                raise _too_many_rows()
            records.append((line, cells[:MAX_COLUMNS]))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(_l("Line %(line)d: the CSV cannot be read (%(reason)s).",
                                 line=line, reason=str(exc))) from None
    return records


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return " ".join(str(value).split()) if "\n" in str(value) else str(value)


def _too_many_rows() -> ImportFileError:
    return ImportFileError(_l("The file has more than %(rows)s rows: split it into several "
                              "files.", rows=format_number(MAX_ROWS)))


def _workbook_size(data: bytes) -> int:
    """Return what a workbook's parts take once unzipped, as its zip declares (reading an entry
    stops at its declared size, so a lying header cannot unzip more)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(_l("The file is not a readable Excel workbook (.xlsx).")) from None


def read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    """Return (sheet row number, cells) for each row of the first worksheet: the cells it
    holds, not the size it declares (a 5 KB file may declare 16,384 columns by a million
    rows), the first MAX_COLUMNS of a row, at most MAX_ROWS rows."""
    from openpyxl import load_workbook

    if _workbook_size(data) > MAX_XLSX_UNZIPPED:
        raise ImportFileError(_l("The workbook is too large once unzipped: save it as CSV, or "
                                 "split it into several files."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(_l("The file is not a readable Excel workbook (.xlsx).")) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # no padding of rows to the declared size
        records = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise _too_many_rows()
            records.append((number, [_cell_text(v) for v in row[:MAX_COLUMNS]]))
        return records
    finally:
        workbook.close()


def read_records(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """Read a CSV or XLSX upload into numbered records."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return read_xlsx(data)
    return read_csv_text(decode_text(data))


def read_upload_or_rows(upload, pasted: str | None) -> list[tuple[int, list[str]]]:
    """Read an import form's rows: the uploaded CSV/XLSX file when one was chosen, else the
    pasted CSV text; refuse a form with neither."""
    if upload and upload.filename:
        return read_records(upload.filename, upload.read())
    if (pasted or "").strip():
        return read_csv_text(pasted)
    raise ImportFileError(_l("Choose a file or paste the rows."))


def records_to_csv(records: list[tuple[int, list[str]]]) -> str:
    """Write records back as CSV text whose line numbers match the originals where possible."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    expected = 1
    for line, cells in records:
        while expected < line:
            out.write("\n")
            expected += 1
        writer.writerow([" ".join(c.split()) if "\n" in c else c for c in cells])
        expected += 1
    return out.getvalue()


def map_header(header: list[str]) -> dict[str, int]:
    """Map our field names to column indexes; raise ImportFileError when a column is missing."""
    lookup = {fold(alias): name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
    mapping: dict[str, int] = {}
    for index, title in enumerate(header):
        name = lookup.get(fold(title).replace("_", " ")) or lookup.get(fold(title))
        if name and name not in mapping:
            mapping[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in mapping]
    if missing:
        raise ImportFileError(
            _l("Line 1: the header lacks the column(s) %(columns)s. Expected columns: "
               "staff_number, full_name, email, department, job_title, roles.",
               columns=", ".join(missing))
        )
    return mapping


# --- checking --------------------------------------------------------------------------------

def _parse_roles(value: str, line: int, errors: list[RowError]):
    roles: set[str] = set()
    scope: str | None = None
    for token in ROLE_SPLIT.split(value):
        token = clean_name(token)
        if not token:
            continue
        name, _, path = token.partition(":")
        role = ROLE_ALIASES.get(fold(name))
        if role is None:
            errors.append(RowError(line, _l("Unknown role “%(role)s” (use learner, mentor, hr, "
                                            "admin).", role=name), "roles"))
            continue
        roles.add(role)
        if path.strip():
            if role != "hr":
                errors.append(RowError(line, _l("Only the hr role takes a department scope."),
                                       "roles"))
            scope = PATH_SEPARATOR.join(split_path(path))
    return roles, scope


def check_rows(
    records: list[tuple[int, list[str]]],
    *,
    create_departments: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:
    """Check every row against the file and the database; return good rows and all errors."""
    if not records:
        raise ImportFileError(_l("The file is empty."))
    header_line, header = records[0]
    mapping = map_header(header)
    known_paths = department_paths()
    accounts = db.session.execute(
        select(User.id, User.staff_number, User.username, User.email)
    ).all()
    by_staff = {(r.staff_number or "").casefold(): r for r in accounts if r.staff_number}
    owner_of_email = {r.email.casefold(): r.id for r in accounts if r.email}
    owner_of_username = {r.username.casefold(): r.id for r in accounts}

    def cell(cells, name):
        index = mapping.get(name)
        if index is None or index >= len(cells):
            return None
        return unicodedata.normalize("NFC", cells[index]).strip()

    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    seen_staff: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    seen_username: dict[str, int] = {}
    for done, (line, cells) in enumerate(records[1:], start=1):
        if progress and done % 500 == 0:
            progress(500)
        if not any(c.strip() for c in cells):
            continue
        # Whatever reader made the records, a cell with NUL or control characters would be
        # refused by the database (or break a later export): report it like any bad cell.
        unstorable = [RowError(line, INVALID_CHARACTERS, name) for name in mapping
                      if has_unstorable(cell(cells, name) or "")]
        if unstorable:
            errors.extend(unstorable)
            continue
        row_errors: list[RowError] = []
        staff = clean_name(cell(cells, "staff_number") or "")
        full_name = clean_name(cell(cells, "full_name") or "")
        email_raw = cell(cells, "email") or ""
        dept = PATH_SEPARATOR.join(split_path(cell(cells, "department") or ""))
        job_title = cell(cells, "job_title")
        roles_raw = cell(cells, "roles")
        username_raw = cell(cells, "username")
        language = (cell(cells, "language") or "").lower() or None

        if not staff:
            row_errors.append(RowError(line, _l("The staff number is missing."), "staff_number"))
        elif len(staff) > 40:
            row_errors.append(RowError(line, _l("The staff number is longer than 40 characters."),
                                       "staff_number"))
        elif staff.casefold() in seen_staff:
            row_errors.append(RowError(
                line, _l("Staff number %(staff)s already appears on line %(other)d.",
                         staff=staff, other=seen_staff[staff.casefold()]), "staff_number"))
        else:
            seen_staff[staff.casefold()] = line
        existing = by_staff.get(staff.casefold())
        existing_id = existing.id if existing else None

        if not full_name:
            row_errors.append(RowError(line, _l("The full name is missing."), "full_name"))
        elif len(full_name) > 200:
            row_errors.append(RowError(line, _l("The full name is longer than 200 characters."),
                                       "full_name"))

        email = None
        if email_raw:
            try:
                email = validate_email(email_raw, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                row_errors.append(RowError(line, _l("“%(email)s” is not a valid email address.",
                                                    email=email_raw), "email"))
            else:
                if email in seen_email:
                    row_errors.append(RowError(
                        line, _l("Email %(email)s already appears on line %(other)d.",
                                 email=email, other=seen_email[email]), "email"))
                elif owner_of_email.get(email, existing_id) != existing_id:
                    row_errors.append(RowError(
                        line, _l("Email %(email)s belongs to another account.", email=email),
                        "email"))
                seen_email.setdefault(email, line)

        if not dept:
            row_errors.append(RowError(line, _l("The department is missing."), "department"))
        elif not create_departments and dept.casefold() not in known_paths:
            row_errors.append(RowError(line, _l("Unknown department “%(path)s”.", path=dept),
                                       "department"))
        elif dept.casefold() not in known_paths and (problem := path_problem(split_path(dept))):
            row_errors.append(RowError(line, problem, "department"))

        roles = scope = None
        if roles_raw:
            roles, scope = _parse_roles(roles_raw, line, row_errors)
            if scope and not create_departments and scope.casefold() not in known_paths:
                row_errors.append(RowError(line, _l("Unknown department “%(path)s”.", path=scope),
                                           "roles"))
            elif (scope and scope.casefold() not in known_paths
                  and (problem := path_problem(split_path(scope)))):
                row_errors.append(RowError(line, problem, "roles"))

        username = None
        staff_reported = any(e.column == "staff_number" for e in row_errors)
        if username_raw or (existing is None and staff and not staff_reported):
            username = normalize_username(username_raw or staff)
            if any(ch.isspace() for ch in username) or len(username) > 80:
                row_errors.append(RowError(line, _l("The username must not contain spaces."),
                                           "username"))
            elif username in seen_username:
                row_errors.append(RowError(
                    line, _l("Username %(username)s already appears on line %(other)d.",
                             username=username, other=seen_username[username]), "username"))
            elif owner_of_username.get(username, existing_id) != existing_id:
                row_errors.append(RowError(
                    line, _l("Username %(username)s belongs to another account.",
                             username=username), "username"))
            seen_username.setdefault(username, line)

        if language and language not in ("vi", "en", "ko"):
            row_errors.append(RowError(line, _l("Language must be vi, en or ko."), "language"))

        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(ParsedRow(
            line=line, staff_number=staff, full_name=full_name, email=email,
            department_path=dept, job_title=clean_name(job_title) if job_title is not None
            else None, roles=roles, hr_scope_path=scope, username=username, language=language,
        ))
    return rows, errors


# --- writing ---------------------------------------------------------------------------------

def import_officials(
    actor: User | None,
    records: list[tuple[int, list[str]]],
    *,
    now: datetime,
    initial_password: str | None = None,
    create_departments: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update the officials in `records`; write nothing if any row is bad."""
    require_admin(actor)
    lock_directory(now=now)  # before check_rows reads who exists: one import at a time
    report = ImportReport(rows=max(len(records) - 1, 0))
    rows, errors = check_rows(records, create_departments=create_departments, progress=progress)
    if errors:
        report.errors = errors
        return report

    paths = department_paths()
    before = set(paths)
    for row in rows:
        for path in filter(None, (row.department_path, row.hr_scope_path)):
            if path.casefold() not in paths:
                ensure_department_path(path, paths)
    by_id = {d.id: d for d in paths.values()}
    report.departments_created = sorted(
        department_path(d, by_id) for key, d in paths.items() if key not in before
    )

    existing = {
        (u.staff_number or "").casefold(): u
        for u in db.session.execute(
            select(User.id, User.staff_number, User.full_name, User.email, User.job_title,
                   User.department_id, User.username, User.preferred_language)
        ).all()
        if u.staff_number
    }
    grants: dict[int, dict[str, int | None]] = {}
    for grant in db.session.execute(
        select(RoleGrant.user_id, RoleGrant.role, RoleGrant.scope_department_id)
    ):
        grants.setdefault(grant.user_id, {})[grant.role] = grant.scope_department_id

    password_hash = hash_password(initial_password) if initial_password else None
    inserts, updates, new_roles = [], [], []
    replaced_roles: dict[int, dict[str, int | None]] = {}
    usernames: dict[int, str] = {}
    for row in rows:
        department_id = paths[row.department_path.casefold()].id
        scope_id = paths[row.hr_scope_path.casefold()].id if row.hr_scope_path else department_id
        wanted_roles = (
            {role: (scope_id if role == "hr" else None) for role in row.roles}
            if row.roles else None
        )
        old = existing.get(row.staff_number.casefold())
        if old is None:
            values = {
                "username": row.username,
                "full_name": row.full_name,
                "email": row.email,
                "staff_number": row.staff_number,
                "job_title": row.job_title or "",
                "department_id": department_id,
                "preferred_language": row.language or "vi",
                "is_active_account": True,
                "must_change_password": True,
                "password_hash": password_hash,
                "password_changed_at": now if password_hash else None,
                "created_at": now,
                "updated_at": now,
            }
            values["search_text"] = user_search_text(
                row.full_name, row.username, row.email, row.staff_number
            )
            inserts.append(values)
            new_roles.append(wanted_roles or {"learner": None})
            continue
        values = {
            "full_name": row.full_name,
            "email": row.email,
            "department_id": department_id,
            "job_title": row.job_title if row.job_title is not None else old.job_title,
            "username": row.username or old.username,
            "preferred_language": row.language or old.preferred_language,
        }
        changed = any(getattr(old, key) != value for key, value in values.items())
        roles_changed = wanted_roles is not None and wanted_roles != grants.get(old.id, {})
        if changed:
            values.update(
                id=old.id,
                updated_at=now,
                search_text=user_search_text(
                    values["full_name"], values["username"], values["email"], row.staff_number
                ),
            )
            updates.append(values)
        if roles_changed:
            replaced_roles[old.id] = wanted_roles
            usernames[old.id] = values["username"]
        if changed or roles_changed:
            report.updated += 1
        else:
            report.unchanged += 1

    session = db.session
    for start in range(0, len(updates), BATCH):
        session.execute(update(User), updates[start:start + BATCH])
        if progress:
            progress(0)
    granted: list[tuple[int, str, dict, dict]] = []  # (id, username, old grants, new grants)
    for start in range(0, len(inserts), BATCH):
        chunk = inserts[start:start + BATCH]
        # No RETURNING in parameter order: SQLite cannot batch it and would send one INSERT
        # per row. Insert the batch, then read the new ids back by staff number.
        session.execute(insert(User), chunk)
        id_of = dict(session.execute(
            select(User.staff_number, User.id)
            .where(User.staff_number.in_([values["staff_number"] for values in chunk]))
        ).all())
        grant_rows = [
            {"user_id": id_of[values["staff_number"]], "role": role, "scope_department_id": scope,
             "created_at": now}
            for values, roles in zip(chunk, new_roles[start:start + BATCH], strict=True)
            for role, scope in roles.items()
        ]
        session.execute(insert(RoleGrant), grant_rows)
        granted.extend(
            (id_of[values["staff_number"]], values["username"], {}, roles)
            for values, roles in zip(chunk, new_roles[start:start + BATCH], strict=True)
            if roles != {"learner": None})  # more than the default: worth an event
    granted.extend((user_id, usernames[user_id], grants.get(user_id, {}), roles)
                   for user_id, roles in replaced_roles.items())
    if replaced_roles:
        user_ids = list(replaced_roles)
        for start in range(0, len(user_ids), BATCH):
            session.execute(
                delete(RoleGrant).where(RoleGrant.user_id.in_(user_ids[start:start + BATCH]))
            )
        session.execute(insert(RoleGrant), [
            {"user_id": user_id, "role": role, "scope_department_id": scope, "created_at": now}
            for user_id, roles in replaced_roles.items()
            for role, scope in roles.items()
        ])
    if granted:  # one event per official whose roles changed, in one statement like the rest
        path_of = whole_ministry_path(lambda id_: department_path(by_id[id_], by_id))
        session.execute(insert(AuditEvent), [
            {"at": now, "actor_id": actor.id if actor is not None else None,
             "action": "user.roles", "target_type": "user", "target_id": user_id,
             "details": json.dumps({"username": username, "import": True,
                                    **role_change(old, new, path_of)}, ensure_ascii=False)}
            for user_id, username, old, new in granted
        ])
    session.flush()
    session.expire_all()
    note_bulk_write(session, (User.__tablename__, RoleGrant.__tablename__),
                    len(inserts) + len(updates))
    placed = [values["id"] for values in updates]
    for start in range(0, len(inserts), BATCH):
        placed.extend(session.scalars(select(User.id).where(User.staff_number.in_(
            [values["staff_number"] for values in inserts[start:start + BATCH]]))))
    officials_placed.send("accounts", user_ids=placed, now=now)
    report.created = len(inserts)
    audit(actor, "users.import", "import", now=now, created=report.created,
          updated=report.updated, unchanged=report.unchanged,
          departments_created=len(report.departments_created))
    return report


def iter_template_rows() -> Iterable[list[str]]:
    """Yield a header and an example row for the downloadable import template."""
    yield ["staff_number", "full_name", "email", "department", "job_title", "roles"]
    yield ["NV-000001", "Nguyễn Thị Hương", "huong.nt@example.gov.vn",
           "Bộ Ngoại giao/Cục Cơ yếu - Công nghệ thông tin", "Chuyên viên", "learner"]
