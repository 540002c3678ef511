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
from tests.reports import steps
from tests.reports.steps import at

NEXT_DAY = at("2026-07-01 02:00")
HEADER = ["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ", "Khóa học", "Chiến dịch",
          "Trạng thái", "Ngày hoàn thành", "Điểm", "Số giờ học", "Số hiệu giấy chứng nhận"]


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
    assert binh[5] == scene.campaign.title


def test_the_xlsx_has_real_dates_and_numbers_a_frozen_header_and_a_filter(scene, client,
                                                                          login_as):
    login_as("hr")
    response = client.get(f"/hr/people.xlsx?campaign={scene.campaign.id}&status=completed")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:K2"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    (row,) = values[1:]
    assert row[1] == "Nguyễn Thị Hương"
    assert isinstance(row[7], datetime) and row[7].date() == date(2026, 6, 30)
    assert isinstance(row[8], int | float) and row[8] > 0
    assert isinstance(row[9], int | float)
    assert row[10].startswith("HS-")


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
