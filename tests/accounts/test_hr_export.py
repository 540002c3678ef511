"""HR downloads the officials list (CSV or XLSX) with the page's filters: only its scope, the
full department path, Vietnamese intact, formulas neutralised, each export in the audit log."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import select

from learning.accounts.models import AuditEvent
from tests import factories
from tests.conftest import page_text
from tests.test_no_server_errors import QUERY_HOSTILE

HEADER = ["Mã cán bộ", "Họ và tên", "Tên đăng nhập", "Đơn vị", "Chức vụ", "Email", "Vai trò",
          "Trạng thái", "Lần đăng nhập gần nhất"]


@pytest.fixture
def ministry(db):
    """Bộ Ngoại giao > {Cục Lãnh sự > Phòng Hộ chiếu, Văn phòng Bộ}, with one official in each
    unit, one in no department and one whose name is a formula."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    office = factories.DepartmentFactory(name="Văn phòng Bộ", parent=root)
    people = {
        "trang": factories.UserFactory(full_name="Trịnh Thị Thu Trang", department=consular,
                                       staff_number="CB-0001", job_title="Chuyên viên chính",
                                       last_sign_in_at=datetime(2026, 11, 5, 2, 30,
                                                                tzinfo=timezone.utc)),
        "ngoc": factories.UserFactory(full_name="Dương Thị Bích Ngọc", department=passports,
                                      staff_number="CB-0002", roles={"mentor", "learner"}),
        "evil": factories.UserFactory(full_name='=HYPERLINK("http://evil.example","Bấm")',
                                      department=passports, staff_number="-2+3"),
        "thang": factories.UserFactory(full_name="Hoàng Văn Thắng", department=office),
        "dinh": factories.UserFactory(full_name="Lê Vô Định", department=None),
    }
    factories.UserFactory(full_name="Ngô Bảo Châu", department=passports, is_active_account=False)
    db.session.commit()
    return {"root": root, "consular": consular, "passports": passports, "office": office,
            **people}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_sheet(response):
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.get_data())).active


def scoped_hr(login_as, ministry):
    return login_as("hr", "learner", hr_scope=ministry["consular"],
                    department=ministry["consular"], full_name="Phạm Thu Hà")


def test_scoped_hr_exports_only_its_subtree_as_csv(client, login_as, ministry):
    scoped_hr(login_as, ministry)
    rows = csv_rows(client.get("/hr/officials?format=csv"))
    assert rows[0] == HEADER
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"Trịnh Thị Thu Trang", "Dương Thị Bích Ngọc", "Ngô Bảo Châu",
                            "Phạm Thu Hà", "'" + ministry["evil"].full_name}
    trang = by_name["Trịnh Thị Thu Trang"]
    assert trang[0] == "CB-0001"
    assert trang[3] == "Bộ Ngoại giao/Cục Lãnh sự"  # exports keep the full path
    assert trang[4] == "Chuyên viên chính"
    assert trang[6] == "Học viên"
    assert trang[7] == "Đang hoạt động"
    assert trang[8] == "2026-11-05 09:30:00"  # the ministry's wall time (UTC+7)
    assert by_name["Dương Thị Bích Ngọc"][3] == "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu"
    assert by_name["Dương Thị Bích Ngọc"][6] == "Học viên, Người hướng dẫn"
    assert by_name["Ngô Bảo Châu"][7] == "Đã khóa"
    assert by_name["'" + ministry["evil"].full_name][0] == "'-2+3"


def test_the_export_keeps_the_filters_and_the_vietnamese_order(client, login_as, ministry):
    login_as("hr", "learner")  # the whole ministry
    everyone = csv_rows(client.get("/hr/officials?format=csv"))
    assert {"Hoàng Văn Thắng", "Lê Vô Định"} <= {row[1] for row in everyone}
    names = [row[1] for row in everyone[1:]]
    # given names first: Châu, Định, Hà?, Ngọc, ..., Thắng, Trang
    assert names.index("Ngô Bảo Châu") < names.index("Dương Thị Bích Ngọc") < names.index(
        "Hoàng Văn Thắng") < names.index("Trịnh Thị Thu Trang")
    unit = csv_rows(client.get(f"/hr/officials?format=csv&department={ministry['passports'].id}"))
    assert {row[1] for row in unit[1:]} == {"Dương Thị Bích Ngọc", "Ngô Bảo Châu",
                                             "'" + ministry["evil"].full_name}
    found = csv_rows(client.get("/hr/officials?format=csv&q=thu trang"))
    assert [row[1] for row in found[1:]] == ["Trịnh Thị Thu Trang"]


def test_scoped_hr_cannot_export_a_department_outside_its_scope(client, login_as, ministry):
    scoped_hr(login_as, ministry)
    rows = csv_rows(client.get(f"/hr/officials?format=csv&department={ministry['office'].id}"))
    assert rows == [HEADER]
    assert client.get("/hr/officials?format=xlsx&department=999999").status_code == 404


def test_the_xlsx_export_has_real_cells_and_a_vietnamese_name(client, login_as, ministry):
    scoped_hr(login_as, ministry)
    response = client.get("/hr/officials?format=xlsx&q=trang")
    assert response.is_streamed
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Can bo 20')
    filename = unquote(disposition.split("filename*=UTF-8''")[1])
    assert filename.startswith("Cán bộ 20") and filename.endswith(".xlsx")
    sheet = xlsx_sheet(response)
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["B2"].value == "Trịnh Thị Thu Trang"
    assert sheet["D2"].value == "Bộ Ngoại giao/Cục Lãnh sự"
    assert sheet["I2"].is_date and sheet["I2"].value == datetime(2026, 11, 5, 9, 30)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I2"
    assert sheet.max_row == 2


def test_each_export_is_in_the_audit_log(client, login_as, ministry, db):
    hr = scoped_hr(login_as, ministry)
    client.get(f"/hr/officials?format=xlsx&q=thi&department={ministry['passports'].id}")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.actor_id == hr.id and event.target_type == "officials"
    assert json.loads(event.details) == {
        "format": "xlsx", "rows": 1, "q": "thi",
        "department": "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu"}
    client.get("/hr/officials")  # the page itself is not an export
    client.get("/hr/officials?format=pdf")  # nor is an unknown format (the page)
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "export")).all()) == 1


def test_the_page_links_to_downloads_with_its_filters(client, login_as, ministry):
    scoped_hr(login_as, ministry)
    department = ministry["passports"].id
    html = client.get(f"/hr/officials?q=Ngọc&department={department}").data.decode()
    assert f'href="/hr/officials?q=Ng%E1%BB%8Dc&amp;department={department}&amp;format=csv"' \
        in html
    assert f"department={department}&amp;format=xlsx" in html
    assert "Tải CSV" in page_text(client.get("/hr/officials"))
    assert "Tải Excel" in page_text(client.get("/hr/officials"))


def test_learners_cannot_export(client, login_as, ministry, db):
    login_as("learner", department=ministry["consular"])
    assert client.get("/hr/officials?format=csv").status_code == 403
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_the_export_reads_officials_in_a_fixed_number_of_queries(client, login_as, ministry,
                                                                 count_queries, db):
    login_as("hr", "learner")

    def statements() -> int:
        with count_queries() as counted:
            response = client.get("/hr/officials?format=csv")
            response.get_data()
        return len(counted)

    few = statements()
    for number in range(30):
        factories.UserFactory(full_name=f"Nguyễn Văn {number}", department=ministry["office"],
                              roles={"learner", "mentor"})
    db.session.commit()
    assert statements() == few


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("url", ["/hr/officials", "/hr/certificates"])
def test_hostile_filters_never_break_an_export(client, login_as, ministry, url, fmt):
    login_as("hr", "learner")
    for value in QUERY_HOSTILE + ("\x01=cmd", "%", "_"):
        response = client.get(url, query_string={"format": fmt, "q": value,
                                                 "department": value, "course": value})
        assert response.status_code in (200, 404), (value[:40], response.status_code)
        response.get_data()
        response.close()


def test_the_rows_are_read_only_when_the_file_streams(db, ministry, count_queries):
    from learning import clock
    from learning.accounts import services as accounts

    hr = factories.UserFactory(roles={"hr"}, hr_scope=ministry["consular"])
    db.session.commit()
    hr.grant("hr")
    with count_queries() as counted:
        total, records = accounts.export_officials(hr, fmt="csv", now=clock.now())
    assert total == 4 and len(counted) == 1  # the COUNT: the rows wait for the response
    db.session.commit()
    assert len(list(records)) == 4
