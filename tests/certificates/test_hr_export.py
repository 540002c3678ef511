"""HR downloads the certificates list (CSV or XLSX) with the page's filters: only holders in its
scope, real dates and scores, statuses in words, the export in the audit log."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import select

from certificates import services as certificates
from learning import clock
from learning.accounts.models import AuditEvent
from tests import factories
from tests.certificates import steps
from tests.certificates.steps import NAMES, TITLE
from tests.courses.steps import new_client

HEADER = ["Số hiệu", "Người được cấp", "Mã cán bộ", "Đơn vị", "Khóa học", "Phiên bản",
          "Ngày hoàn thành", "Điểm tổng kết (%)", "Ngày cấp", "Có giá trị đến", "Trạng thái"]


@pytest.fixture
def units(app, db, tmp_path):
    """Bộ Ngoại giao > Cục Lãnh sự > Phòng Hộ chiếu, and Cục Cơ yếu: a certificate held in
    Phòng Hộ chiếu (then revoked), one in Cục Cơ yếu, one held by a formula-like name."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    crypto = factories.DepartmentFactory(name="Cục Cơ yếu", parent=root)
    db.session.commit()
    steps.course(tmp_path)
    holder = steps.official(NAMES[0], department=passports, staff_number="CB-0001")
    other = steps.official(NAMES[1], department=crypto)
    evil = steps.official("@SUM(1+1)", department=passports)
    revoked = steps.complete(holder)
    certificates.revoke(None, revoked, "Cấp nhầm", now=clock.now(), category="issued_in_error")
    db.session.commit()
    return {"consular": consular, "crypto": crypto, "holder": holder, "revoked": revoked,
            "others": steps.complete(other), "evil": steps.complete(evil)}


def test_scoped_hr_exports_only_certificates_in_its_subtree(app, units):
    hr = steps.hr_official(scope=units["consular"])
    response = new_client(app, hr).get("/hr/certificates?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    by_holder = {row[1]: row for row in rows[1:]}
    assert set(by_holder) == {NAMES[0], "'@SUM(1+1)"}  # not Cục Cơ yếu's
    row = by_holder[NAMES[0]]
    assert row[0] == units["revoked"].serial and row[2] == "CB-0001"
    assert row[3] == "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu"
    assert row[4] == TITLE
    assert row[6] == steps.local_date(steps.NOW)
    assert row[7] == "87.5"
    assert row[10] == "Đã thu hồi"
    assert by_holder["'@SUM(1+1)"][10] == "Còn hiệu lực"


def test_the_xlsx_export_keeps_the_search_and_has_real_cells(app, units, db):
    hr = steps.hr_official()
    response = new_client(app, hr).get("/hr/certificates?format=xlsx&q=huong")
    assert response.status_code == 200 and response.is_streamed
    assert unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1]) \
        .startswith("Giấy chứng nhận 20")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 2 and sheet["B2"].value == NAMES[0]
    assert sheet["G2"].is_date
    assert sheet["G2"].value == datetime.fromisoformat(steps.local_date(steps.NOW))
    assert sheet["H2"].value == 87.5 and sheet["H2"].data_type == "n"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:K2"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.actor_id == hr.id and event.target_type == "certificates"
    assert json.loads(event.details) == {"format": "xlsx", "rows": 1, "q": "huong",
                                         "course_id": None}


def test_learners_cannot_export_certificates(app, units, db):
    response = new_client(app, units["holder"]).get("/hr/certificates?format=xlsx")
    assert response.status_code == 403
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_the_page_links_to_downloads_with_its_filters(app, units):
    html = new_client(app, steps.hr_official()).get("/hr/certificates?q=Hương").data.decode()
    assert 'href="/hr/certificates?q=H%C6%B0%C6%A1ng&amp;format=csv"' in html
    assert 'href="/hr/certificates?q=H%C6%B0%C6%A1ng&amp;format=xlsx"' in html


def test_the_rows_are_read_only_when_the_file_streams(app, db, units, count_queries):
    hr = steps.hr_official()
    hr.grant("hr")  # loaded now, so that only the export's statements are counted
    with count_queries() as counted:
        total, rows = certificates.export_in_scope(hr, fmt="csv", now=clock.now())
    assert total == 3 and len(counted) == 1  # the COUNT: the rows wait for the response
    db.session.commit()  # as the view does before streaming (which ends any open cursor)
    assert len(list(rows)) == 3
