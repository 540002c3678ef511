"""The emulation ranking: units ranked by completion rate then on-time rate, with the change
since a week earlier, on a page and as a signed PDF; HR sees its own scope only."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from learning import clock
from learning.accounts.models import AuditEvent
from learning.campaigns.summaries import ministry_day
from learning.db import db
from learning.reports import ranking as rankings
from tests.campaigns import steps
from tests.campaigns.steps import at
from tests.mentoring import steps as mentoring_steps

NOW = at("2026-06-20 03:00")


@pytest.fixture
def scene(app, db, tmp_path, monkeypatch):
    """Bộ → Vụ Tổ chức cán bộ (2 people, both done a while ago); Cục Chuyển đổi số → Phòng Dữ
    liệu (2 people, one done this week), Phòng Hạ tầng (2 people, one done long ago)."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    people = {
        "lan": steps.official("Vũ Thị Lan", department=ministry.tccb),
        "mai": steps.official("Hồ Thị Mai", department=ministry.tccb),
        "hoa": steps.official("Trần Thị Hoa", department=ministry.data),
        "hai": steps.official("Ngô Văn Hải", department=ministry.data),
        "binh": steps.official("Lê Văn Bình", department=ministry.infra),
        "cuong": steps.official("Phan Cường", department=ministry.infra),
    }
    db.session.commit()
    campaign = steps.campaign(course, [ministry.root], deadline=steps.DEADLINE)
    steps.finish(people["lan"], now=at("2026-04-01 02:00"))
    steps.finish(people["mai"], now=at("2026-04-02 02:00"))
    steps.finish(people["binh"], now=at("2026-04-03 02:00"))
    steps.finish(people["hoa"], now=at("2026-06-18 02:00"))  # this week
    return campaign, ministry, people


def test_units_are_ranked_with_the_change_since_last_week(db, scene):
    campaign, ministry, _ = scene
    ranking = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW))
    assert [(u.rank, u.row.name) for u in ranking.units] == [
        (1, "Vụ Tổ chức cán bộ"), (2, "Cục Chuyển đổi số")]
    cds = ranking.units[1]
    assert (cds.row.people, cds.row.completed) == (4, 2)
    assert cds.completion_rate == pytest.approx(0.5)
    assert cds.completion_rate_before == pytest.approx(0.25)  # Hoa finished this week
    assert cds.completion_change == pytest.approx(0.25)
    # One level down: the two rooms, tied on completion, and the department above them.
    rooms = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW), depth=2)
    assert {(u.rank, u.row.name) for u in rooms.units} == {
        (1, "Phòng Dữ liệu"), (1, "Phòng Hạ tầng")}
    data = next(u for u in rooms.units if u.row.name == "Phòng Dữ liệu")
    assert data.rank_before == 2 and data.rank_change == 1


def test_hr_of_a_unit_ranks_only_within_it(db, scene, client, login_as):
    campaign, ministry, _ = scene
    hr = login_as("hr", department=ministry.cds)
    hr.grant("hr").scope_department_id = ministry.cds.id
    db.session.commit()
    page = client.get(f"/hr/campaigns/{campaign.id}/ranking")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Phòng Dữ liệu" in text and "Phòng Hạ tầng" in text
    assert "Vụ Tổ chức cán bộ" not in text


def test_the_pdf_is_signed_readable_and_audited(db, scene, client, login_as):
    campaign, _, _ = scene
    login_as("admin")
    response = client.get(f"/hr/campaigns/{campaign.id}/ranking.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Vụ Tổ chức cán bộ" in text and "Cục Chuyển đổi số" in text
    assert text.index("Vụ Tổ chức cán bộ") < text.index("Cục Chuyển đổi số")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert reader.trailer["/Root"]["/AcroForm"]["/Fields"]  # the signature field
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.target_type == "ranking"))
    assert event is not None and event.action == "export"


@pytest.mark.parametrize("role", ["learner", "mentor"])
def test_officials_without_hr_rights_get_403(db, scene, client, login_as, role):
    campaign, _, _ = scene
    login_as(role)
    assert client.get(f"/hr/campaigns/{campaign.id}/ranking").status_code == 403
    assert client.get(f"/hr/campaigns/{campaign.id}/ranking.pdf").status_code == 403


def test_hr_elsewhere_gets_404(db, scene, client, login_as):
    campaign, ministry, _ = scene
    other = steps.department("Bộ Khác")
    db.session.commit()
    hr = login_as("hr", department=other)
    hr.grant("hr").scope_department_id = other.id
    db.session.commit()
    assert client.get(f"/hr/campaigns/{campaign.id}/ranking").status_code == 404
    assert client.get("/hr/campaigns/999999/ranking").status_code == 404
