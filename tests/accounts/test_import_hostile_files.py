"""Import files made to hurt: a few kilobytes of workbook that declare a million rows by
16,384 columns, a workbook that unzips to gigabytes, department paths thousands of levels deep
or names longer than their column. Each is refused with a message (by line where it is a row's
fault), reading what the file holds rather than what it declares, and nothing is written."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from learning import clock
from learning.accounts import importer
from learning.accounts.departments import MAX_DEPTH, MAX_NAME
from learning.accounts.models import Department, User
from tests.conftest import field_error, translated, visible_text

HEADER = ["staff_number", "full_name", "department"]


def workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            body = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                body = change(body.decode()).encode()
            target.writestr(entry, body)
    return out.getvalue()


GOOD = workbook([HEADER, ["BNG-0104", "Đặng Quốc Bảo", "Bộ Ngoại giao/Văn phòng Bộ"]])


def declared(size: str):
    return lambda xml: re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{size}"/>', xml)


def test_a_workbook_is_read_by_its_cells_not_by_the_size_it_declares():
    # 16,384 columns by a million rows declared in a 5 KB file: two rows of three cells read
    bomb = rewritten(GOOD, declared("A1:XFD1048576"))
    assert len(bomb) < 10_000
    assert importer.read_xlsx(bomb) == [
        (1, HEADER), (2, ["BNG-0104", "Đặng Quốc Bảo", "Bộ Ngoại giao/Văn phòng Bộ"])]


def test_a_workbook_with_a_cell_a_million_rows_down_is_refused(app):
    far = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    bomb = rewritten(GOOD, lambda xml: declared("A1:XFD1048576")(xml).replace(
        "</sheetData>", far + "</sheetData>"))
    assert len(bomb) < 10_000
    with pytest.raises(importer.ImportFileError) as refused:
        importer.read_xlsx(bomb)
    assert str(refused.value.message) == translated(
        "vi", "The file has more than %(rows)s rows: split it into several files.",
        rows="200.000")  # the Vietnamese way


def test_a_workbook_that_unzips_too_large_is_refused_before_it_is_read(app, monkeypatch):
    monkeypatch.setattr(importer, "MAX_XLSX_UNZIPPED", 100_000)
    padding = " " * 100_000  # white space between two tags: compresses to almost nothing
    bomb = rewritten(GOOD, lambda xml: xml.replace("<sheetData>", "<sheetData>" + padding))
    assert len(bomb) < 10_000
    with pytest.raises(importer.ImportFileError) as refused:
        importer.read_xlsx(bomb)
    assert str(refused.value.message) == translated(
        "vi", "The workbook is too large once unzipped: save it as CSV, or split it into "
              "several files.")


def test_a_csv_of_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    rows = "\n".join([",".join(HEADER)] + [f"BNG-{n},Tên {n},Bộ" for n in range(3)])
    with pytest.raises(importer.ImportFileError):
        importer.read_csv_text(rows)
    assert len(importer.read_csv_text(rows.rsplit("\n", 1)[0])) == 3


def csv_of(*departments: str) -> str:
    return "\n".join([",".join(HEADER)] + [
        f"BNG-01{n:02d},Cán bộ {n},{department}" for n, department in enumerate(departments)])


def import_csv(db, text: str):
    records = importer.read_csv_text(text)
    return importer.import_officials(None, records, now=clock.now())


def test_department_paths_too_deep_or_names_too_long_are_row_errors(db):
    deep = "/".join(["Bộ Ngoại giao"] + ["Phòng"] * MAX_DEPTH)  # one level too many
    just = "/".join(["Bộ Ngoại giao"] + ["Phòng"] * (MAX_DEPTH - 1))
    long_name = "Bộ Ngoại giao/" + "Cục " + "x" * MAX_NAME
    report = import_csv(db, csv_of(just, deep, long_name, "Bộ Ngoại giao/Phòng/" + "/x" * 2000))
    assert [(error.line, error.column) for error in report.errors] == [
        (3, "department"), (4, "department"), (5, "department")]
    assert str(report.errors[0].message) == translated(
        "vi", "A department path has at most %(levels)d levels.", levels=MAX_DEPTH)
    assert str(report.errors[1].message) == translated(
        "vi", "A department's name has at most %(length)d characters.", length=MAX_NAME)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    # the deepest allowed path is made
    report = import_csv(db, csv_of(just))
    assert not report.errors and report.created == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Department)) == MAX_DEPTH


def test_the_admin_cannot_make_the_tree_too_deep_by_creating_or_moving(client, db, login_as):
    login_as("admin")
    parent_id = "0"
    for level in range(MAX_DEPTH):
        response = client.post("/admin/departments/new",
                               data={"name": f"Cấp {level + 1}", "parent_id": parent_id})
        assert response.status_code == 302
        parent_id = str(db.session.scalar(select(Department.id).where(
            Department.name == f"Cấp {level + 1}")))
    response = client.post("/admin/departments/new",
                           data={"name": "Cấp 11", "parent_id": parent_id})
    assert response.status_code == 400
    assert field_error(response, "parent_id") == translated(
        "vi", "A department path has at most %(levels)d levels.", levels=MAX_DEPTH)
    # a two-level subtree moved below level 9 would reach level 11
    response = client.post("/admin/departments/new", data={"name": "Vụ", "parent_id": "0"})
    vu = db.session.scalar(select(Department).where(Department.name == "Vụ"))
    client.post("/admin/departments/new", data={"name": "Phòng", "parent_id": str(vu.id)})
    level_9 = db.session.scalar(select(Department.id).where(Department.name == "Cấp 9"))
    response = client.post(f"/admin/departments/{vu.id}",
                           data={"name": "Vụ", "parent_id": str(level_9)})
    assert response.status_code == 400
    assert "10" in visible_text(response)
    level_8 = db.session.scalar(select(Department.id).where(Department.name == "Cấp 8"))
    response = client.post(f"/admin/departments/{vu.id}",
                           data={"name": "Vụ", "parent_id": str(level_8)})
    assert response.status_code == 302  # levels 9 and 10: allowed
