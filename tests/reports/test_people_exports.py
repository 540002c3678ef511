"""Exports of the people list: /hr/people.csv and .xlsx with the page's filters (read back),
HR's scope, the audit record, and `flask reports export`."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from learning import clock
from learning.accounts.models import AuditEvent
from learning.db import db
from tests import factories
from tests.conftest import DEMO_PASSWORD
from tests.reports import people_steps as steps
from tests.reports.people_steps import at
from tests.served import served

NEXT_DAY = at("2026-07-01 02:00")
HEADER = ["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ", "Khóa học", "Chiến dịch",
          "Trạng thái", "Ngày hoàn thành", "Điểm", "Số giờ học", "Số hiệu giấy chứng nhận",
          "Trạng thái (diễn giải)"]


@pytest.fixture
def scene(app, db, tmp_path, monkeypatch):
    built = steps.build(tmp_path)
    monkeypatch.setattr(clock, "now", lambda: NEXT_DAY)
    return built


def read_csv(response) -> list[list[str]]:
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_keeps_the_filters_vietnamese_and_neutralises_formulas(scene, client,
                                                                       login_as):
    login_as("hr")
    response = client.get(f"/hr/people.csv?campaign={scene.campaign.id}&status=overdue")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = read_csv(response)
    assert lines[0] == HEADER
    body = {line[1]: line for line in lines[1:]}
    assert set(body) == {"Lê Thị Bình", "Vũ Thị Lan", "'=HYPERLINK(\"http://x\")"}
    evil = body["'=HYPERLINK(\"http://x\")"]
    assert evil[0] == "'+CB-0005" and evil[3] == "'@SUM(A1)"
    binh = body["Lê Thị Bình"]
    assert binh[2] == "Bộ Thử nghiệm/Cục Chuyển đổi số"  # the full path
    assert binh[6] == "overdue"
    assert binh[11] == "Quá hạn"  # the status in words, in the reader's language
    assert binh[5] == scene.campaign.title


def test_the_xlsx_has_real_dates_and_numbers_a_frozen_header_and_a_filter(scene, client,
                                                                          login_as):
    login_as("hr")
    response = client.get(f"/hr/people.xlsx?campaign={scene.campaign.id}&status=completed")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L2"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    (row,) = values[1:]
    assert row[1] == "Nguyễn Thị Hương"
    assert isinstance(row[7], datetime) and row[7].date() == date(2026, 6, 30)
    assert isinstance(row[8], int | float) and row[8] > 0
    assert isinstance(row[9], int | float)
    assert row[10].startswith("HS-")
    assert row[6] == "completed" and row[11] == "Đã hoàn thành"


def test_exports_keep_to_hr_scope_and_are_audited(scene, client, login_as):
    hr = login_as("hr", hr_scope=scene.ministry.cds, department=scene.ministry.cds)
    response = client.get(f"/hr/people.csv?campaign={scene.campaign.id}")
    assert sorted(line[1] for line in read_csv(response)[1:]) == sorted(
        ["Lê Thị Bình", "Nguyễn Thị Hương", "Trần Văn An"])
    response = client.get("/hr/people.xlsx")  # every enrolment in scope
    names = [row[1] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(
        min_row=2, values_only=True)]
    assert sorted(names) == sorted(["Lê Thị Bình", "Nguyễn Thị Hương", "Trần Văn An"])
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.target_type) for e in events] == [(hr.id, "people")] * 2
    assert '"rows": 3' in events[0].details
    assert f'"campaign": {scene.campaign.id}' in events[0].details
    assert '"format": "xlsx"' in events[1].details


def test_an_export_with_a_bad_filter_goes_back_to_the_page(scene, client, login_as):
    login_as("hr")
    response = client.get("/hr/people.csv?from=yesterday&campaign=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/hr/people?")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None


# --- flask reports export --------------------------------------------------------------------

def test_the_command_writes_a_campaign_to_csv_and_xlsx(scene, runner, tmp_path):
    out = tmp_path / "qua-han.csv"
    result = runner.invoke(args=["reports", "export", "--campaign", str(scene.campaign.id),
                                 "--department", "Bộ Thử nghiệm/Cục Chuyển đổi số",
                                 "--status", "overdue", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:])))
    assert [line[1] for line in lines[1:]] == ["Lê Thị Bình"]
    assert lines[1][6] == "overdue" and lines[1][11] == "Quá hạn"  # the ministry's language
    out = tmp_path / "tat-ca.xlsx"
    result = runner.invoke(args=["reports", "export", "--campaign", str(scene.campaign.id),
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert "5" in result.output
    sheet = load_workbook(out).active
    assert sheet.max_row == 6 and sheet.freeze_panes == "A2"
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.actor_id, e.target_type) for e in events] == [(None, "people")] * 2


@pytest.mark.parametrize("arguments,message", [
    (["--campaign", "999", "out.csv"], "no campaign 999"),
    (["--campaign", "{campaign}", "--department", "Bộ Thử nghiệm/Không có", "out.csv"],
     "no department"),
    (["--campaign", "{campaign}", "--status", "finished", "out.csv"], "finished"),
    (["--campaign", "{campaign}", "out.pdf"], ".csv or .xlsx"),
    (["out.csv"], "--campaign"),
])
def test_the_command_refuses_bad_arguments(scene, runner, tmp_path, arguments, message):
    folder = tmp_path / "exports"
    folder.mkdir()
    arguments = [a.replace("{campaign}", str(scene.campaign.id)).replace(
        "out.", str(folder / "out.")) for a in arguments]
    result = runner.invoke(args=["reports", "export", *arguments])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not list(folder.iterdir())


def test_the_command_names_a_file_it_cannot_write(scene, runner, tmp_path):
    (tmp_path / "thu-muc.csv").mkdir()
    for out in (tmp_path / "khong-co" / "out.csv", tmp_path / "thu-muc.csv"):
        result = runner.invoke(args=["reports", "export", "--campaign",
                                     str(scene.campaign.id), str(out)])
        assert result.exit_code == 2, result.output
        assert "Invalid value" in result.output
        assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None


# --- the department summary export -----------------------------------------------------------

def test_the_department_summary_exports_the_rollup_with_full_paths(scene, client, login_as):
    login_as("hr")
    response = client.get(f"/hr/departments.csv?campaign={scene.campaign.id}")
    assert response.status_code == 200
    lines = read_csv(response)
    assert lines[0] == ["Đơn vị", *lines[0][1:]] and len(lines[0]) == 9
    by_path = {line[0]: line[1:] for line in lines[1:]}
    # people, completed, late, in progress, not started, overdue, rate, average score
    assert by_path["Bộ Thử nghiệm"][:7] == ["5", "1", "1", "0", "0", "3", "0.4"]
    assert by_path["Bộ Thử nghiệm/Cục Chuyển đổi số"][:7] == ["3", "1", "1", "0", "0", "1",
                                                               "0.6666666666666666"]
    assert by_path["Bộ Thử nghiệm/Cục Chuyển đổi số/Phòng Dữ liệu"][:2] == ["1", "1"]

    response = client.get(f"/hr/departments.xlsx?course={scene.course.id}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    top = rows["Bộ Thử nghiệm"]
    assert top[1:7] == (5, 2, 0, 1, 2, 0)  # a course has no deadline: nobody late
    assert top[7] == pytest.approx(0.4) and isinstance(top[8], int | float)
    assert sheet["H2"].number_format == "0.0%"


def test_the_department_summary_keeps_to_hr_scope_and_is_audited(scene, client, login_as):
    hr = login_as("hr", hr_scope=scene.ministry.cds, department=scene.ministry.cds)
    response = client.get(f"/hr/departments.csv?campaign={scene.campaign.id}")
    paths = [line[0] for line in read_csv(response)[1:]]
    assert paths[0] == "Bộ Thử nghiệm/Cục Chuyển đổi số"
    assert all(path.startswith("Bộ Thử nghiệm/Cục Chuyển đổi số") for path in paths)
    assert not any("Tổ chức" in path for path in paths)
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (event.actor_id, event.target_type) == (hr.id, "departments")
    assert f'"campaign": {scene.campaign.id}' in event.details


@pytest.mark.parametrize("query,status", [
    ("", 400), ("?campaign=1&course=1", 400), ("?campaign=999999", 404),
    ("?course=999999", 404), ("?campaign=abc", 400),
])
def test_the_department_summary_needs_one_known_campaign_or_course(scene, client, login_as,
                                                                   query, status):
    login_as("hr")
    assert client.get(f"/hr/departments.csv{query}").status_code == status


def test_the_exports_stream_whole_from_a_server(app, scene):
    # as a server runs them (tests/served.py): rows read after the view has returned
    factories.UserFactory(username="ha.ltt", roles={"hr", "learner"}, password=DEMO_PASSWORD)
    db.session.commit()
    query = f"?campaign={scene.campaign.id}"
    csv_file, xlsx_file = served(app, "ha.ltt", [f"/hr/people.csv{query}",
                                                 f"/hr/people.xlsx{query}"])
    assert csv_file.status_code == xlsx_file.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_file.get_data(as_text=True)[1:])))
    assert rows[0] == HEADER and len(rows) == 1 + 5
    assert load_workbook(io.BytesIO(xlsx_file.get_data())).active.max_row == 1 + 5
