"""The emulation ranking: units ranked by completion rate then on-time rate, with the change
since a week earlier, on a page and as a signed PDF; HR sees its own scope only."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from learning import clock
from learning.accounts.models import AuditEvent, Department, path_ids
from learning.campaigns import services as campaigns
from learning.campaigns.models import CampaignMember
from learning.campaigns.summaries import ministry_day
from learning.db import db
from learning.reports import ranking as rankings
from tests.campaigns import steps
from tests.campaigns.steps import at
from tests.conftest import page_text
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
    assert '<th scope="col" class="number">Số cán bộ</th>' in text  # a head count


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
    assert "Số cán bộ" in text and "Tình hình học tập" not in text  # the head count's column
    assert reader.trailer["/Root"]["/AcroForm"]["/Fields"]  # the signature field
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.target_type == "ranking"))
    assert event is not None and event.action == "export"


def test_the_pdf_counts_against_the_users_pdf_budget(app, db, scene, client, login_as,
                                                     monkeypatch):
    campaign, _, _ = scene
    monkeypatch.setitem(app.config, "PDF_LIMIT", 1)
    login_as("admin")
    assert client.get(f"/hr/campaigns/{campaign.id}/ranking.pdf").status_code == 200
    response = client.get(f"/hr/campaigns/{campaign.id}/ranking.pdf")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


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


# --- a week earlier: who was in scope then, and what they had completed by then ---------------
# NOW's ministry day is 2026-06-20, so a week earlier is 2026-06-13, whose end on the ministry's
# calendar (Asia/Ho_Chi_Minh, UTC+7) is 2026-06-13 17:00 UTC.
WEEK_BEFORE_END = at("2026-06-13 17:00")


def finish_at(user, moment) -> None:
    """Complete the scene's course with the final test handed in at `moment` exactly."""
    steps.finish(user, now=moment - timedelta(minutes=5))  # quizzes are handed in 5 min on


def place(user, department, *, now) -> None:
    """Move an official to a department (in or out of the campaign's scope) at `now`."""
    user.department = department
    db.session.flush()
    campaigns.place_officials([user.id], now=now)
    db.session.commit()


def standings_from_every_row(campaign, units, day: date) -> dict[int, rankings.Standing]:
    """The figures on `day` counted one member row at a time, as the ranking's rule says."""
    end = clock.day_end(day)
    on_time_end = clock.day_end(min(day, campaign.deadline))
    unit_ids = {row.department_id for row in units}
    figures: dict[int, list[int]] = {}
    for member in db.session.scalars(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign.id)):
        if not (member.joined_at < end and (member.left_at is None or member.left_at >= end)):
            continue
        department = db.session.get(Department, member.department_id)
        unit_id = next((i for i in path_ids(department.path) if i in unit_ids), None)
        if unit_id is None:
            continue
        done = member.completed_at is not None
        counts = figures.setdefault(unit_id, [0, 0, 0])
        counts[0] += 1
        counts[1] += done and member.completed_at < end
        counts[2] += done and member.completed_at < on_time_end
    return {unit_id: rankings.Standing(*counts) for unit_id, counts in figures.items()}


def unit(ranking, name: str) -> rankings.RankedUnit:
    return next(u for u in ranking.units if u.row.name == name)


def test_a_week_earlier_counts_who_was_in_scope_then(db, scene, count_queries):
    campaign, ministry, people = scene
    # Tâm joins Phòng Dữ liệu after the week-earlier day; Bình (done in April) leaves the
    # scope since; Hải completes three days ago.
    tam = steps.official("Đỗ Văn Tâm", department=ministry.root)
    db.session.commit()
    place(tam, ministry.data, now=at("2026-06-16 02:00"))
    place(people["binh"], steps.department("Bộ Khác"), now=at("2026-06-17 02:00"))
    steps.finish(people["hai"], now=at("2026-06-17 02:00"))

    db.session.expire_all()
    with count_queries() as statements:
        rooms = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW), depth=2)
    # The week earlier: whether anyone was in the campaign then, and one grouped statement
    # over the member rows changed since, whatever the units.
    assert len([s for s in statements if "campaign_members" in s]) == 2
    data, infra = unit(rooms, "Phòng Dữ liệu"), unit(rooms, "Phòng Hạ tầng")
    # Today: Hoa, Hải, Tâm in Phòng Dữ liệu (2 done); Cường alone in Phòng Hạ tầng.
    assert (data.row.people, data.row.completed) == (3, 2)
    assert (infra.row.people, infra.row.completed) == (1, 0)
    # A week earlier: Hoa and Hải, neither done yet (Tâm had not joined); Bình and Cường,
    # Bình done — he has left since, and counts in both the headcount and the completions.
    assert data.people_before == 2
    assert data.completion_rate_before == 0 and data.on_time_rate_before == 0
    assert infra.people_before == 2
    assert infra.completion_rate_before == pytest.approx(0.5)
    assert infra.on_time_rate_before == pytest.approx(0.5)
    assert data.completion_change == pytest.approx(2 / 3)
    assert infra.completion_change == pytest.approx(-0.5)
    assert (infra.rank_before, infra.rank) == (1, 2) and infra.rank_change == -1
    assert (data.rank_before, data.rank) == (2, 1) and data.rank_change == 1
    # Any day, the figures are those counted from every member row (as the rule says).
    units = [u.row for u in rooms.units]
    for day in (date(2026, 3, 1), date(2026, 4, 1), date(2026, 4, 2), date(2026, 6, 13),
                date(2026, 6, 16), date(2026, 6, 17), ministry_day(NOW),
                steps.DEADLINE, steps.DEADLINE + timedelta(days=1)):
        assert rankings.standings_on(None, campaign, units, day) == \
            standings_from_every_row(campaign, units, day), day
    # One level up, the same people: Cục Chuyển đổi số had 4 a week earlier, 1 of them done.
    top = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW))
    cds = unit(top, "Cục Chuyển đổi số")
    assert (cds.row.people, cds.people_before) == (4, 4)
    assert cds.completion_rate_before == pytest.approx(0.25)


def test_the_week_earlier_day_ends_at_the_ministrys_midnight(db, scene):
    campaign, ministry, people = scene
    before_midnight = WEEK_BEFORE_END - timedelta(minutes=1)  # 23:59 in Hà Nội
    newcomers = {name: steps.official(name, department=ministry.root)
                 for name in ("Đỗ Văn Tâm", "Lý Thị Nga")}
    db.session.commit()
    place(newcomers["Đỗ Văn Tâm"], ministry.data, now=before_midnight)  # in scope then
    place(newcomers["Lý Thị Nga"], ministry.data, now=WEEK_BEFORE_END)  # the next day
    finish_at(people["hai"], before_midnight)  # done by then
    finish_at(people["cuong"], WEEK_BEFORE_END)  # done the next day
    # Leaving at the stroke of midnight: in scope the whole day; a minute before: not.
    place(people["binh"], steps.department("Bộ Khác"), now=WEEK_BEFORE_END)
    place(people["lan"], steps.department("Bộ Khác Nữa"), now=before_midnight)
    member = db.session.scalar(select(CampaignMember).where(
        CampaignMember.user_id == people["hai"].id))
    assert member.completed_at == before_midnight

    ranking = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW), depth=2)
    data, infra = unit(ranking, "Phòng Dữ liệu"), unit(ranking, "Phòng Hạ tầng")
    assert data.people_before == 3  # Hoa, Hải, Tâm; not Nga
    assert data.completion_rate_before == pytest.approx(1 / 3)  # Hải
    assert infra.people_before == 2  # Bình (left at midnight) and Cường
    assert infra.completion_rate_before == pytest.approx(0.5)  # Bình, not Cường
    top = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW))
    tccb = unit(top, "Vụ Tổ chức cán bộ")
    assert (tccb.row.people, tccb.people_before) == (1, 1)  # Lan had left before midnight


def test_on_time_a_week_earlier_means_by_the_deadline(db, tmp_path, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    lan = steps.official("Vũ Thị Lan", department=ministry.tccb)
    mai = steps.official("Hồ Thị Mai", department=ministry.tccb)
    steps.official("Ngô Văn Hải", department=ministry.tccb)
    db.session.commit()
    deadline = date(2026, 6, 12)
    campaign = steps.campaign(course, [ministry.root], deadline=deadline)
    finish_at(lan, at("2026-06-12 16:59"))  # 23:59 on the deadline in Hà Nội: on time
    finish_at(mai, at("2026-06-12 17:00"))  # 00:00 the day after: late, but by 2026-06-13

    tccb = unit(rankings.campaign_ranking(None, campaign, today=ministry_day(NOW)),
                "Vụ Tổ chức cán bộ")
    assert tccb.people_before == 3
    assert tccb.completion_rate_before == pytest.approx(2 / 3)
    assert tccb.on_time_rate_before == pytest.approx(1 / 3)
    assert (tccb.row.completed, tccb.row.completed_late) == (1, 1)
    units = [tccb.row]
    for day in (date(2026, 6, 11), deadline, date(2026, 6, 13), ministry_day(NOW)):
        assert rankings.standings_on(None, campaign, units, day) == \
            standings_from_every_row(campaign, units, day), day


def test_places_before_and_after_with_ties_and_a_new_unit(db, scene, client, login_as):
    campaign, ministry, _ = scene
    apps = steps.department("Phòng Ứng dụng", ministry.cds)
    new = steps.department("Phòng Đổi mới", ministry.cds)
    toan = steps.official("Trịnh Văn Toàn", department=ministry.root)
    yen = steps.official("Đặng Thị Yến", department=ministry.root)
    quan = steps.official("Mạc Văn Quân", department=ministry.root)
    db.session.commit()
    place(toan, apps, now=at("2026-03-05 02:00"))
    place(yen, apps, now=at("2026-03-05 02:00"))
    steps.finish(toan, now=at("2026-04-05 02:00"))
    place(quan, new, now=at("2026-06-16 02:00"))  # a unit nobody was in a week earlier
    steps.finish(quan, now=at("2026-06-18 02:00"))

    rooms = rankings.campaign_ranking(None, campaign, today=ministry_day(NOW), depth=2)
    got = {u.row.name: (u.rank_before, u.rank, u.rank_change) for u in rooms.units}
    # A week earlier: Hạ tầng and Ứng dụng tied at 1/2, Dữ liệu 0/2; Đổi mới had nobody.
    # Today: Đổi mới 1/1, then the three others tied at 1/2.
    assert got == {
        "Phòng Đổi mới": (None, 1, None),
        "Phòng Dữ liệu": (3, 2, 1),
        "Phòng Hạ tầng": (1, 2, -1),
        "Phòng Ứng dụng": (1, 2, -1),
    }
    new_unit = unit(rooms, "Phòng Đổi mới")
    assert new_unit.is_new and new_unit.people_before == 0
    assert new_unit.completion_rate_before is None and new_unit.completion_change is None

    login_as("admin")
    response = client.get(f"/hr/campaigns/{campaign.id}/ranking?depth=2")
    rows = {}  # the table's rows as text, by the room's name (the row shows its path)
    for row in re.findall(r"<tr>(.*?)</tr>", response.get_data(as_text=True), flags=re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
                 for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        rows[cells[1].rsplit("/", 1)[-1]] = cells
    assert rows["Phòng Đổi mới"][0] == "1" and rows["Phòng Đổi mới"][-1] == "mới"
    assert rows["Phòng Dữ liệu"][0] == "2" and rows["Phòng Dữ liệu"][-1].endswith("tăng 1 bậc")
    assert rows["Phòng Hạ tầng"][0] == "2" and rows["Phòng Hạ tầng"][-1].endswith("giảm 1 bậc")
    assert "vào cuối ngày 13 tháng 6 năm 2026 và" in page_text(response)  # the day compared
