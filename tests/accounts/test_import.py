"""Importing officials from CSV and XLSX: by service, admin page and `flask users import`."""

from __future__ import annotations

import html
import io
import re
import unicodedata

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from learning import clock
from learning.accounts import importer
from learning.accounts import services as accounts
from learning.accounts.models import Department, RoleGrant, User
from tests.conftest import location_path, sign_in, translated, visible_text

INITIAL = "Mật khẩu đầu tiên 2026"
HEADER = "staff_number,full_name,email,department,job_title,roles"
GOOD_ROWS = [
    "BNG-0104,Đặng Quốc Bảo,bao.dq@mofa.gov.vn,Bộ Ngoại giao/Văn phòng Bộ,Chuyên viên chính,",
    "BNG-0105,Trương Ngọc Ánh,anh.tn@mofa.gov.vn,Bộ Ngoại giao/Văn phòng Bộ,Chuyên viên,"
    "learner;mentor",
    # Typed on a machine that stores decomposed Unicode (NFD): must be stored as NFC.
    unicodedata.normalize(
        "NFD", "BNG-0106,Nguyễn Thị Hương,huong.nt@mofa.gov.vn,Bộ Ngoại giao/Cục Lãnh sự,"
               "Chuyên viên,hr"),
    "BNG-0107,Lê Thị Thu Hà,ha.ltt@mofa.gov.vn,Bộ Ngoại giao/Vụ Tổ chức Cán bộ,"
    "Phó Vụ trưởng,learner;hr:Bộ Ngoại giao",
]
GOOD_CSV = "\n".join([HEADER, *GOOD_ROWS]) + "\n"
BAD_CSV = "\n".join([
    HEADER,
    "BNG-0201,Đặng Quốc Bảo,bao@mofa.gov.vn,Bộ Ngoại giao/Văn phòng Bộ,Chuyên viên,learner",
    ",Trương Ngọc Ánh,anh@mofa.gov.vn,Bộ Ngoại giao,,",
    "BNG-0203,,thang@mofa.gov.vn,Bộ Ngoại giao,,",
    "BNG-0204,Lê Thị Thu Hà,ha-at-mofa.gov.vn,Bộ Ngoại giao,,",
    "BNG-0201,Phạm Đức Anh,anh.pd@mofa.gov.vn,Bộ Ngoại giao,,",
    "BNG-0206,Võ Thị Mai Phương,phuong@mofa.gov.vn,Bộ Ngoại giao,,chief",
    "BNG-0207,Ngô Minh Tuấn,BAO@mofa.gov.vn,Bộ Ngoại giao,,",
]) + "\n"
# (line, column) of every problem in BAD_CSV; line 2 is fine.
BAD_CSV_PROBLEMS = {(3, "staff_number"), (4, "full_name"), (5, "email"), (6, "staff_number"),
                    (7, "roles"), (8, "email")}
CORRECTIONS = {
    ",Trương Ngọc Ánh,": "BNG-0202,Trương Ngọc Ánh,",
    "BNG-0203,,": "BNG-0203,Hoàng Văn Thắng,",
    "ha-at-mofa.gov.vn": "ha.ltt@mofa.gov.vn",
    "BNG-0201,Phạm Đức Anh": "BNG-0205,Phạm Đức Anh",
    ",chief": ",mentor",
    "BAO@mofa.gov.vn": "tuan.nm@mofa.gov.vn",
}


def run_import(text: str, **options) -> importer.ImportReport:
    return importer.import_officials(None, importer.read_csv_text(text), now=clock.now(),
                                     **options)


def user(db, staff_number: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.staff_number == staff_number))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def path_of(db, department_id: int) -> str:
    return accounts.department_path(db.session.get(Department, department_id))


# --- service ---------------------------------------------------------------------------------

def test_csv_import_creates_accounts_departments_and_roles(db):
    report = run_import(GOOD_CSV, initial_password=INITIAL)
    db.session.commit()
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.departments_created == [
        "Bộ Ngoại giao", "Bộ Ngoại giao/Cục Lãnh sự", "Bộ Ngoại giao/Văn phòng Bộ",
        "Bộ Ngoại giao/Vụ Tổ chức Cán bộ"]

    bao, anh, huong, ha = (user(db, f"BNG-010{n}") for n in (4, 5, 6, 7))
    assert bao.full_name.encode() == "Đặng Quốc Bảo".encode()
    assert anh.full_name.encode() == "Trương Ngọc Ánh".encode()
    assert huong.full_name.encode() == unicodedata.normalize("NFC", "Nguyễn Thị Hương").encode()
    assert huong.full_name == "Nguyễn Thị Hương"
    assert path_of(db, huong.department_id) == "Bộ Ngoại giao/Cục Lãnh sự"
    assert path_of(db, bao.department_id) == "Bộ Ngoại giao/Văn phòng Bộ"
    assert bao.job_title == "Chuyên viên chính"
    assert bao.username == "bng-0104"
    assert bao.email == "bao.dq@mofa.gov.vn"

    assert bao.roles == {"learner"}
    assert anh.roles == {"learner", "mentor"}
    assert huong.roles == {"hr"}
    assert huong.grant("hr").scope_department_id == huong.department_id  # own department
    assert ha.roles == {"learner", "hr"}
    assert path_of(db, ha.grant("hr").scope_department_id) == "Bộ Ngoại giao"
    assert all(u.must_change_password for u in (bao, anh, huong, ha))
    # Found by a diacritic-blind search.
    assert [u.full_name for u in accounts.list_officials(None, query="nguyen thi huong")[0]] == [
        "Nguyễn Thị Hương"]


def test_reimporting_the_same_file_changes_nothing(db):
    run_import(GOOD_CSV, initial_password=INITIAL)
    db.session.commit()
    users, grants, departments = count(db, User), count(db, RoleGrant), count(db, Department)
    report = run_import(GOOD_CSV, initial_password=INITIAL)
    db.session.commit()
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert report.departments_created == []
    assert (count(db, User), count(db, RoleGrant), count(db, Department)) == (
        users, grants, departments)


def test_reimport_with_a_changed_job_title_updates_without_duplicates(db):
    run_import(GOOD_CSV)
    db.session.commit()
    users = count(db, User)
    changed = GOOD_CSV.replace("Chuyên viên chính,", "Phó Chánh Văn phòng,")
    report = run_import(changed)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert count(db, User) == users
    assert user(db, "BNG-0104").job_title == "Phó Chánh Văn phòng"
    assert user(db, "BNG-0105").job_title == "Chuyên viên"


def test_reimport_replaces_roles_and_moves_officials(db):
    run_import(GOOD_CSV)
    db.session.commit()
    changed = GOOD_CSV.replace("learner;mentor", "mentor").replace(
        "Bộ Ngoại giao/Văn phòng Bộ,Chuyên viên chính",
        "Bộ Ngoại giao/Cục Lãnh sự,Chuyên viên chính")
    report = run_import(changed)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 2, 2)
    assert user(db, "BNG-0105").roles == {"mentor"}
    assert path_of(db, user(db, "BNG-0104").department_id) == "Bộ Ngoại giao/Cục Lãnh sự"


def test_every_bad_row_is_reported_and_nothing_is_written(db):
    users, departments = count(db, User), count(db, Department)
    report = run_import(BAD_CSV, initial_password=INITIAL)
    db.session.commit()
    assert not report.ok
    assert {e.line for e in report.errors} == {line for line, _ in BAD_CSV_PROBLEMS}
    assert BAD_CSV_PROBLEMS <= {(e.line, e.column) for e in report.errors}
    by_line = {e.line: str(e.message) for e in report.errors if e.column != "username"}
    assert "BNG-0201" in by_line[6] and "2" in by_line[6]  # names the first occurrence
    assert "chief" in by_line[7]
    assert (report.created, report.updated) == (0, 0)
    assert (count(db, User), count(db, Department)) == (users, departments)
    assert user(db, "BNG-0201") is None  # line 2 was fine, but nothing is written


def test_an_email_or_username_of_another_account_is_refused(db):
    run_import(GOOD_CSV)
    db.session.commit()
    text = "\n".join([HEADER + ",username",
                      "BNG-0300,Bùi Thị Lan Anh,BAO.DQ@mofa.gov.vn,Bộ Ngoại giao,,,",
                      "BNG-0301,Ngô Minh Tuấn,tuan@mofa.gov.vn,Bộ Ngoại giao,,,bng-0105"])
    report = run_import(text)
    assert {(e.line, e.column) for e in report.errors} == {(2, "email"), (3, "username")}


def test_unknown_departments_are_refused_when_creation_is_off(db):
    report = run_import(GOOD_CSV, create_departments=False)
    assert {e.column for e in report.errors} == {"department", "roles"}
    assert count(db, Department) == 0


def test_xlsx_with_vietnamese_headers(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã cán bộ", "Họ và tên", "Email", "Đơn vị", "Chức vụ", "Vai trò"])
    sheet.append(["BNG-0104", "Đặng Quốc Bảo", "bao.dq@mofa.gov.vn",
                  "Bộ Ngoại giao/Văn phòng Bộ", "Chuyên viên chính", "học viên; người hướng dẫn"])
    sheet.append([1234, "Trương Ngọc Ánh", None, "Bộ Ngoại giao/Cục Lãnh sự", None, None])
    sheet.append([None, None, None, None, None, None])  # an empty row is skipped
    sheet.append(["BNG-0106", unicodedata.normalize("NFD", "Nguyễn Thị Hương"), None,
                  "Bộ Ngoại giao/Cục Lãnh sự", "Chuyên viên", "nhân sự"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    records = importer.read_records("can-bo.xlsx", buffer.getvalue())
    report = importer.import_officials(None, records, now=clock.now())
    db.session.commit()
    assert report.ok, report.errors
    assert report.created == 3
    assert user(db, "BNG-0104").roles == {"learner", "mentor"}
    assert user(db, "1234").full_name == "Trương Ngọc Ánh"
    assert user(db, "BNG-0106").full_name.encode() == "Nguyễn Thị Hương".encode()
    assert user(db, "BNG-0106").roles == {"hr"}


def test_xlsx_errors_use_sheet_row_numbers(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["staff_number", "full_name", "department"])
    sheet.append(["BNG-0104", "Đặng Quốc Bảo", "Bộ Ngoại giao"])
    sheet.append(["BNG-0105", "", "Bộ Ngoại giao"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = importer.import_officials(
        None, importer.read_records("x.xlsx", buffer.getvalue()), now=clock.now())
    assert [(e.line, e.column) for e in report.errors] == [(3, "full_name")]


def test_semicolon_csv_with_byte_order_mark(db):
    # As Excel writes "CSV UTF-8" with a semicolon list separator (roles then use "|").
    text = GOOD_CSV.replace(";", "|").replace(",", ";")
    data = ("\ufeff" + text).encode("utf-8")
    report = importer.import_officials(None, importer.read_records("x.csv", data),
                                       now=clock.now())
    assert report.ok, report.errors
    assert report.created == 4
    assert user(db, "BNG-0105").roles == {"learner", "mentor"}
    assert user(db, "BNG-0107").roles == {"learner", "hr"}


def test_a_file_without_the_required_columns_is_refused(db):
    with pytest.raises(importer.ImportFileError) as refused:
        run_import("name,email\nĐặng Quốc Bảo,bao@mofa.gov.vn\n")
    assert "staff_number" in str(refused.value.message)


def test_imported_officials_must_change_the_initial_password(client, db):
    run_import(GOOD_CSV, initial_password=INITIAL)
    db.session.commit()
    response = sign_in(client, "bao.dq@mofa.gov.vn", INITIAL)
    assert location_path(response) == "/account/password"
    assert location_path(client.get("/")) == "/account/password"


def test_ten_thousand_rows_with_a_bounded_number_of_statements(db, count_queries):
    """Correctness and the statement count that keeps it fast; the timing is `make bench`."""
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng", "Trương", "Võ", "Bùi", "Đỗ"]
    middle = ["Thị", "Văn", "Ngọc", "Quốc", "Minh", "Thu", "Đức", "Hồng"]
    given = ["Hương", "Bảo", "Ánh", "Hà", "Anh", "Phương", "Thắng", "Tuấn", "Lan", "Ngọc"]
    units = [f"Bộ Ngoại giao/Vụ {n:02d}/Phòng {m}" for n in range(5) for m in "ABCD"]
    lines = [HEADER]
    for n in range(10_000):
        name = f"{family[n % 10]} {middle[n % 8]} {given[(n // 10) % 10]}"
        roles = "learner;mentor" if n % 97 == 0 else ""
        lines.append(f"NV-{n:06d},{name},nv{n:06d}@mofa.gov.vn,{units[n % 20]},"
                     f"Chuyên viên,{roles}")
    records = importer.read_csv_text("\n".join(lines))
    progress: list[int] = []

    with count_queries() as statements:
        report = importer.import_officials(None, records, now=clock.now(),
                                           initial_password=INITIAL, progress=progress.append)
        db.session.commit()

    assert report.ok, report.errors[:5]
    assert report.created == 10_000
    assert len(report.departments_created) == 1 + 5 + 20
    assert len(statements) < 200, f"{len(statements)} SQL statements for 10,000 rows"
    assert sum(progress) == 10_000
    assert count(db, User) == 10_000
    sample = user(db, "NV-004851")
    assert sample.full_name == "Trần Quốc Phương"
    assert sample.email == "nv004851@mofa.gov.vn"
    assert path_of(db, sample.department_id) == "Bộ Ngoại giao/Vụ 02/Phòng D"
    assert user(db, "NV-000097").roles == {"learner", "mentor"}
    assert sample.roles == {"learner"}


# --- admin page ------------------------------------------------------------------------------

def textarea(response, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>',
                      response.data.decode(), re.S)
    return html.unescape(match.group(1)).lstrip("\r\n")


def test_admin_imports_a_file(client, db, login_as):
    login_as("admin")
    response = client.post("/admin/import", data={
        "file": (io.BytesIO(GOOD_CSV.encode()), "can-bo.csv"), "initial_password": INITIAL,
        "create_departments": "y"}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert translated("vi", "Import finished: %(created)d created, %(updated)d updated, "
                      "%(unchanged)d unchanged.", created=4, updated=0, unchanged=0) in \
        visible_text(response)
    assert "Bộ Ngoại giao/Vụ Tổ chức Cán bộ" in visible_text(response)  # new department
    assert user(db, "BNG-0105").full_name == "Trương Ngọc Ánh"


def test_admin_sees_every_error_keeps_the_rows_and_resends_them_corrected(client, db,
                                                                          login_as):
    login_as("admin")
    users = count(db, User)
    response = client.post("/admin/import", data={
        "file": (io.BytesIO(BAD_CSV.encode()), "can-bo.csv"), "initial_password": INITIAL,
        "create_departments": "y"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert count(db, User) == users
    page = response.data.decode()
    error_rows = {(int(line), column) for line, column in
                  re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>", page)}
    assert BAD_CSV_PROBLEMS <= error_rows
    assert {line for line, _ in error_rows} == {line for line, _ in BAD_CSV_PROBLEMS}
    kept = textarea(response, "rows")
    assert kept.splitlines() == BAD_CSV.splitlines()  # same lines, same numbers

    corrected = kept
    for wrong, right in CORRECTIONS.items():
        corrected = corrected.replace(wrong, right)
    response = client.post("/admin/import", data={
        "rows": corrected, "initial_password": INITIAL, "create_departments": "y"})
    assert response.status_code == 200, visible_text(response)[:2000]
    assert count(db, User) == users + 7
    assert user(db, "BNG-0206").full_name == "Võ Thị Mai Phương"
    assert user(db, "BNG-0206").roles == {"mentor"}


def test_admin_import_without_a_file_or_rows_is_an_error(client, login_as):
    login_as("admin")
    response = client.post("/admin/import", data={"create_departments": "y"})
    assert response.status_code == 400
    assert translated("vi", "Choose a file or paste the rows.") in visible_text(response)


def test_the_example_file_imports_cleanly(client, db, login_as):
    login_as("admin")
    response = client.get("/admin/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    report = importer.import_officials(
        None, importer.read_records("officials.csv", response.data), now=clock.now())
    assert report.ok and report.created == 1


# --- command line ----------------------------------------------------------------------------

def test_cli_imports_and_prints_a_summary(runner, db, tmp_path):
    path = tmp_path / "can-bo.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path), "--initial-password", INITIAL])
    assert result.exit_code == 0, result.output
    assert "Imported can-bo.csv: 4 created, 0 updated, 0 unchanged." in result.output
    assert "New department: Bộ Ngoại giao/Cục Lãnh sự" in result.output
    assert user(db, "BNG-0104").full_name == "Đặng Quốc Bảo"

    again = runner.invoke(args=["users", "import", str(path)])
    assert again.exit_code == 0
    assert "Imported can-bo.csv: 0 created, 0 updated, 4 unchanged." in again.output
    assert count(db, User) == 4


def test_cli_reports_every_bad_line_and_exits_non_zero(runner, db, tmp_path):
    path = tmp_path / "can-bo.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    for line, _column in BAD_CSV_PROBLEMS:
        assert f"{path}:{line}: " in result.output
    assert f"{path}:2: " not in result.output
    assert "problem(s) found; nothing was imported." in result.output
    assert count(db, User) == 0


def test_cli_imports_xlsx(runner, db, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for line in [HEADER, *GOOD_ROWS]:
        sheet.append(next(__import__("csv").reader([line])))
    path = tmp_path / "can-bo.xlsx"
    workbook.save(path)
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output
    assert user(db, "BNG-0107").full_name == "Lê Thị Thu Hà"
